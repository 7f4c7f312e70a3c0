"""The loan agreement: its headline figures, and a PDF whose text carries the exact numbers."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from core.applications.agreement import (
    AgreementData,
    AgreementFee,
    FeeTreatment,
    HirePurchaseGoods,
    agreement_figures,
    annual_percentage_rate,
    format_rate,
    render_agreement,
)
from core.errors import ValidationError
from core.loans.schedule import build_schedule
from core.loans.terms import LoanTerms
from core.money import Money

PROCESSING = AgreementFee("Processing fee", Money.of("200"), FeeTreatment.FINANCED)
STAMP = AgreementFee("Stamp duty", Money.of("50"), FeeTreatment.UPFRONT)
ADMIN = AgreementFee("Admin fee", Money.of("100"), FeeTreatment.DEDUCTED)


def terms(**changes: object) -> LoanTerms:
    values: dict[str, object] = {"principal": Money.of("10000"), "annual_rate": Decimal("0.12"),
                                 "term": 12, "start_date": date(2025, 3, 1)}
    return LoanTerms(**{**values, **changes})  # type: ignore[arg-type]


def data(**changes: object) -> AgreementData:
    values: dict[str, object] = {
        "reference": "APP-000123", "version": 1, "issued_on": date(2025, 3, 1),
        "lender_name": "Island Credit Union & Partners", "borrower_name": "Ana Pérez",
        "customer_number": "CU-000042", "product_name": "Personal loan",
        "schedule": build_schedule(terms(financed_fees=Money.of("200"))),
        "fees": (PROCESSING, STAMP, ADMIN), "apr": Decimal("0.2037"),
    }
    return AgreementData(**{**values, **changes})  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_headline_figures_count_every_fee_once() -> None:
    figures = agreement_figures(data())
    assert figures.amount_of_credit == Money.of("9900.00")  # 10,000 less the deducted 100
    assert figures.amount_financed == Money.of("10200.00")  # plus the financed 200
    assert figures.total_interest == Money.of("675.07")
    assert figures.total_fees == Money.of("350.00")
    assert figures.total_payable == Money.of("10925.07")  # 10,875.07 instalments + 50 stamp
    assert figures.cost_of_credit == Money.of("1025.07")  # 675.07 interest + 350 fees


def test_apr_counts_deducted_and_upfront_fees_as_cost() -> None:
    plain = build_schedule(terms())
    assert annual_percentage_rate(plain) == Decimal("0.1268")  # 1% a month: 1.01^12 − 1
    financed = build_schedule(terms(financed_fees=Money.of("200")))
    assert annual_percentage_rate(financed, [PROCESSING]) == Decimal("0.1697")
    assert annual_percentage_rate(financed, [PROCESSING, STAMP, ADMIN]) == Decimal("0.2037")


def test_pdf_text_carries_every_schedule_figure_and_total() -> None:
    pdf = render_agreement(data())
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF")
    for expected in [
        "Loan agreement APP-000123", "Island Credit Union & Partners", "Ana Pérez",
        "CU-000042", "Personal loan", "TTD 10,000.00", "Paid out to you", "TTD 9,900.00",
        "Amount financed", "TTD 10,200.00", "12.00%", "20.37%", "12 monthly instalments",
        "TTD 906.26 (the last is TTD 906.21)",
        "Processing fee", "added to the loan and repaid in the instalments",
        "Stamp duty", "paid by you before the loan is paid out", "Admin fee",
        "deducted from the amount paid out to you",
        "the first due on 1 April 2025 and the last on 1 March 2026",
        "Total interest", "TTD 675.07", "Total fees", "TTD 350.00",
        "Total cost of credit", "TTD 1,025.07", "Total amount payable", "TTD 10,925.07",
        "Key terms", "Acceptance", "six-digit code",
    ]:
        assert expected in text, expected
    rows = data().schedule.instalments
    lines = text.splitlines()
    for row in rows:
        cells = [str(row.number), row.due_date.isoformat(), f"{row.opening_principal.amount:,}",
                 f"{row.principal.amount:,}", f"{row.interest.amount:,}",
                 f"{row.total.amount:,}", f"{row.closing_principal.amount:,}"]
        start = lines.index(row.due_date.isoformat()) - 1
        assert lines[start:start + 7] == cells
    assert ["1", "2025-04-01", "10,200.00", "804.26", "102.00", "906.26", "9,395.74"] == (
        lines[lines.index("2025-04-01") - 1:lines.index("2025-04-01") + 6])
    assert ["12", "2026-03-01", "897.24", "897.24", "8.97", "906.21", "0.00"] == (
        lines[lines.index("2026-03-01") - 1:lines.index("2026-03-01") + 6])
    total_at = lines.index("Total")
    assert lines[total_at:total_at + 4] == ["Total", "10,200.00", "675.07", "10,875.07"]


def test_rendering_is_deterministic() -> None:
    assert render_agreement(data()) == render_agreement(data())


def test_no_fees_no_apr_and_hire_purchase_goods() -> None:
    goods = HirePurchaseGoods("Cool Appliances Ltd", "Refrigerator", Money.of("12000"),
                              Money.of("2000"))
    text = pdf_text(render_agreement(data(
        schedule=build_schedule(terms()), fees=(), apr=None, goods=goods, purpose="Kitchen"
    )))
    assert "No fees are charged on this loan." in text
    assert "Annual percentage rate" not in text and "Paid out to you" not in text
    for expected in ["Refrigerator from Cool Appliances Ltd", "TTD 12,000.00", "TTD 2,000.00",
                     "Kitchen", "TTD 888.49 (the last is TTD 888.47)", "TTD 10,661.86"]:
        assert expected in text, expected


def test_a_long_schedule_runs_over_pages_with_its_heading_repeated() -> None:
    long = build_schedule(terms(term=60))
    text = pdf_text(render_agreement(data(schedule=long, fees=(), apr=None)))
    assert "60 monthly instalments" in text and "2030-03-01" in text
    assert text.count("Opening balance") >= 2
    assert "page 3" in text


@pytest.mark.parametrize(
    ("fees", "message"),
    [((), "do not match the schedule"),
     ((PROCESSING, AgreementFee("Admin", Money.of("10000"), FeeTreatment.DEDUCTED)),
      "cannot take all of it"),
     ((PROCESSING, AgreementFee("Odd", Money.of("1", "USD"), FeeTreatment.UPFRONT)),
      "in TTD"),
     ((PROCESSING, AgreementFee("Odd", Money.of("-1"), FeeTreatment.UPFRONT)), "non-negative")],
)
def test_fees_that_do_not_add_up_are_refused(
    fees: tuple[AgreementFee, ...], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        render_agreement(data(fees=fees))


@pytest.mark.parametrize(
    ("rate", "text"),
    [(Decimal("0.12"), "12.00%"), (Decimal("0.125"), "12.50%"), (Decimal("0.12345"), "12.345%"),
     (Decimal("0"), "0.00%"), (Decimal("1.5"), "150.00%")],
)
def test_format_rate(rate: Decimal, text: str) -> None:
    assert format_rate(rate) == text
