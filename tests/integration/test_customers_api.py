"""The staff customers API over HTTP: register, search, change, contacts, documents, consents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.customers import field_cipher
from core.crypto import FieldCipher
from lendline.settings import Settings
from tests.integration.rows import CUSTOMER_TABLES, row_counts

ASHA: dict[str, Any] = {
    "first_name": "Asha", "last_name": "Ramdial", "date_of_birth": "1988-07-02",
    "email": "asha@example.tt",
    "contacts": [{"channel": "whatsapp", "address": "+1 868 555 0101"},
                 {"channel": "sms", "address": "868 555 0101"}],
}


@pytest.fixture
async def client(api: httpx.AsyncClient, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The authenticated client with the app's cipher built from the test settings."""
    app = api._transport.app  # type: ignore[attr-defined]
    app.dependency_overrides[field_cipher] = lambda: FieldCipher(settings.resolved_secret_key())
    yield api


async def register(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json={**ASHA, **changes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_register_get_and_search(client: httpx.AsyncClient) -> None:
    asha = await register(client)
    assert asha["number"] == f"CU-{asha['id']:06d}"
    assert [(c["channel"], c["address"], c["display"], c["primary"]) for c in asha["contacts"]] == [
        ("sms", "+18685550101", "+1 868-555-0101", True),
        ("whatsapp", "+18685550101", "+1 868-555-0101", True),
    ]
    fetched = await client.get(f"/api/v1/customers/{asha['id']}")
    assert fetched.json() == asha
    found = await client.get("/api/v1/customers", params={"q": "(868) 555-0101"})
    assert [c["number"] for c in found.json()] == [asha["number"]]
    assert found.json()[0]["name"] == "Asha Ramdial"
    assert (await client.get("/api/v1/customers", params={"q": "nobody"})).json() == []


async def test_refusals_are_readable_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await register(client)
    before = await row_counts(session, CUSTOMER_TABLES)
    future = await client.post("/api/v1/customers", json={**ASHA, "date_of_birth": "2999-01-01"})
    assert future.status_code == 422
    assert future.json() == {"error": "invalid",
                             "detail": "The date of birth 01 January 2999 is in the future."}
    taken = await client.post("/api/v1/customers", json={**ASHA, "first_name": "Ravi"})
    assert taken.status_code == 409
    assert taken.json()["detail"] == (
        "+1 868-555-0101 is already registered to another customer on WhatsApp."
    )
    bad_phone = await client.post(
        "/api/v1/customers", json={**ASHA, "contacts": [{"channel": "sms", "address": "555"}]}
    )
    assert bad_phone.status_code == 422 and "not a valid phone number" in bad_phone.text
    assert await row_counts(session, CUSTOMER_TABLES) == before
    missing = await client.get("/api/v1/customers/999999")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "There is no customer with id 999999."
    anonymous = await client.get("/api/v1/customers/1", auth=None)
    assert anonymous.status_code == 401


async def test_patch_profile_and_status(client: httpx.AsyncClient, session: AsyncSession) -> None:
    asha = await register(client)
    url = f"/api/v1/customers/{asha['id']}"
    patched = await client.patch(url, json={"last_name": "Ramdial-Khan", "email": None})
    assert patched.status_code == 200
    assert patched.json()["last_name"] == "Ramdial-Khan" and patched.json()["email"] is None
    assert patched.json()["first_name"] == "Asha"
    before = await row_counts(session, CUSTOMER_TABLES)
    cleared = await client.patch(url, json={"first_name": None})
    assert cleared.status_code == 422
    assert cleared.json()["detail"] == "These fields cannot be cleared: first_name."
    assert await row_counts(session, CUSTOMER_TABLES) == before
    blocked = await client.post(f"{url}/status", json={"status": "blocked", "reason": "fraud"})
    assert blocked.json()["status"] == "blocked"


async def test_contact_points(client: httpx.AsyncClient) -> None:
    asha = await register(client)
    url = f"/api/v1/customers/{asha['id']}/contacts"
    added = await client.post(url, json={"channel": "voice", "address": "868-555-0102"})
    assert added.status_code == 201
    assert added.json()["address"] == "+18685550102" and added.json()["primary"] is True
    contact_id = added.json()["id"]
    verified = await client.post(f"{url}/{contact_id}/verify")
    assert verified.json()["verified"] is True
    assert (await client.delete(f"{url}/{contact_id}")).status_code == 204
    again = await client.delete(f"{url}/{contact_id}")
    assert again.status_code == 409 and again.json()["detail"] == (
        "That contact point was already removed."
    )
    summary = (await client.get(f"/api/v1/customers/{asha['id']}")).json()
    assert "voice" not in [c["channel"] for c in summary["contacts"]]


async def test_documents_are_masked_and_searchable(client: httpx.AsyncClient) -> None:
    asha = await register(client)
    url = f"/api/v1/customers/{asha['id']}/documents"
    added = await client.post(url, json={"document_type": "national_id",
                                         "number": "1988-0702-015"})
    assert added.status_code == 201
    assert added.json()["last4"] == "2015" and "19880702015" not in added.text
    found = await client.get("/api/v1/customers", params={"q": "19880702015"})
    assert [c["id"] for c in found.json()] == [asha["id"]]
    duplicate = await client.post(url, json={"document_type": "national_id",
                                             "number": "19880702015"})
    assert duplicate.status_code == 409
    summary = await client.get(f"/api/v1/customers/{asha['id']}")
    assert "19880702015" not in summary.text and summary.json()["documents"][0]["last4"] == "2015"


async def test_consents_keep_history(client: httpx.AsyncClient) -> None:
    asha = await register(client)
    url = f"/api/v1/customers/{asha['id']}/consents"
    for granted in (True, False):
        response = await client.post(url, json={"consent_type": "marketing", "channel": "sms",
                                                "granted": granted, "source": "branch form"})
        assert response.status_code == 201 and response.json()["granted"] is granted
    history = (await client.get(url)).json()
    assert [(c["consent_type"], c["channel"], c["granted"]) for c in history] == [
        ("marketing", "sms", True), ("marketing", "sms", False)
    ]
    current = (await client.get(f"/api/v1/customers/{asha['id']}")).json()["consents"]
    assert [(c["channel"], c["granted"]) for c in current] == [("sms", False)]
    refused = await client.post(url, json={"consent_type": "terms", "channel": "sms",
                                           "granted": True, "source": "web"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Only marketing consent is given per channel."
    assert (await client.get("/api/v1/customers/999999/consents")).status_code == 404


async def test_the_cipher_comes_from_the_app_settings(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    """Without an override the dependency builds the cipher once from `app.state.settings`,
    as the lifespan sets it; numbers written through it are found by the test cipher."""
    app = api._transport.app  # type: ignore[attr-defined]
    app.state.settings = settings
    asha = await register(api)
    added = await api.post(f"/api/v1/customers/{asha['id']}/documents",
                           json={"document_type": "passport", "number": "TB765432"})
    assert added.status_code == 201
    cipher = app.state.field_cipher
    assert isinstance(cipher, FieldCipher)
    assert cipher.lookup_hash("TB765432") == FieldCipher(
        settings.resolved_secret_key()
    ).lookup_hash("tb 765432")
    found = await api.get("/api/v1/customers", params={"q": "TB765432"})
    assert [c["id"] for c in found.json()] == [asha["id"]]
    assert app.state.field_cipher is cipher
