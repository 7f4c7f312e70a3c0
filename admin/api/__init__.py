"""Routers of the staff and public JSON API, mounted under `/api/v1` by the app factory."""

from fastapi import APIRouter

from admin.api import applications, customers, ledger, payments, products

routers: list[APIRouter] = [payments.router, customers.router, products.router, ledger.router,
                            applications.router]
