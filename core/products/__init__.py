"""Loan products and the hire-purchase catalogue: validation, storage and quoting."""
