"""Domain errors.

Every error a service raises is a `DomainError` with a message a borrower or a staff
member could read. The HTTP layer maps the subclasses to status codes in one handler;
tools turn them into text for the model.

    DomainError
    ├── ValidationError        bad input: an amount, a term, a date (HTTP 422)
    ├── NotFoundError          no such customer, loan, account... (HTTP 404)
    ├── ConflictError          the request contradicts the current state (HTTP 409)
    │   ├── InvalidTransition  a lifecycle transition that is not allowed
    │   └── IdempotencyConflict  a key reused with a different payload
    ├── LedgerError            an entry that would break the books (HTTP 422)
    │   ├── UnbalancedEntry
    │   └── ClosedPeriod
    ├── PermissionDenied       the actor may not do this (HTTP 403)
    ├── InvalidSignature       a webhook that is forged, stale or malformed (HTTP 400)
    └── PaymentProviderError   the payment provider refused or failed a request (HTTP 502)
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    code = "invalid"


class NotFoundError(DomainError):
    code = "not_found"


class ConflictError(DomainError):
    code = "conflict"


class InvalidTransition(ConflictError):
    code = "invalid_transition"


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"


class LedgerError(DomainError):
    code = "ledger_error"


class UnbalancedEntry(LedgerError):
    code = "unbalanced_entry"


class ClosedPeriod(LedgerError):
    code = "closed_period"


class PermissionDenied(DomainError):
    code = "permission_denied"


class InvalidSignature(DomainError):
    code = "invalid_signature"


class PaymentProviderError(DomainError):
    code = "payment_provider_error"
