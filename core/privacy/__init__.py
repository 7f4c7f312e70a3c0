"""Data protection: masking, retention, key rotation and the export of a customer's data."""
