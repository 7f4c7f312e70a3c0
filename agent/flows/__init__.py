"""The borrower's tasks as slot-filling flows: what to ask, how to check it, what to commit."""
