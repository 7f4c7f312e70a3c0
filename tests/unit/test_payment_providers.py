"""Payment providers at their wire boundary: Stripe's HTTP requests (faked with respx) and
webhook signatures built by hand as Stripe builds them; the sandbox's own signatures."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
import respx
from pydantic import SecretStr

from core.errors import InvalidSignature, PaymentProviderError, ValidationError
from core.money import Money
from core.payments.provider import EventKind, from_minor_units, to_minor_units
from core.payments.sandbox_provider import SandboxProvider
from core.payments.stripe_provider import StripeProvider
from lendline.payments import make_provider
from lendline.settings import Settings
from tests.payments_support import (
    SESSIONS_URL,
    STRIPE_KEY,
    STRIPE_SECRET,
    mock_checkout,
    recorded,
    stripe_event,
    stripe_signature,
)

REF = "pay_abcDEF123"
T0 = dt.datetime(2025, 11, 21, 8, 0, tzinfo=dt.UTC)


def stripe() -> StripeProvider:
    return StripeProvider(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET, max_network_retries=0)


def sandbox(now: dt.datetime = T0, secret: str = "app-secret-" + "s" * 32) -> SandboxProvider:
    return SandboxProvider(base_url="https://pay.example.tt/", app_secret=secret, now=lambda: now)


def test_minor_units_are_exact() -> None:
    # float(150.29) * 100 is 15028.999..., which a float conversion would truncate to 15028.
    assert to_minor_units(Money.of("150.29")) == 15029
    assert to_minor_units(Money.of("0.29")) == 29
    assert to_minor_units(Money.of("1234567.89")) == 123456789
    assert to_minor_units(Money.of(500, "JPY")) == 500
    assert from_minor_units(15029, "ttd") == Money.of("150.29")
    with pytest.raises(ValidationError, match="Unknown currency 'xyz'"):
        from_minor_units(1, "xyz")


async def test_stripe_link_is_a_checkout_session_in_ttd_cents() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock_checkout(mock)
        link = await stripe().create_payment_link(
            reference=REF, amount=Money.of("150.29"), description="Loan 7 repayment",
            customer_email="asha.ramdial@example.tt", success_url=f"https://x.tt/pay/{REF}",
            metadata={"loan_id": "7", "customer_id": "42"},
        )
    request = route.calls.last.request
    assert (request.method, str(request.url)) == ("POST", SESSIONS_URL)
    assert request.headers["authorization"] == f"Bearer {STRIPE_KEY}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["idempotency-key"] == f"checkout-{REF}"
    assert dict(parse_qsl(request.content.decode())) == {
        "mode": "payment",
        "success_url": f"https://x.tt/pay/{REF}",
        "client_reference_id": REF,
        "customer_email": "asha.ramdial@example.tt",
        "metadata[loan_id]": "7",
        "metadata[customer_id]": "42",
        "metadata[lendline_reference]": REF,
        "payment_intent_data[metadata][loan_id]": "7",
        "payment_intent_data[metadata][customer_id]": "42",
        "payment_intent_data[metadata][lendline_reference]": REF,
        "payment_intent_data[description]": "Loan 7 repayment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "ttd",
        "line_items[0][price_data][unit_amount]": "15029",
        "line_items[0][price_data][product_data][name]": "Loan 7 repayment",
    }
    session = recorded("checkout_session_created")
    assert link.id == session["id"]
    assert link.url == session["url"]
    assert link.expires_at == dt.datetime(2025, 11, 22, 8, 0, tzinfo=dt.UTC)


async def test_stripe_refusal_becomes_a_provider_error() -> None:
    refusal = {"error": {"type": "invalid_request_error", "code": "amount_too_small",
                         "message": "Amount must convert to at least 50 cents."}}
    with respx.mock() as mock:
        mock.post(SESSIONS_URL).mock(return_value=httpx.Response(400, json=refusal))
        with pytest.raises(PaymentProviderError, match="at least 50 cents"):
            await stripe().create_payment_link(
                reference=REF, amount=Money.of("0.10"), description="Loan 7 repayment",
                customer_email=None, success_url="https://x.tt/", metadata={},
            )
    with respx.mock() as mock:
        mock.post(SESSIONS_URL).mock(side_effect=httpx.ConnectError("no route to host"))
        with pytest.raises(PaymentProviderError, match="could not create the payment link"):
            await stripe().create_payment_link(
                reference=REF, amount=Money.of("10.00"), description="Loan 7 repayment",
                customer_email=None, success_url="https://x.tt/", metadata={},
            )


def test_stripe_webhook_signed_as_stripe_signs_is_read() -> None:
    payload = stripe_event(REF)
    event = stripe().parse_webhook(payload, {"STRIPE-SIGNATURE": stripe_signature(payload)})
    assert event.event_id == "evt_1SVx3kJ2eZvKYlo2C4hQm8Rt"
    assert (event.type, event.kind) == ("checkout.session.completed", EventKind.PAYMENT_SUCCEEDED)
    assert event.reference == REF
    assert event.amount == Money.of("150.29")
    assert event.provider_payment_id == "pi_3SVx2fJ2eZvKYlo21Xb7Qw9E"
    assert event.occurred_at == dt.datetime(2025, 11, 21, 8, 3, 5, tzinfo=dt.UTC)
    assert event.payload["data"]["object"]["status"] == "complete"


@pytest.mark.parametrize(
    ("event_type", "payment_status", "kind"),
    [
        ("checkout.session.completed", "unpaid", EventKind.OTHER),
        ("checkout.session.async_payment_succeeded", "paid", EventKind.PAYMENT_SUCCEEDED),
        ("checkout.session.async_payment_failed", "unpaid", EventKind.PAYMENT_FAILED),
        ("checkout.session.expired", "unpaid", EventKind.LINK_EXPIRED),
        ("customer.created", "paid", EventKind.OTHER),
    ],
)
def test_stripe_event_kinds(event_type: str, payment_status: str, kind: EventKind) -> None:
    payload = stripe_event(REF, event_type=event_type, payment_status=payment_status)
    event = stripe().parse_webhook(payload, {"Stripe-Signature": stripe_signature(payload)})
    assert (event.type, event.kind) == (event_type, kind)


def test_stripe_webhook_forgeries_are_refused() -> None:
    provider, payload = stripe(), stripe_event(REF)
    forged = stripe_signature(payload, "whsec_someone_else")
    tampered = payload.replace(b'"amount_total": 15029', b'"amount_total": 15')
    stale = stripe_signature(payload, at=int(time.time()) - 301)
    cases = [
        ({}, "header is missing"),
        ({"Stripe-Signature": forged}, "No signatures found matching"),
        ({"Stripe-Signature": stripe_signature(payload)}, "No signatures found matching"),
        ({"Stripe-Signature": stale}, "Timestamp outside the tolerance zone"),
        ({"Stripe-Signature": "garbage"}, "Unable to extract timestamp"),
    ]
    bodies = [payload, payload, tampered, payload, payload]
    for body, (headers, message) in zip(bodies, cases, strict=True):
        with pytest.raises(InvalidSignature, match=message):
            provider.parse_webhook(body, headers)


def test_stripe_webhook_that_is_signed_but_malformed_is_refused() -> None:
    provider = stripe()
    for body, message in [
        (b'{"id": "evt_1", "type": ', "not a JSON event"),
        (b"[1, 2]", "not a JSON event"),
        (json.dumps({"id": "evt_1", "object": "event"}).encode(), "not a Stripe event"),
    ]:
        with pytest.raises(InvalidSignature, match=message):
            provider.parse_webhook(body, {"Stripe-Signature": stripe_signature(body)})


async def test_sandbox_link_points_at_our_pay_page() -> None:
    link = await sandbox().create_payment_link(
        reference=REF, amount=Money.of("150.29"), description="Loan 7 repayment",
        customer_email=None, success_url="ignored", metadata={},
    )
    assert link.url == f"https://pay.example.tt/pay/{REF}"
    assert link.id == f"sbx_{REF}"
    assert link.expires_at == T0 + dt.timedelta(hours=24)


def test_sandbox_webhook_round_trip() -> None:
    provider = sandbox()
    payload, headers = provider.payment_webhook(reference=REF, amount=Money.of("150.29"))
    assert set(headers) == {"Sandbox-Signature"}
    event = provider.parse_webhook(payload, headers)
    assert event.event_id == f"sbx_evt_{REF}"
    assert (event.type, event.kind) == ("payment.succeeded", EventKind.PAYMENT_SUCCEEDED)
    assert (event.reference, event.amount) == (REF, Money.of("150.29"))
    assert event.provider_payment_id == f"sbx_pay_{REF}"
    assert event.occurred_at == T0
    assert json.loads(payload)["data"]["amount"] == "150.29"


def test_sandbox_forgeries_are_refused() -> None:
    payload, headers = sandbox().payment_webhook(reference=REF, amount=Money.of("150.29"))
    tampered = payload.replace(b"150.29", b"1.29")
    cases = [
        (sandbox(secret="another-app-" + "x" * 32), payload, headers, "does not match"),
        (sandbox(), tampered, headers, "does not match"),
        (sandbox(now=T0 + dt.timedelta(minutes=6)), payload, headers, "too long ago"),
        (sandbox(), payload, {}, "header is missing"),
        (sandbox(), payload, {"sandbox-signature": "v1=abc"}, "malformed"),
    ]
    for provider, body, given, message in cases:
        with pytest.raises(InvalidSignature, match=message):
            provider.parse_webhook(body, given)
    unreadable = b'{"id": "sbx_evt_1", "type": "payment.succeeded", "created": 1}'
    provider = sandbox()
    signed = {"Sandbox-Signature": provider.signature(unreadable, timestamp=T0)}
    with pytest.raises(InvalidSignature, match="not a payment event"):
        provider.parse_webhook(unreadable, signed)


def test_stripe_runs_only_with_both_keys(tmp_path: Path) -> None:
    plain = Settings(_env_file=None, environment="test", data_dir=tmp_path,
                     secret_key="k" * 40)
    half = plain.model_copy(update={"stripe_api_key": SecretStr(STRIPE_KEY)})
    both = half.model_copy(update={"stripe_webhook_secret": SecretStr(STRIPE_SECRET)})
    assert isinstance(make_provider(plain), SandboxProvider)
    assert isinstance(make_provider(half), SandboxProvider)
    assert isinstance(make_provider(both), StripeProvider)
