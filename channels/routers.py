"""The channels' routes, mounted at the root by the app factory (one line per adapter)."""

from fastapi import APIRouter

from channels.twilio.messaging import router as twilio_messaging
from channels.twilio.status import router as twilio_status
from channels.voice import router as voice
from channels.voice.media_stream import router as voice_stream
from channels.web.router import router as web_chat

routers: list[APIRouter] = [twilio_messaging, twilio_status, voice, voice_stream, web_chat]
