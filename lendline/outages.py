"""What a request that meets an outage of PostgreSQL or Redis gets: 503 with Retry-After.

Without this, a lost connection surfaces as a 500 with a traceback. A request that needed
the database (or Redis) while it was unreachable, restarting or overloaded is answered `503
Service Unavailable`, `Retry-After: 5`, as `{"error": "unavailable", "detail": ...}` or, for
a console page, the console's error page; a websocket is closed with code 1013 (try again
later). Its transaction was rolled back, so trying again is safe. The engine and the job
queue reconnect on their own once the server is back (see docs/operations-faults.md).

Paths that degrade instead of failing catch their Redis errors themselves (the messaging
webhook, the rate limits, the nudges); only what cannot go on without a server comes here.
"""

from __future__ import annotations

import logging
from typing import Final

import psycopg
import redis.exceptions
import sqlalchemy.exc
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from procrastinate.exceptions import ConnectorException

from admin.console.errors import is_page
from admin.console.rendering import render

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS: Final = 5
MESSAGE: Final = ("Lendline is briefly unavailable: a service it depends on is not answering. "
                  "Please try again in a few seconds.")
TRY_AGAIN_LATER: Final = 1013  # websocket close code
OUTAGES: Final[tuple[type[Exception], ...]] = (
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError, psycopg.InterfaceError,
)
LOST_CONNECTION: Final = (psycopg.OperationalError, psycopg.InterfaceError)


def is_outage(error: BaseException) -> bool:
    """Whether `error` says a server was unreachable, rather than that the request was wrong."""
    if isinstance(error, ConnectorException):  # procrastinate's wrapper of psycopg errors
        return isinstance(error.__cause__, LOST_CONNECTION)
    return isinstance(error, OUTAGES)


async def unavailable(connection: Request | WebSocket, error: Exception) -> Response | None:
    """The exception handler: 503 for an outage; anything else is re-raised (a 500)."""
    if not is_outage(error):
        raise error
    cause = error.__cause__ if isinstance(error, ConnectorException) else error
    log.warning("503 for %s: %s: %s", connection.url.path, type(cause).__name__,
                next(iter(str(cause).splitlines()), ""))
    if isinstance(connection, WebSocket):
        await connection.close(code=TRY_AGAIN_LATER, reason="Briefly unavailable; reconnect.")
        return None
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if is_page(connection.url.path):
        page = render(connection, "error.html", {"title": "Briefly unavailable",
                                                 "message": MESSAGE}, status_code=503)
        page.headers.update(headers)
        return page
    return JSONResponse({"error": "unavailable", "detail": MESSAGE}, status_code=503,
                        headers=headers)


def install(app: FastAPI) -> None:
    for kind in (*OUTAGES, ConnectorException):
        app.add_exception_handler(kind, unavailable)  # type: ignore[arg-type]  # Request | WebSocket
