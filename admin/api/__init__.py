"""Routers of the staff and public JSON API, mounted under `/api/v1` by the app factory."""

from fastapi import APIRouter

routers: list[APIRouter] = []
