"""Posting rules as worked examples with exact numbers, and the balance every rule keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.errors import UnbalancedEntry, ValidationError
from core.ledger import rules
from core.ledger.chart import CHART, AccountCode
from core.ledger.lines import Line, check_balanced, payload_hash
from core.ledger.models import AccountType
from core.ledger.rules import ChargeKind, PayoutTo, ReceivedInto
from core.money import Money

LOAN = 42


def m(value: str) -> Money:
    return Money.of(value)


def book(lines: list[Line]) -> list[tuple[str, str, str]]:
    """Lines as (account, Dr/Cr, amount), the way an accountant reads an entry."""
    return [
        (line.account, "Dr" if line.is_debit else "Cr", f"{line.amount.amount:,}") for line in lines
    ]


def test_disbursement_of_10000_with_a_2_percent_deducted_fee() -> None:
    lines = rules.disbursement(
        loan_id=LOAN, principal=m("10000.00"), deducted_fee=m("10000.00").times(Decimal("0.02"))
    )
    assert book(lines) == [
        ("1210", "Dr", "10,000.00"),
        ("1110", "Cr", "9,800.00"),
        ("4210", "Cr", "200.00"),
    ]
    assert {line.loan_id for line in lines} == {LOAN}


def test_disbursement_with_a_financed_fee_adds_the_fee_to_principal_owed() -> None:
    lines = rules.disbursement(loan_id=LOAN, principal=m("10000.00"), financed_fee=m("300.00"))
    assert book(lines) == [
        ("1210", "Dr", "10,000.00"),
        ("1210", "Dr", "300.00"),
        ("1110", "Cr", "10,000.00"),
        ("4210", "Cr", "300.00"),
    ]


def test_hire_purchase_is_paid_to_the_merchant_through_merchant_payable() -> None:
    lines = rules.disbursement(loan_id=LOAN, principal=m("4500.00"), paid_to=PayoutTo.MERCHANT)
    assert book(lines) == [("1210", "Dr", "4,500.00"), ("2200", "Cr", "4,500.00")]
    assert book(rules.merchant_settlement(amount=m("4500.00"), loan_id=LOAN)) == [
        ("2200", "Dr", "4,500.00"),
        ("1110", "Cr", "4,500.00"),
    ]


def test_a_late_fee_is_a_penalty_and_a_servicing_fee_is_a_fee() -> None:
    assert book(rules.charge(loan_id=LOAN, amount=m("150.00"), kind=ChargeKind.PENALTY)) == [
        ("1240", "Dr", "150.00"),
        ("4300", "Cr", "150.00"),
    ]
    assert book(rules.charge(loan_id=LOAN, amount=m("25.00"), kind=ChargeKind.FEE)) == [
        ("1230", "Dr", "25.00"),
        ("4220", "Cr", "25.00"),
    ]


def test_repayment_of_1000_split_over_penalties_fees_interest_principal_and_overpayment() -> None:
    lines = rules.repayment(
        loan_id=LOAN,
        received=m("1000.00"),
        penalties=m("150.00"),
        fees=m("25.00"),
        interest=m("300.00"),
        principal=m("500.00"),
        overpayment=m("25.00"),
    )
    assert book(lines) == [
        ("1120", "Dr", "1,000.00"),
        ("1240", "Cr", "150.00"),
        ("1230", "Cr", "25.00"),
        ("1220", "Cr", "300.00"),
        ("1210", "Cr", "500.00"),
        ("2100", "Cr", "25.00"),
    ]


def test_repayment_into_the_bank_and_out_of_a_credit_balance() -> None:
    bank = rules.repayment(
        loan_id=LOAN, received=m("80.00"), interest=m("80.00"), received_into=ReceivedInto.BANK
    )
    assert book(bank) == [("1110", "Dr", "80.00"), ("1220", "Cr", "80.00")]
    credit = rules.repayment(
        loan_id=LOAN,
        received=m("25.00"),
        principal=m("25.00"),
        received_into=ReceivedInto.CUSTOMER_CREDIT,
    )
    assert book(credit) == [("2100", "Dr", "25.00"), ("1210", "Cr", "25.00")]


def test_a_repayment_split_that_does_not_add_up_is_refused() -> None:
    expected = r"split \(TTD 999\.99\) must add up to the amount received \(TTD 1,000\.00\)"
    with pytest.raises(UnbalancedEntry, match=expected):
        rules.repayment(
            loan_id=LOAN, received=m("1000.00"), interest=m("300.00"), principal=m("699.99")
        )
    with pytest.raises(ValidationError, match="cannot create an overpayment"):
        rules.repayment(
            loan_id=LOAN,
            received=m("30.00"),
            principal=m("20.00"),
            overpayment=m("10.00"),
            received_into=ReceivedInto.CUSTOMER_CREDIT,
        )


def test_interest_accrual() -> None:
    assert book(rules.interest_accrual(loan_id=LOAN, amount=m("123.45"))) == [
        ("1220", "Dr", "123.45"),
        ("4100", "Cr", "123.45"),
    ]


def test_write_off_charges_principal_to_the_allowance_and_the_rest_to_expense() -> None:
    lines = rules.write_off(
        loan_id=LOAN,
        principal=m("6000.00"),
        interest=m("400.00"),
        fees=m("50.00"),
        penalties=m("150.00"),
    )
    assert book(lines) == [
        ("1290", "Dr", "6,000.00"),
        ("5200", "Dr", "600.00"),
        ("1210", "Cr", "6,000.00"),
        ("1220", "Cr", "400.00"),
        ("1230", "Cr", "50.00"),
        ("1240", "Cr", "150.00"),
    ]


def test_write_off_with_a_smaller_allowance_sends_the_shortfall_to_expense() -> None:
    lines = rules.write_off(
        loan_id=LOAN, principal=m("6000.00"), interest=m("400.00"), allowance_used=m("4000.00")
    )
    assert book(lines) == [
        ("1290", "Dr", "4,000.00"),
        ("5200", "Dr", "2,400.00"),
        ("1210", "Cr", "6,000.00"),
        ("1220", "Cr", "400.00"),
    ]
    with pytest.raises(ValidationError, match="exceeds the amount written off"):
        rules.write_off(loan_id=LOAN, principal=m("100.00"), allowance_used=m("100.01"))


def test_recovery_after_write_off() -> None:
    assert book(rules.recovery(loan_id=LOAN, amount=m("250.00"))) == [
        ("1110", "Dr", "250.00"),
        ("4400", "Cr", "250.00"),
    ]


def test_provision_books_the_change_in_the_allowance_either_way() -> None:
    raise_it = rules.provision(current_allowance=m("1000.00"), required_allowance=m("1750.00"))
    assert book(raise_it) == [("5100", "Dr", "750.00"), ("1290", "Cr", "750.00")]
    release = rules.provision(current_allowance=m("1750.00"), required_allowance=m("1200.00"))
    assert book(release) == [("1290", "Dr", "550.00"), ("5100", "Cr", "550.00")]
    assert rules.provision(current_allowance=m("5.00"), required_allowance=m("5.00")) == []


def test_settlement_forgiveness() -> None:
    lines = rules.forgiveness(loan_id=LOAN, interest=m("200.00"), penalties=m("150.00"))
    assert book(lines) == [
        ("5300", "Dr", "350.00"),
        ("1220", "Cr", "200.00"),
        ("1240", "Cr", "150.00"),
    ]
    with pytest.raises(ValidationError, match="must forgive something"):
        rules.forgiveness(loan_id=LOAN)


def test_clearing_settlement_and_credit_refund() -> None:
    assert book(rules.clearing_settlement(gross=m("10000.00"), provider_fee=m("290.00"))) == [
        ("1110", "Dr", "9,710.00"),
        ("5400", "Dr", "290.00"),
        ("1120", "Cr", "10,000.00"),
    ]
    assert book(rules.credit_refund(loan_id=LOAN, amount=m("25.00"))) == [
        ("2100", "Dr", "25.00"),
        ("1110", "Cr", "25.00"),
    ]


def test_capitalising_arrears_moves_them_into_principal() -> None:
    lines = rules.capitalisation(loan_id=LOAN, interest=m("310.50"), penalties=m("100.00"))
    assert book(lines) == [
        ("1210", "Dr", "410.50"),
        ("1220", "Cr", "310.50"),
        ("1240", "Cr", "100.00"),
    ]
    assert rules.capitalisation(loan_id=LOAN) == []
    assert rules.capitalisation(loan_id=LOAN, fees=m("0.00")) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rules.interest_accrual(loan_id=1, amount=m("0.00")), "must be positive"),
        (
            lambda: rules.charge(loan_id=1, amount=m("-5.00"), kind=ChargeKind.FEE),
            "must be positive",
        ),
        (
            lambda: rules.disbursement(loan_id=1, principal=m("100.00"), deducted_fee=m("100.00")),
            "nothing of TTD 100.00 to pay out",
        ),
        (
            lambda: rules.repayment(loan_id=1, received=m("10.00"), fees=m("-1.00")),
            "cannot be negative",
        ),
        (
            lambda: rules.repayment(loan_id=1, received=m("10.00"), fees=Money.of("10.00", "USD")),
            "in USD, not TTD",
        ),
        (
            lambda: rules.clearing_settlement(gross=m("10.00"), provider_fee=m("10.01")),
            "more than the TTD 10.00 settled",
        ),
    ],
)
def test_bad_amounts_are_refused_with_a_readable_message(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        call()


cents = st.integers(min_value=0, max_value=10**9).map(lambda c: Money(Decimal(c).scaleb(-2)))
positive = cents.filter(lambda a: a.is_positive())


@given(principal=positive, deducted=cents, financed=cents)
def test_every_disbursement_balances(principal: Money, deducted: Money, financed: Money) -> None:
    assume(deducted < principal)
    lines = rules.disbursement(
        loan_id=1, principal=principal, deducted_fee=deducted, financed_fee=financed
    )
    assert check_balanced(lines) == principal + financed


@given(parts=st.lists(cents, min_size=5, max_size=5), into=st.sampled_from(list(ReceivedInto)))
def test_every_repayment_split_balances(parts: list[Money], into: ReceivedInto) -> None:
    penalties, fees, interest, principal, overpayment = parts
    if into is ReceivedInto.CUSTOMER_CREDIT:
        overpayment = Money.zero()
    received = penalties + fees + interest + principal + overpayment
    assume(received.is_positive())
    lines = rules.repayment(
        loan_id=1,
        received=received,
        penalties=penalties,
        fees=fees,
        interest=interest,
        principal=principal,
        overpayment=overpayment,
        received_into=into,
    )
    assert check_balanced(lines) == received


@given(amounts=st.lists(cents, min_size=4, max_size=4), cover=cents)
def test_every_write_off_forgiveness_and_capitalisation_balances(
    amounts: list[Money], cover: Money
) -> None:
    principal, interest, fees, penalties = amounts
    written = principal + interest + fees + penalties
    assume(written.is_positive() and cover <= written)
    lines = rules.write_off(
        loan_id=1,
        principal=principal,
        interest=interest,
        fees=fees,
        penalties=penalties,
        allowance_used=cover,
    )
    assert check_balanced(lines) == written
    lines = rules.forgiveness(
        loan_id=1, principal=principal, interest=interest, fees=fees, penalties=penalties
    )
    assert check_balanced(lines) == written
    arrears = interest + fees + penalties
    lines = rules.capitalisation(loan_id=1, interest=interest, fees=fees, penalties=penalties)
    assert (check_balanced(lines) if lines else Money.zero()) == arrears


@given(current=cents, required=cents)
def test_every_provision_moves_the_allowance_by_the_difference(
    current: Money, required: Money
) -> None:
    lines = rules.provision(current_allowance=current, required_allowance=required)
    if current == required:
        assert lines == []
    else:
        assert check_balanced(lines) == current.max(required) - current.min(required)


def test_chart_numbering_gives_each_account_its_type_and_every_code_a_spec() -> None:
    assert {spec.code for spec in CHART} == set(AccountCode)
    by_code = {spec.code: spec for spec in CHART}
    assert by_code[AccountCode.ALLOWANCE_FOR_LOAN_LOSSES].is_contra
    assert by_code[AccountCode.LOANS_PRINCIPAL].type is AccountType.ASSET
    assert by_code[AccountCode.CUSTOMER_CREDIT_BALANCES].type is AccountType.LIABILITY
    assert by_code[AccountCode.RECOVERIES_INCOME].type is AccountType.INCOME
    seen: set[AccountCode] = set()
    for spec in CHART:
        assert spec.parent is None or (spec.parent in seen and by_code[spec.parent].is_group)
        seen.add(spec.code)


def test_a_line_has_exactly_one_positive_side() -> None:
    with pytest.raises(ValidationError, match="either a debit or a credit"):
        Line("1110", debit=m("1.00"), credit=m("1.00"))
    with pytest.raises(ValidationError, match="either a debit or a credit"):
        Line("1110")
    with pytest.raises(ValidationError, match="must be positive"):
        Line.dr("1110", m("0.00"))
    with pytest.raises(ValidationError, match="needs an account code"):
        Line.cr("  ", m("1.00"))
    assert Line.dr(AccountCode.BANK_OPERATING, m("5.00")).mirrored() == Line.cr("1110", m("5.00"))


def test_check_balanced_refuses_short_unbalanced_and_mixed_entries() -> None:
    with pytest.raises(UnbalancedEntry, match="at least two lines; this one has 1"):
        check_balanced([Line.dr("1110", m("5.00"))])
    with pytest.raises(UnbalancedEntry, match=r"differ by TTD 0.01"):
        check_balanced([Line.dr("1110", m("5.01")), Line.cr("3100", m("5.00"))])
    with pytest.raises(ValidationError, match="one currency"):
        check_balanced([Line.dr("1110", m("5.00")), Line.cr("3100", Money.of("5.00", "USD"))])


def test_payload_hash_ignores_line_order_but_not_content() -> None:
    day = dt.date(2026, 3, 1)
    a, b = Line.dr("1110", m("5.00"), loan_id=7), Line.cr("3100", m("5.00"))

    def digest(lines: list[Line], *, on: dt.date = day) -> str:
        return payload_hash(
            effective_date=on,
            lines=lines,
            description="Capital",
            source_type=None,
            source_id=None,
            reverses_entry_id=None,
        )

    assert digest([a, b]) == digest([b, a])
    assert digest([a, b]) != digest([a, b], on=day + dt.timedelta(days=1))
    assert digest([a, b]) != digest([Line.dr("1110", m("5.00"), loan_id=8), b])
    assert digest([a, b]) != digest([Line.dr("1110", m("6.00")), Line.cr("3100", m("6.00"))])
