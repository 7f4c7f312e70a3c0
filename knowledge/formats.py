"""One reader per file format, each turning text or bytes into (title, sections, metadata).

Readers find structure only; `knowledge.documents` validates the metadata and assembles the
`ParsedDocument`. A reader raises `DocumentError` when the file cannot be read at all.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import yaml

from core.errors import ValidationError

Metadata = dict[str, Any]
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


class DocumentError(ValidationError):
    """A file that cannot be ingested; the message names the file and the reason."""


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path (empty path: before the first heading)."""

    path: tuple[str, ...]
    text: str


Read = tuple[str | None, list[Section], Metadata]


class _Outline:
    """Collects text under a heading stack; a heading of level n closes every level >= n."""

    def __init__(self, title: str | None) -> None:
        self.title = title
        self.sections: list[Section] = []
        self._path: list[tuple[int, str]] = []
        self._lines: list[str] = []

    def text(self, line: str) -> None:
        self._lines.append(line)

    def heading(self, level: int, text: str) -> None:
        if level == 1 and (self.title is None or text == self.title):
            self.title = self.title or text
            return
        self.close()
        self._path = [(lvl, t) for lvl, t in self._path if lvl < level] + [(level, text)]

    def close(self) -> None:
        body = re.sub(r"\n{3,}", "\n\n", "\n".join(self._lines)).strip()
        self.sections.append(Section(tuple(t for _, t in self._path), body))
        self._lines.clear()


def front_matter(filename: str, text: str) -> tuple[Metadata, str]:
    """Split YAML front matter (between `---` lines at the very top) from the body."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise DocumentError(f"{filename}: the front matter is not valid YAML ({exc}).") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(f"{filename}: the front matter must be a mapping of keys to values.")
    return meta, text[match.end():]


def read_markdown(filename: str, text: str) -> Read:
    """ATX headings (`#` to `######`) outside fenced code build the section path; a level-1
    heading is the title unless front matter gave one that differs."""
    meta, body = front_matter(filename, text)
    outline = _Outline(str(meta["title"]).strip() if meta.get("title") else None)
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _ATX_HEADING.match(line)
        if heading is None:
            outline.text(line)
        else:
            outline.heading(len(heading.group(1)), heading.group(2).strip())
    outline.close()
    return outline.title, outline.sections, meta


def read_text(filename: str, text: str) -> Read:
    """One section; a short first line followed by a blank line is the title."""
    meta, body = front_matter(filename, text)
    body = body.strip()
    if meta.get("title"):
        return str(meta["title"]).strip(), [Section((), body)], meta
    first, _, rest = body.partition("\n")
    if len(first) <= 100 and rest.startswith("\n") and rest.strip():
        return first.strip(), [Section((), rest.strip())], meta
    return None, [Section((), body)], meta


_BLOCKS = {"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol", "pre",
           "blockquote", "dd", "dt"}
_SKIP = {"script", "style", "nav", "noscript", "template"}


class _HtmlReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline = _Outline(None)
        self.meta: Metadata = {}
        self.page_title: str | None = None
        self._skip = 0
        self._heading: tuple[int, list[str]] | None = None
        self._in_title = False
        self._line: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html" and values.get("lang"):
            self.meta.setdefault("language", values["lang"].split("-")[0])
        elif tag == "meta" and values.get("name") in {"effective", "products", "language"}:
            self.meta[values["name"]] = values.get("content", "")
        elif tag == "title":
            self._in_title = True
        if tag in _SKIP:
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._newline()
            self._heading = (int(tag[1]), [])
        elif tag in _BLOCKS:
            self._newline()
            if tag == "li":
                self._line.append("- ")
        elif tag in {"td", "th"} and self._line:
            self._line.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif self._heading is not None and tag == f"h{self._heading[0]}":
            level, words = self._heading
            self._heading = None
            self.outline.heading(level, " ".join("".join(words).split()))
        elif tag in _BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page_title = ((self.page_title or "") + data).strip() or None
        elif self._skip:
            return
        elif self._heading is not None:
            self._heading[1].append(data)
        else:
            self._line.append(data)

    def _newline(self) -> None:
        line = " ".join("".join(self._line).split())
        if line and line != "-":
            self.outline.text(line)
        self._line.clear()


def read_html(filename: str, text: str) -> Read:
    """h1–h6 build the section path; the `<title>` (else the first h1) is the title."""
    reader = _HtmlReader()
    reader.feed(text)
    reader.close()
    reader._newline()
    if reader.page_title and reader.outline.title is None:
        reader.outline.title = reader.page_title
    reader.outline.close()
    return reader.outline.title, reader.outline.sections, reader.meta


def read_pdf(filename: str, data: bytes) -> Read:
    """The text layer, one section per page ("Page 3"); the title from the PDF's metadata."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{filename}: the PDF could not be read ({exc}).") from None
    if not any(page.strip() for page in pages):
        raise DocumentError(f"{filename}: the PDF has no text layer (is it a scan?).")
    sections = [Section((f"Page {n}",), page.strip()) for n, page in enumerate(pages, 1)]
    return (str(title).strip() or None) if title else None, sections, {}
