"""Loans: terms, due-date calendar and repayment schedules (pure, no database)."""
