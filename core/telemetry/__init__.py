"""What the running process reports about itself: the log context of the work in hand
(request, conversation, channel) and the Prometheus instruments every layer updates.

Plain Python and `prometheus_client` only, so `agent/` and `channels/` can report without
knowing how the web layer exposes it (`lendline.observability` does).
"""
