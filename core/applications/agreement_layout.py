"""Page layout of the loan agreement: reportlab flowables for each template block.

`agreement.render_agreement` parses the template and calls `build`; the figures and their
rules live there. Cell amounts omit the currency, which the schedule's heading states.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.errors import ValidationError
from core.money import MINOR_UNITS, Money

if TYPE_CHECKING:
    from core.applications.agreement import AgreementData, AgreementFigures, Part
    from core.loans.schedule import Schedule


def format_rate(rate: Decimal) -> str:
    """A fraction as a percentage with at least two decimals: 0.125 → "12.50%"."""
    percent = (rate * 100).normalize()
    two_places = percent.quantize(Decimal("0.01"))
    return f"{two_places if two_places == percent else percent:f}%"


def amount(value: Money) -> str:
    """An amount without its currency, for table cells: 1,234.56."""
    return f"{value.amount:,.{MINOR_UNITS[value.currency]}f}"


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def build(data: AgreementData, figures: AgreementFigures, parts: Sequence[Part]) -> bytes:
    """The PDF: paragraphs and headings from `parts`, tables for its blocks."""
    styles = getSampleStyleSheet()
    styles["Heading2"].keepWithNext = 1
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, invariant=1, leftMargin=18 * mm, rightMargin=18 * mm,
        title=f"Loan agreement {data.reference}", author=data.lender_name,
    )
    story: list[Flowable] = []
    for kind, text in parts:
        if kind == "block":
            story.extend(_block(text, data, figures, styles))
        else:
            style = {"title": "Title", "heading": "Heading2"}.get(kind, "BodyText")
            story.append(Paragraph(text, styles[style]))

    def footer(canvas: Any, document: Any) -> None:
        canvas.setFont("Helvetica", 8)
        canvas.drawString(18 * mm, 10 * mm, f"Loan agreement {data.reference} · version "
                          f"{data.version} · page {document.page}")

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _block(
    name: str, data: AgreementData, figures: AgreementFigures, styles: StyleSheet1
) -> list[Flowable]:
    body = styles["BodyText"]
    if name == "summary":
        return [_pairs(_summary_rows(data, figures), body)]
    if name == "fees":
        if not data.fees:
            return [Paragraph("No fees are charged on this loan.", body)]
        rows = [[escape(f.name), str(f.amount), f.treatment.description] for f in data.fees]
        return [_grid([["Fee", "Amount", "How it is paid"], *rows], body)]
    if name == "schedule":
        return [_schedule_table(data.schedule, body)]
    if name == "totals":
        return [_pairs([
            ("Total interest", str(figures.total_interest)),
            ("Total fees", str(figures.total_fees)),
            ("Total cost of credit", str(figures.cost_of_credit)),
            ("Total amount payable", str(figures.total_payable)),
        ], body)]
    if name == "signature":
        return _signature(data, body)
    raise ValidationError(f"The agreement template names an unknown block [[{name}]].")


def _summary_rows(data: AgreementData, figures: AgreementFigures) -> list[tuple[str, str]]:
    terms, rows = data.schedule.terms, data.schedule.instalments
    summary = [("Product", escape(data.product_name))]
    if data.purpose:
        summary.append(("Purpose", escape(data.purpose)))
    if data.goods is not None:
        goods = data.goods
        summary += [("Goods", escape(f"{goods.description} from {goods.merchant}")),
                    ("Cash price", str(goods.price)), ("Down payment", str(goods.down_payment))]
    summary.append(("Loan amount", str(terms.principal)))
    if figures.amount_of_credit != terms.principal:
        summary.append(("Paid out to you", str(figures.amount_of_credit)))
    if figures.amount_financed != terms.principal:
        summary.append(("Amount financed", str(figures.amount_financed)))
    summary.append(("Nominal annual interest rate", format_rate(terms.annual_rate)))
    if data.apr is not None:
        summary.append(("Annual percentage rate (APR)", format_rate(data.apr)))
    summary.append(("Term", f"{terms.term} {terms.frequency.value} instalments"))
    amounts = [row.total for row in rows]
    if len(set(amounts)) == 1:
        summary.append(("Instalment", str(amounts[0])))
    elif len(set(amounts[:-1])) == 1:
        summary.append(("Instalment", f"{amounts[0]} (the last is {amounts[-1]})"))
    else:
        summary.append(("Instalment", "varies; see the repayment schedule"))
    summary.append(("Total amount payable", str(figures.total_payable)))
    return summary


def _schedule_table(schedule: Schedule, body: ParagraphStyle) -> Table:
    capitalised = schedule.totals.capitalised_interest.is_positive()
    header = ["No.", "Due date", "Opening balance", "Principal", "Interest", "Instalment",
              "Closing balance"]
    if capitalised:
        header.insert(3, "Capitalised")
    rows: list[list[str]] = []
    for row in schedule.instalments:
        cells = [str(row.number), row.due_date.isoformat(), amount(row.opening_principal),
                 amount(row.principal), amount(row.interest), amount(row.total),
                 amount(row.closing_principal)]
        if capitalised:
            cells.insert(3, amount(row.capitalised_interest))
        rows.append(cells)
    totals = schedule.totals
    last = ["Total", "", "", amount(totals.principal), amount(totals.interest),
            amount(totals.payable), ""]
    if capitalised:
        last.insert(3, amount(totals.capitalised_interest))
    table = Table([header, *rows, last], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8),
        ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
    ]))
    return table


def _signature(data: AgreementData, body: ParagraphStyle) -> list[Flowable]:
    note = Paragraph(
        "You accept this agreement by entering the six-digit code we send to your registered "
        "contact. The code expires after a few minutes and works once. We record the date, "
        "time, channel and address of your acceptance with this version of the agreement.",
        body,
    )
    pairs = [
        ("Borrower", escape(f"{data.borrower_name} (customer number {data.customer_number})")),
        ("Accepted on", "________________________"),
        ("Channel and address", "________________________"),
        ("For the lender", escape(data.lender_name)),
    ]
    return [note, Spacer(1, 4 * mm), _pairs(pairs, body)]


def _pairs(rows: Sequence[tuple[str, str]], body: ParagraphStyle) -> Table:
    table = Table([[Paragraph(f"<b>{k}</b>", body), Paragraph(v, body)] for k, v in rows],
                  colWidths=[60 * mm, 110 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _grid(rows: Sequence[Sequence[str]], body: ParagraphStyle) -> Table:
    cells = [[Paragraph(cell, body) for cell in row] for row in rows]
    table = Table(cells, colWidths=[50 * mm, 35 * mm, 85 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
