"""Map domain errors to HTTP responses in one place, and document them in the OpenAPI schema.

A domain error answers `{"error": code, "detail": message}` with its class's status, so a
422 is either that or FastAPI's own request validation error: the schema says both. A
number the database cannot hold (an id far beyond any record's) is refused with 422 like
any invalid value instead of failing as a server error.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg.errors import NumericValueOutOfRange
from sqlalchemy.exc import DataError

from core import errors

STATUS = {
    errors.ValidationError: 422,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.LedgerError: 422,
    errors.PermissionDenied: 403,
    errors.InvalidSignature: 400,
    errors.PaymentProviderError: 502,
}
OUT_OF_RANGE = ("A number in this request is too large or too small: no record has it and "
                "none could store it.")
DOMAIN_ERROR = "DomainError"
DOMAIN_ERROR_SCHEMA: dict[str, Any] = {
    "title": DOMAIN_ERROR, "type": "object", "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "title": "Error",
                  "description": "What kind of refusal: invalid, not_found, conflict..."},
        "detail": {"type": "string", "title": "Detail",
                   "description": "What is wrong, in words staff can read."},
    },
}


def status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    return JSONResponse(
        status_code=status_for(exc), content={"error": exc.code, "detail": exc.message}
    )


async def data_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A number out of the database's range is the request's fault; any other data error
    stays a server error."""
    assert isinstance(exc, DataError)
    if not isinstance(exc.orig, NumericValueOutOfRange):
        raise exc
    return await domain_error_handler(request, errors.ValidationError(OUT_OF_RANGE))


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the domain error body to an OpenAPI schema: every documented 422 is FastAPI's
    validation error or a domain error."""
    schema.setdefault("components", {}).setdefault("schemas", {})[DOMAIN_ERROR] = (
        DOMAIN_ERROR_SCHEMA)
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            refused = operation.get("responses", {}).get("422", {})
            body = refused.get("content", {}).get("application/json")
            if body is not None:
                body["schema"] = {"anyOf": [body["schema"],
                                            {"$ref": f"#/components/schemas/{DOMAIN_ERROR}"}]}
    return schema


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, domain_error_handler)
    app.add_exception_handler(DataError, data_error_handler)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
