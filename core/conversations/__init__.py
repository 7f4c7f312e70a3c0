"""Conversations: the transcript of every channel, the outbox of replies and escalations."""
