"""The borrower's pay page at `/pay/{reference}`.

With the sandbox provider it is the payment page itself: "Pay" posts a signed sandbox webhook
through the same path as a provider's. With Stripe it is where checkout returns the borrower,
showing whether the payment has been confirmed.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from admin.api.payments import WiringDep, accept_webhook
from admin.deps import SessionDep
from core.errors import NotFoundError
from core.money import Money
from core.payments.models import IntentStatus, PaymentIntent
from core.payments.sandbox_provider import SandboxProvider
from core.payments.service import get_intent

router = APIRouter(tags=["pay page"], include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
.note{{color:#8a5a00;background:#fff4d6;padding:.5rem .75rem;border-radius:.4rem}}
button{{font-size:1.1rem;padding:.6rem 1.6rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status_code)


def _amount(intent: PaymentIntent) -> str:
    return escape(str(Money(intent.amount, intent.currency)))


def _payable(intent: PaymentIntent, now: dt.datetime) -> bool:
    fresh = intent.expires_at is None or intent.expires_at > now
    return intent.status is IntentStatus.CREATED and fresh


async def _intent(session: SessionDep, reference: str) -> PaymentIntent | None:
    try:
        return await get_intent(session, reference=reference)
    except NotFoundError:
        return None


@router.get("/pay/{reference}", response_class=HTMLResponse)
async def show(reference: str, session: SessionDep, wiring: WiringDep) -> HTMLResponse:
    intent = await _intent(session, reference)
    if intent is None:
        return _page("Payment link not found", "<p>Please check the link you were sent.</p>", 404)
    amount, what = _amount(intent), escape(intent.description)
    if intent.status is IntentStatus.PAID:
        return _page("Paid, thank you", f"<p>We received {amount} for {what}.</p>")
    if not _payable(intent, dt.datetime.now(dt.UTC)):
        return _page("This link can no longer be used",
                     "<p>Please ask us for a new payment link.</p>", 410)
    if not isinstance(wiring.provider, SandboxProvider):
        url = escape(intent.link_url or "", quote=True)
        return _page("Confirming your payment",
                     f"<p>If you have paid {amount}, thank you: we are confirming it. "
                     f"If not, <a href=\"{url}\">continue to payment</a>.</p>")
    return _page(
        f"Pay {Money(intent.amount, intent.currency)}",
        f"<p class=\"note\">Sandbox: no real money moves.</p><p>{what}</p>"
        f"<form method=\"post\"><button type=\"submit\">Pay {amount}</button></form>",
    )


@router.post("/pay/{reference}", response_class=HTMLResponse)
async def pay(reference: str, session: SessionDep, wiring: WiringDep) -> HTMLResponse:
    provider = wiring.provider
    intent = await _intent(session, reference)
    if intent is None or not isinstance(provider, SandboxProvider):
        return _page("Payment link not found", "<p>Please check the link you were sent.</p>", 404)
    if not _payable(intent, dt.datetime.now(dt.UTC)):
        return _page("This link can no longer be used",
                     "<p>Please ask us for a new payment link.</p>", 410)
    payload, headers = provider.payment_webhook(
        reference=intent.reference, amount=Money(intent.amount, intent.currency)
    )
    await accept_webhook(session, wiring, provider.name, payload, headers)
    return _page("Payment received",
                 f"<p>Thank you. Your payment of {_amount(intent)} was received and will be "
                 "applied to your loan shortly.</p>")
