"""One-time codes: six digits sent over a channel, stored only as a keyed hash."""
