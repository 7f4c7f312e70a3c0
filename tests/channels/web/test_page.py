"""The page and its two files are served as they are, with a strict content policy."""

from __future__ import annotations

import httpx

from tests.channels.conftest import LiveApp


async def test_the_page_and_its_files_are_served(web_app: LiveApp) -> None:
    async with httpx.AsyncClient(base_url=web_app.url) as client:
        page = await client.get("/chat")
        style = await client.get("/chat/chat.css")
        script = await client.get("/chat/chat.js")
        missing = await client.get("/chat/secret.key")
        escaping = await client.get("/chat/..%2Fchat.py")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/chat/chat.js">' in page.text
    assert '<ol id="log" class="log" role="log" aria-live="polite"' in page.text
    assert style.headers["content-type"].startswith("text/css")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "new WebSocket" in script.text
    assert missing.status_code == 404 and escaping.status_code == 404
