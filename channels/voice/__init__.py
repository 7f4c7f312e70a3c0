"""Phone calls: Twilio's voice webhooks and the call sockets (ConversationRelay here; Media
Streams in `media_stream`). `router` carries the webhooks and the relay socket."""

from fastapi import APIRouter

from channels.voice import incoming, relay

router = APIRouter()
router.include_router(incoming.router)
router.include_router(relay.router)
