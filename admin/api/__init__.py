"""Routers of the staff and public JSON API, mounted under `/api/v1` by the app factory."""

from fastapi import APIRouter

from admin.api import (
    applications,
    collections,
    collections_settlements,
    compliance,
    customer_export,
    customers,
    decline_overrides,
    escalations,
    knowledge,
    ledger,
    loans,
    me,
    payments,
    products,
    scoring,
)

routers: list[APIRouter] = [payments.router, customers.router, products.router, ledger.router,
                            applications.router, loans.router, scoring.router,
                            compliance.router, collections_settlements.router, collections.router,
                            me.router, escalations.router, knowledge.router,
                            decline_overrides.router, customer_export.router]
