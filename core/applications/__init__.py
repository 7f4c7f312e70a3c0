"""Loan applications: lifecycle, documents, decisions, the agreement and its acceptance."""
