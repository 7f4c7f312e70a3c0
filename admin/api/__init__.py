"""Routers of the staff JSON API, mounted under `/api/v1` by the app factory."""
