"""Contact compliance: whether, when and how a borrower may be contacted."""
