"""The OpenAPI pages served from local files, so `/docs` works with no internet access.

FastAPI's default `/docs` loads Swagger UI from a CDN; Lendline must run offline, so the
assets (Swagger UI 5, which renders OpenAPI 3.1) come from the `fastapi-offline` wheel.
The page and the schema are for staff only (signed in to the console, or with an API
token): the schema maps every staff operation.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from admin.auth import require
from admin.permissions import Permission

ASSETS = "/_swagger"
STATIC = Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the Swagger UI assets and serve `/docs` and `/openapi.json` to staff (the app
    sets docs_url=None and openapi_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="swagger-ui")
    staff_only = [Depends(require(Permission.API_DOCS))]

    @app.get("/openapi.json", include_in_schema=False, dependencies=staff_only)
    async def openapi_schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=staff_only)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False, dependencies=staff_only)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
