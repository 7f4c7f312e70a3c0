"""`/readyz` and `/metrics` on the app, the request context middleware, and the small
metrics server a `lendline worker` runs on `LENDLINE_METRICS_PORT`.

`/metrics` takes `Authorization: Bearer <LENDLINE_METRICS_TOKEN>`. It is on the public port
(the proxy has one address for Twilio, browsers and staff), so without a token it is open
only outside production; in production it is refused until a token is set.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from core.telemetry import metrics
from lendline.observability.middleware import RequestContext
from lendline.observability.readiness import readiness
from lendline.observability.state import state_families
from lendline.services import Services
from lendline.settings import Settings

NO_STORE = {"Cache-Control": "no-store"}
WWW_AUTHENTICATE = {"WWW-Authenticate": "Bearer"}


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def refusal(settings: Settings, authorization: str | None) -> tuple[int, str] | None:
    """The status and reason refusing this scrape, or None when it may read the metrics."""
    if settings.metrics_token is None:
        if settings.environment != "production":
            return None
        return 403, "Metrics are off in production until LENDLINE_METRICS_TOKEN is set."
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    if authorization and secrets.compare_digest(authorization.encode(), expected):
        return None
    return 401, "Send the metrics token as 'Authorization: Bearer …'."


def exposition(extra: list[Metric]) -> bytes:
    """This process's metrics, then `extra`, in Prometheus' text format."""
    return generate_latest(metrics.REGISTRY) + generate_latest(_Families(extra))


def install(app: FastAPI, settings: Settings) -> None:
    """Add the request context middleware, `GET /readyz` and `GET /metrics` to `app`."""
    app.add_middleware(RequestContext)

    @app.get("/readyz", tags=["ops"], summary="Readiness: database, Redis and job queue",
             responses={503: {"description": "A check failed; `checks` says which and why."}})
    async def readyz(request: Request) -> JSONResponse:
        services: Services = request.app.state.services
        ready = await readiness(
            engine=services.engine, redis=services.redis, queue=services.queue,
            within=settings.probe_timeout_seconds, require_worker=settings.run_worker)
        return JSONResponse(ready.as_json(), status_code=200 if ready.ready else 503,
                            headers=NO_STORE)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        refused = refusal(settings, request.headers.get("authorization"))
        if refused is not None:
            status, detail = refused
            return JSONResponse({"detail": detail}, status_code=status,
                                headers=WWW_AUTHENTICATE if status == 401 else None)
        services: Services = request.app.state.services
        queues = {task.queue for task in services.queue.tasks.values()}
        families = await state_families(services.engine, queues=queues,
                                        within=settings.probe_timeout_seconds)
        return Response(exposition(families), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
        pass


def worker_metrics(settings: Settings) -> Callable[..., Iterable[bytes]]:
    """The WSGI app of a worker's port: `/healthz` and this process's `/metrics` (the
    database-backed gauges are the app replicas' to report)."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        refused = refusal(settings, environ.get("HTTP_AUTHORIZATION"))
        if path == "/healthz":
            status, body, kind = 200, b'{"status": "ok"}', "application/json"
        elif path != "/metrics":
            status, body, kind = 404, b'{"detail": "Not Found"}', "application/json"
        elif refused is not None:
            status, kind = refused[0], "application/json"
            body = json.dumps({"detail": refused[1]}).encode()
        else:
            status, body, kind = 200, exposition([]), CONTENT_TYPE_LATEST
        headers = [("Content-Type", kind), *NO_STORE.items()]
        if status == 401:
            headers += WWW_AUTHENTICATE.items()
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]
    return app


def start_worker_metrics(settings: Settings, port: int) -> WSGIServer:
    """Serve `worker_metrics` on `port` from a daemon thread (no signal handlers of its own,
    so the worker's shutdown is untouched); `shutdown()` stops it."""
    server = make_server(settings.host, port, worker_metrics(settings), ThreadingWSGIServer,
                         handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
