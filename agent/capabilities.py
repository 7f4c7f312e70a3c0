"""What each channel can carry. The graph knows capabilities, never the channel's wire format."""

from __future__ import annotations

from agent.state import Capabilities

CAPABILITIES: dict[str, Capabilities] = {
    # WhatsApp allows 4,096 characters and renders *bold*; we keep replies shorter.
    "whatsapp": {"max_length": 1600, "markdown": True, "speakable": False},
    # Twilio concatenates up to 1,600 characters; the sender splits into segments.
    "sms": {"max_length": 1600, "markdown": False, "speakable": False},
    "web": {"max_length": 4000, "markdown": True, "speakable": False},
    "voice": {"max_length": 600, "markdown": False, "speakable": True},
    "terminal": {"max_length": 4000, "markdown": False, "speakable": False},
}


def capabilities_for(channel: str) -> Capabilities:
    """The channel's capabilities; an unknown channel gets the most conservative ones."""
    return CAPABILITIES.get(channel, CAPABILITIES["sms"])
