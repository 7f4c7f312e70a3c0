"""Persistence plumbing: the declarative base, engine and session factories, migrations."""
