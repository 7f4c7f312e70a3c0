"""Parsing Markdown, HTML, PDF and text into a title, metadata and heading-path sections."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.documents import DocumentError, Section, parse_document
from tests.knowledge_support import make_pdf

MARKDOWN = b"""---
title: Personal Loan
effective: 2026-01-01
products: [personal, SALARY_ADVANCE]
language: en
---
# Personal Loan

A loan for anything you need.

## Fees

Late fee: TT$100.

### Late fees

Charged after a 5-day grace period.

```
# not a heading inside code
```

## Paying early
No early settlement fee.
"""


def test_markdown_front_matter_and_heading_paths() -> None:
    document = parse_document("personal-loan.md", MARKDOWN)
    assert document.title == "Personal Loan"
    assert document.format == "md"
    assert document.effective == dt.date(2026, 1, 1)
    assert document.products == ("PERSONAL", "SALARY_ADVANCE")
    assert document.language == "en"
    assert [s.path for s in document.sections] == [
        (), ("Fees",), ("Fees", "Late fees"), ("Paying early",),
    ]
    assert document.sections[0].text == "A loan for anything you need."
    assert "# not a heading inside code" in document.sections[2].text


def test_markdown_without_front_matter_takes_the_first_h1_and_english() -> None:
    document = parse_document("faq.md", b"# Questions\n\nIntro.\n\n## Who\n\nAnyone.\n")
    assert document.title == "Questions"
    assert document.language == "en"
    assert document.products == ()
    assert document.effective is None
    assert document.sections == [Section((), "Intro."), Section(("Who",), "Anyone.")]


def test_html_title_language_meta_headings_lists_and_tables() -> None:
    html = b"""<!doctype html><html lang="es-TT"><head><title>Preguntas</title>
    <meta name="products" content="AUTO, personal"><meta name="effective" content="2026-02-01">
    <style>p { color: red }</style><script>alert("x")</script></head>
    <body><h1>Preguntas</h1><p>Bienvenido.</p>
    <h2>Pagos</h2><ul><li>Cuota mensual</li><li>Sin multa</li></ul>
    <h3>Tarifas</h3><table><tr><th>Tarifa</th><th>Monto</th></tr>
    <tr><td>Mora</td><td>TT$100</td></tr></table></body></html>"""
    document = parse_document("preguntas.html", html)
    assert document.title == "Preguntas"
    assert document.language == "es"
    assert document.products == ("AUTO", "PERSONAL")
    assert document.effective == dt.date(2026, 2, 1)
    assert document.sections == [
        Section((), "Bienvenido."),
        Section(("Pagos",), "- Cuota mensual\n- Sin multa"),
        Section(("Pagos", "Tarifas"), "Tarifa | Monto\nMora | TT$100"),
    ]


def test_text_title_from_a_short_first_line() -> None:
    document = parse_document("notes.txt", b"Branch hours\n\nMonday to Friday, 8 to 4.\n")
    assert document.title == "Branch hours"
    assert document.sections == [Section((), "Monday to Friday, 8 to 4.")]
    untitled = parse_document("branch_hours.txt", b"Monday to Friday, 8 to 4.\n")
    assert untitled.title == "Branch hours"


def test_pdf_text_layer_one_section_per_page() -> None:
    data = make_pdf(["Hardship help is available.", "Call us on 555-0100."], title="Hardship")
    document = parse_document("hardship.pdf", data)
    assert document.title == "Hardship"
    assert [s.path for s in document.sections] == [("Page 1",), ("Page 2",)]
    assert document.sections[1].text == "Call us on 555-0100."


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("empty.md", b"  \n", "empty.md: the file is empty"),
        ("broken.pdf", b"%PDF-1.7 this is not really a pdf", "broken.pdf: the PDF could not"),
        ("scan.pdf", make_pdf(["", ""]), "scan.pdf: the PDF has no text layer"),
        ("only-meta.md", b"---\ntitle: X\n---\n", "only-meta.md: the file has no text"),
        ("sheet.xlsx", b"PK\x03\x04", "sheet.xlsx: unsupported file type"),
        ("latin.txt", "caf\u00e9".encode("latin-1"), "latin.txt: the file is not UTF-8"),
        ("bad.md", b"---\ntitle: [unclosed\n---\ntext", "bad.md: the front matter is not valid"),
        ("list.md", b"---\n- a\n- b\n---\ntext", "list.md: the front matter must be a mapping"),
        ("date.md", b"---\neffective: soon\n---\ntext", "date.md: effective date 'soon'"),
        ("code.md", b"---\nproducts: [a b]\n---\ntext", "code.md: 'A B' is not a product code"),
        ("lang.md", b"---\nlanguage: English!\n---\ntext", "lang.md: 'English!' is not a lang"),
    ],
)
def test_unreadable_files_raise_a_clear_error(filename: str, data: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message.replace("(", r"\(")):
        parse_document(filename, data)
