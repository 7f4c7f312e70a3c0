"""The site's icon. Pages link `/console/static/favicon.svg`; browsers still ask for
`/favicon.ico` on their own (and for pages without a link, such as JSON), so that address
answers with the same SVG instead of a 404."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

ICON = Path(__file__).resolve().parent.parent / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(ICON, media_type="image/svg+xml", headers={
        "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})
