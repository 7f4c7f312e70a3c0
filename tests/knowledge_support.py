"""Helpers for knowledge tests: a real PDF with a text layer, and an embedder that counts."""

from __future__ import annotations

import io

from knowledge.embedding import HashingEmbedder


def make_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """A PDF (drawn by reportlab) with one page per string, each line drawn as text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    if title:
        canvas.setTitle(title)
    for page in pages:
        y = 800
        for line in page.splitlines():
            canvas.drawString(60, y, line)
            y -= 16
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class CountingEmbedder(HashingEmbedder):
    """The local embedder under another name, counting the texts it embeds."""

    def __init__(self, name: str = "test-hashing") -> None:
        super().__init__()
        self._name = name
        self.embedded: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return await super().embed_documents(texts)
