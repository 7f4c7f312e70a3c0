"""Parse one file (Markdown, HTML, PDF text layer, plain text) into a titled list of sections.

`parse_document(filename, data)` returns a `ParsedDocument` or raises `DocumentError` with a
message staff can act on (an empty file, a broken PDF, a PDF without a text layer).
Metadata comes from YAML front matter (Markdown and text: `title`, `effective`, `products`,
`language`) or from `<title>`, `<html lang>` and `<meta name=effective|products|language>`
in HTML. Without a title, the file name is the title; without a language, English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePath

from knowledge.formats import (
    DocumentError,
    Read,
    Section,
    read_html,
    read_markdown,
    read_pdf,
    read_text,
)

__all__ = ["DocumentError", "ParsedDocument", "Section", "document_format", "parse_document"]

SUPPORTED_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
                      ".pdf": "pdf", ".txt": "txt"}
DEFAULT_LANGUAGE = "en"
MAX_TITLE = 300
_PRODUCT_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,59}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    format: str
    sections: list[Section]
    effective: dt.date | None = None
    products: tuple[str, ...] = ()
    language: str = DEFAULT_LANGUAGE


def document_format(filename: str) -> str | None:
    """The format key ("md", "html", "pdf", "txt") of a file name, None if unsupported."""
    return SUPPORTED_SUFFIXES.get(PurePath(filename).suffix.lower())


def parse_document(filename: str, data: bytes) -> ParsedDocument:
    """Parse `data`, the bytes of `filename`, by the file name's suffix."""
    kind = document_format(filename)
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"{filename}: unsupported file type (supported: {supported}).")
    if not data.strip():
        raise DocumentError(f"{filename}: the file is empty.")
    read: Read
    if kind == "pdf":
        read = read_pdf(filename, data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DocumentError(f"{filename}: the file is not UTF-8 text.") from None
        reader = {"md": read_markdown, "html": read_html, "txt": read_text}[kind]
        read = reader(filename, text)
    title, sections, meta = read
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise DocumentError(f"{filename}: the file has no text to index.")
    return ParsedDocument(
        title=(title or _title_from_name(filename))[:MAX_TITLE].strip(),
        format=kind,
        sections=sections,
        effective=_effective(filename, meta.get("effective")),
        products=_products(filename, meta.get("products")),
        language=_language(filename, meta.get("language")),
    )


def _title_from_name(filename: str) -> str:
    words = PurePath(filename).stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize()


def _effective(filename: str, value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DocumentError(
            f"{filename}: effective date {value!r} is not a date like 2026-01-31."
        ) from None


def _products(filename: str, value: object) -> tuple[str, ...]:
    """Product codes, upper-cased and sorted; a comma-separated string or a YAML list."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        items = [items]
    codes = {str(item).strip().upper() for item in items if str(item).strip()}
    for code in codes:
        if not _PRODUCT_CODE.fullmatch(code):
            raise DocumentError(f"{filename}: {code!r} is not a product code like PERSONAL.")
    return tuple(sorted(codes))


def _language(filename: str, value: object) -> str:
    language = str(value or DEFAULT_LANGUAGE).strip().lower().replace("_", "-")
    if not _LANGUAGE.fullmatch(language):
        raise DocumentError(f"{filename}: {value!r} is not a language code like en or es.")
    return language
