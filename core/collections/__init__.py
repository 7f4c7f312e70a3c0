"""Collections: delinquency, cases and queues, promises to pay, next best action, imported
accounts (see docs/collections.md)."""
