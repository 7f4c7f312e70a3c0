"""Twilio: the signature on every webhook, WhatsApp and SMS in and out, voice calls."""
