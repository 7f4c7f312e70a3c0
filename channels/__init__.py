"""Adapters between the outside world and the agent: Twilio messaging, web chat and voice.

Each adapter turns its provider's format into one `agent.conversation.Inbound` and the
agent's replies into the provider's format. `channels.routers` lists the HTTP and
websocket routes the app factory mounts.
"""
