"""Customers: profile, contact points, identity documents, employment and income, consents."""
