"""The staff console and the staff JSON API (`/api/v1`)."""
