"""Map domain errors to HTTP responses in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, domain_error_handler)
