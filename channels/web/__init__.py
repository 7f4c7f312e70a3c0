"""Web chat: a page at `/chat` talking JSON over a websocket, documents uploaded over HTTP.

The protocol is documented in docs/channels-web.md.
"""
