"""Posting rules: loan events turned into balanced entry lines. Pure: no database, no clock.

Each rule takes `Money` amounts (keyword-only; optional amounts default to zero), refuses a
negative amount with `ValidationError`, leaves out zero lines and returns lines that balance.
Every line carries the loan's id so `gl_balances_by_loan` can drill down. Post the result
with `core.ledger.posting.post_entry`. The T-accounts below show which side each amount
goes to; docs/ledger.md has worked examples.
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import UnbalancedEntry, ValidationError
from core.ledger.chart import AccountCode as C
from core.ledger.lines import Line
from core.money import Money, total


class PayoutTo(StrEnum):
    """Who receives a disbursement: the borrower's bank account or a hire-purchase merchant."""

    BORROWER = "borrower"
    MERCHANT = "merchant"


class ReceivedInto(StrEnum):
    """Where money from the borrower lands."""

    CLEARING = "clearing"
    """The payment provider's clearing account, settled to the bank later."""
    BANK = "bank"
    """Straight into the operating bank account (transfer, cash deposit)."""
    CUSTOMER_CREDIT = "customer_credit"
    """Applied from the borrower's credit balance (an earlier overpayment)."""


class ChargeKind(StrEnum):
    PENALTY = "penalty"
    """Late fees and penalty interest: 1240 / 4300."""
    FEE = "fee"
    """Servicing and other fees: 1230 / 4220."""


PAYOUT_ACCOUNT = {PayoutTo.BORROWER: C.BANK_OPERATING, PayoutTo.MERCHANT: C.MERCHANT_PAYABLE}
RECEIPT_ACCOUNT = {
    ReceivedInto.CLEARING: C.PAYMENT_CLEARING,
    ReceivedInto.BANK: C.BANK_OPERATING,
    ReceivedInto.CUSTOMER_CREDIT: C.CUSTOMER_CREDIT_BALANCES,
}
CHARGE_ACCOUNTS = {
    ChargeKind.PENALTY: (C.PENALTIES_RECEIVABLE, C.PENALTY_INCOME),
    ChargeKind.FEE: (C.FEES_RECEIVABLE, C.SERVICING_FEE_INCOME),
}


def _amount(value: Money | None, like: Money, what: str) -> Money:
    amount = Money.zero(like.currency) if value is None else value
    if amount.currency != like.currency:
        raise ValidationError(f"The {what} is in {amount.currency}, not {like.currency}.")
    if amount.is_negative():
        raise ValidationError(f"The {what} cannot be negative ({amount}).")
    return amount


def _positive(amount: Money, what: str) -> Money:
    if not amount.is_positive():
        raise ValidationError(f"The {what} must be positive, not {amount}.")
    return amount


def _dr(account: C, amount: Money, loan_id: int | None) -> list[Line]:
    return [Line.dr(account, amount, loan_id=loan_id)] if amount.is_positive() else []


def _cr(account: C, amount: Money, loan_id: int | None) -> list[Line]:
    return [Line.cr(account, amount, loan_id=loan_id)] if amount.is_positive() else []


def disbursement(
    *,
    loan_id: int,
    principal: Money,
    deducted_fee: Money | None = None,
    financed_fee: Money | None = None,
    paid_to: PayoutTo = PayoutTo.BORROWER,
) -> list[Line]:
    """A loan paid out. `principal` is the contract principal before any financed fee.

    A deducted fee is withheld from the payout; a financed fee is added to what the borrower
    owes (capitalised into principal). Both are recognised as origination income now.

                                                 Dr                  Cr
        1210 Loans receivable – principal        principal
                                                 financed fee
        1110 Bank (2200 if paid to a merchant)                       principal − deducted fee
        4210 Fee income – origination                                deducted + financed fee
    """
    _positive(principal, "principal disbursed")
    deducted = _amount(deducted_fee, principal, "deducted fee")
    financed = _amount(financed_fee, principal, "financed fee")
    if deducted >= principal:
        raise ValidationError(f"A fee of {deducted} would leave nothing of {principal} to pay out.")
    return [
        *_dr(C.LOANS_PRINCIPAL, principal, loan_id),
        *_dr(C.LOANS_PRINCIPAL, financed, loan_id),
        *_cr(PAYOUT_ACCOUNT[paid_to], principal - deducted, loan_id),
        *_cr(C.ORIGINATION_FEE_INCOME, deducted + financed, loan_id),
    ]


def merchant_settlement(*, amount: Money, loan_id: int | None = None) -> list[Line]:
    """A hire-purchase merchant paid what a disbursement owed them.

                                             Dr                  Cr
    2200 Disbursements payable – merchants   amount
    1110 Bank – operating                                        amount
    """
    _positive(amount, "merchant settlement")
    return [*_dr(C.MERCHANT_PAYABLE, amount, loan_id), *_cr(C.BANK_OPERATING, amount, loan_id)]


def charge(*, loan_id: int, amount: Money, kind: ChargeKind) -> list[Line]:
    """A fee or penalty charged to the loan (a late fee is `ChargeKind.PENALTY`).

                                             Dr                  Cr
    1240 Penalties (1230 Fees) receivable    amount
    4300 Penalty (4220 Servicing fee) income                     amount
    """
    receivable, income = CHARGE_ACCOUNTS[kind]
    _positive(amount, "charge")
    return [*_dr(receivable, amount, loan_id), *_cr(income, amount, loan_id)]


def repayment(
    *,
    loan_id: int,
    received: Money,
    penalties: Money | None = None,
    fees: Money | None = None,
    interest: Money | None = None,
    principal: Money | None = None,
    overpayment: Money | None = None,
    received_into: ReceivedInto = ReceivedInto.CLEARING,
) -> list[Line]:
    """A payment split over what the loan owes; the split is the servicing module's decision.

    The parts must add up to `received` (else `UnbalancedEntry`). Post interest accruals up to
    the payment date first, so the interest paid is already receivable.

                                                 Dr                  Cr
        1120 Clearing (1110 Bank, 2100 Credit)   received
        1240 Penalties receivable                                    penalties
        1230 Fees receivable                                         fees
        1220 Interest receivable                                     interest
        1210 Loans receivable – principal                            principal
        2100 Customer credit balances                                overpayment
    """
    _positive(received, "amount received")
    parts = [
        (C.PENALTIES_RECEIVABLE, _amount(penalties, received, "penalty part")),
        (C.FEES_RECEIVABLE, _amount(fees, received, "fee part")),
        (C.INTEREST_RECEIVABLE, _amount(interest, received, "interest part")),
        (C.LOANS_PRINCIPAL, _amount(principal, received, "principal part")),
        (C.CUSTOMER_CREDIT_BALANCES, _amount(overpayment, received, "overpayment")),
    ]
    split = total([amount for _, amount in parts], received.currency)
    if split != received:
        raise UnbalancedEntry(
            f"The repayment split ({split}) must add up to the amount received ({received})."
        )
    if received_into is ReceivedInto.CUSTOMER_CREDIT and parts[-1][1].is_positive():
        raise ValidationError("A payment out of the credit balance cannot create an overpayment.")
    return [
        *_dr(RECEIPT_ACCOUNT[received_into], received, loan_id),
        *[line for account, amount in parts for line in _cr(account, amount, loan_id)],
    ]


def clearing_settlement(*, gross: Money, provider_fee: Money | None = None) -> list[Line]:
    """The payment provider pays out its collected balance, less its fee, to the bank.

                                             Dr                  Cr
    1110 Bank – operating                    gross − fee
    5400 Payment processing fees             fee
    1120 Payment clearing (provider)                             gross
    """
    _positive(gross, "amount settled")
    fee = _amount(provider_fee, gross, "provider fee")
    if fee > gross:
        raise ValidationError(f"A provider fee of {fee} is more than the {gross} settled.")
    return [
        *_dr(C.BANK_OPERATING, gross - fee, None),
        *_dr(C.PAYMENT_PROCESSING_FEES, fee, None),
        *_cr(C.PAYMENT_CLEARING, gross, None),
    ]


def interest_accrual(*, loan_id: int, amount: Money) -> list[Line]:
    """Interest earned for a span of days, not yet paid.

                                             Dr                  Cr
    1220 Interest receivable                 amount
    4100 Interest income                                         amount
    """
    _positive(amount, "interest accrued")
    return [*_dr(C.INTEREST_RECEIVABLE, amount, loan_id), *_cr(C.INTEREST_INCOME, amount, loan_id)]


def write_off(
    *,
    loan_id: int,
    principal: Money,
    interest: Money | None = None,
    fees: Money | None = None,
    penalties: Money | None = None,
    allowance_used: Money | None = None,
) -> list[Line]:
    """Balances given up as uncollectable. Policy: the allowance absorbs principal.

    `allowance_used` (default: the principal) is charged to the allowance, which the
    provisioning built for this; the rest (uncovered principal and the interest, fees and
    penalties already taken to income) goes to write-off expense. Pass less than the
    principal when the loan's allowance is smaller; the next `provision` run trues it up.

                                                 Dr                  Cr
        1290 Allowance for loan losses           allowance used
        5200 Write-off expense                   total − allowance used
        1210 Loans receivable – principal                            principal
        1220 Interest receivable                                     interest
        1230 Fees receivable                                         fees
        1240 Penalties receivable                                    penalties
    """
    parts = [
        (C.LOANS_PRINCIPAL, _amount(principal, principal, "principal written off")),
        (C.INTEREST_RECEIVABLE, _amount(interest, principal, "interest written off")),
        (C.FEES_RECEIVABLE, _amount(fees, principal, "fees written off")),
        (C.PENALTIES_RECEIVABLE, _amount(penalties, principal, "penalties written off")),
    ]
    written_off = total([amount for _, amount in parts], principal.currency)
    from_allowance = _amount(
        allowance_used if allowance_used is not None else principal, principal, "allowance used"
    )
    if not written_off.is_positive():
        raise ValidationError("A write-off needs something to write off.")
    if from_allowance > written_off:
        raise ValidationError(
            f"The allowance used ({from_allowance}) exceeds the amount written off ({written_off})."
        )
    return [
        *_dr(C.ALLOWANCE_FOR_LOAN_LOSSES, from_allowance, loan_id),
        *_dr(C.WRITE_OFF_EXPENSE, written_off - from_allowance, loan_id),
        *[line for account, amount in parts for line in _cr(account, amount, loan_id)],
    ]


def recovery(
    *, loan_id: int, amount: Money, received_into: ReceivedInto = ReceivedInto.BANK
) -> list[Line]:
    """Money collected on a loan after it was written off.

                                             Dr                  Cr
    1110 Bank (1120 Clearing)                amount
    4400 Recoveries on written-off loans                         amount
    """
    _positive(amount, "amount recovered")
    return [
        *_dr(RECEIPT_ACCOUNT[received_into], amount, loan_id),
        *_cr(C.RECOVERIES_INCOME, amount, loan_id),
    ]


def provision(
    *, current_allowance: Money, required_allowance: Money, loan_id: int | None = None
) -> list[Line]:
    """Move the allowance from its current balance to the required one.

    Returns no lines when nothing changes (post nothing then). When the allowance rises:

                                                 Dr                  Cr
        5100 Provision for loan losses           increase
        1290 Allowance for loan losses                               increase

    When it falls, the same accounts on the opposite sides (a release).
    """
    current = _amount(current_allowance, required_allowance, "current allowance")
    required = _amount(required_allowance, required_allowance, "required allowance")
    if required == current:
        return []
    if required > current:
        increase = required - current
        return [
            *_dr(C.PROVISION_EXPENSE, increase, loan_id),
            *_cr(C.ALLOWANCE_FOR_LOAN_LOSSES, increase, loan_id),
        ]
    release = current - required
    return [
        *_dr(C.ALLOWANCE_FOR_LOAN_LOSSES, release, loan_id),
        *_cr(C.PROVISION_EXPENSE, release, loan_id),
    ]


def forgiveness(
    *,
    loan_id: int,
    principal: Money | None = None,
    interest: Money | None = None,
    fees: Money | None = None,
    penalties: Money | None = None,
) -> list[Line]:
    """Balances waived under a settlement agreement (the discount the borrower is given).

                                             Dr                  Cr
    5300 Settlement discounts and forgiveness  total forgiven
    1210 Loans receivable – principal                            principal
    1220 Interest receivable                                     interest
    1230 Fees receivable                                         fees
    1240 Penalties receivable                                    penalties
    """
    given = [amount for amount in (principal, interest, fees, penalties) if amount is not None]
    if not given:
        raise ValidationError("A settlement must forgive something.")
    like = given[0]
    parts = [
        (C.LOANS_PRINCIPAL, _amount(principal, like, "principal forgiven")),
        (C.INTEREST_RECEIVABLE, _amount(interest, like, "interest forgiven")),
        (C.FEES_RECEIVABLE, _amount(fees, like, "fees forgiven")),
        (C.PENALTIES_RECEIVABLE, _amount(penalties, like, "penalties forgiven")),
    ]
    forgiven = total([amount for _, amount in parts], like.currency)
    if not forgiven.is_positive():
        raise ValidationError("A settlement must forgive something.")
    return [
        *_dr(C.SETTLEMENT_DISCOUNT_EXPENSE, forgiven, loan_id),
        *[line for account, amount in parts for line in _cr(account, amount, loan_id)],
    ]


def capitalisation(
    *,
    loan_id: int,
    interest: Money | None = None,
    fees: Money | None = None,
    penalties: Money | None = None,
) -> list[Line]:
    """Interest, fees and penalties added to principal (a restructure capitalising arrears).

    Returns no lines when nothing is capitalised (post nothing then).

                                                 Dr                  Cr
        1210 Loans receivable – principal        total capitalised
        1220 Interest receivable                                     interest
        1230 Fees receivable                                         fees
        1240 Penalties receivable                                    penalties
    """
    given = [amount for amount in (interest, fees, penalties) if amount is not None]
    if not given:
        return []
    like = given[0]
    parts = [
        (C.INTEREST_RECEIVABLE, _amount(interest, like, "interest capitalised")),
        (C.FEES_RECEIVABLE, _amount(fees, like, "fees capitalised")),
        (C.PENALTIES_RECEIVABLE, _amount(penalties, like, "penalties capitalised")),
    ]
    capitalised = total([amount for _, amount in parts], like.currency)
    if not capitalised.is_positive():
        return []
    return [
        *_dr(C.LOANS_PRINCIPAL, capitalised, loan_id),
        *[line for account, amount in parts for line in _cr(account, amount, loan_id)],
    ]


def credit_refund(*, loan_id: int, amount: Money) -> list[Line]:
    """A credit balance (overpayment) paid back to the borrower.

                                             Dr                  Cr
    2100 Customer credit balances            amount
    1110 Bank – operating                                        amount
    """
    _positive(amount, "refund")
    return [
        *_dr(C.CUSTOMER_CREDIT_BALANCES, amount, loan_id),
        *_cr(C.BANK_OPERATING, amount, loan_id),
    ]
