"""The channels' routes, mounted at the root by the app factory (one line per adapter)."""

from fastapi import APIRouter

routers: list[APIRouter] = []
