"""The OpenAPI schema builds and `/docs` works offline, from locally served Swagger UI assets."""

from __future__ import annotations

import httpx


async def test_docs_page_uses_local_assets_only(api: httpx.AsyncClient) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    assert "/_swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    script = await api.get("/_swagger/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000


async def test_openapi_schema_covers_every_area(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    paths = set(schema["paths"])
    for prefix in ("/api/v1/customers", "/api/v1/products", "/api/v1/applications",
                   "/api/v1/loans", "/api/v1/calculator", "/api/v1/ledger",
                   "/api/v1/payments", "/api/v1/collections", "/api/v1/compliance",
                   "/api/v1/settlement-offers", "/api/v1/scoring"):
        assert any(path.startswith(prefix) for path in paths), prefix
