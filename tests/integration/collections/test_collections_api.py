"""The collections API over HTTP: supervisors run, report, assign and import; collectors
work their own cases; everyone else is kept out; refusals change nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.models import CollectionCase
from core.staff.models import Role, StaffUser
from tests.integration.collections.helpers import (
    FILE,
    case_of,
    collector,
    counts,
    month_end_loans,
)

PASSWORD = "collector-password"


def auth(user: StaffUser) -> tuple[str, str]:
    return (user.email, PASSWORD)


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("America/Port_of_Spain")).date()


async def delinquent(session: AsyncSession, api: httpx.AsyncClient) -> CollectionCase:
    (loan,) = await month_end_loans(session)
    ran = await api.post("/api/v1/collections/delinquency-runs", json={"as_of": "2024-02-10"})
    assert ran.status_code == 200, ran.text
    body = ran.json()
    assert (body["cases_opened"], body["changed"]) == (1, True)
    assert [p["name"] for p in body["par"]["par"]] == ["PAR1", "PAR30", "PAR60", "PAR90"]
    assert body["par"]["par"][0]["percent"] == "100.00"
    case = await case_of(session, loan_id=loan.id)
    assert case is not None
    return case


async def test_supervisor_runs_reports_and_assigns(api: httpx.AsyncClient,
                                                   session: AsyncSession) -> None:
    case = await delinquent(session, api)
    rerun = await api.post("/api/v1/collections/delinquency-runs", json={"as_of": "2024-02-10"})
    assert rerun.json()["changed"] is False
    par = (await api.get("/api/v1/collections/par", params={"as_of": "2024-02-10"})).json()
    assert par["loans"] == 1 and par["principal_outstanding"] == "10000.00"
    never = await api.get("/api/v1/collections/par", params={"as_of": "2024-02-11"})
    assert never.status_code == 404
    assert never.json()["detail"] == (
        "The delinquency run has not run for 2024-02-11; run it first.")
    queues = (await api.get("/api/v1/collections/queues")).json()
    assert queues[0] == {"bucket": "1-30", "open_cases": 1, "unassigned": 1,
                         "arrears": "888.49"}
    listed = (await api.get("/api/v1/collections/cases", params={"bucket": "1-30"})).json()
    assert [c["number"] for c in listed] == [case.number]

    dana = await collector(session, "Dana Officer")
    capacity = await api.put(f"/api/v1/collections/officers/{dana.id}/capacity",
                             json={"max_open_cases": 1})
    assert capacity.json() == {"staff_id": dana.id, "name": "Dana Officer", "open_cases": 0,
                               "capacity": 1}
    assigned = await api.post(f"/api/v1/collections/cases/{case.id}/assign",
                              json={"officer_id": dana.id})
    assert assigned.status_code == 200 and assigned.json()["state"] == "assigned"
    officers = (await api.get("/api/v1/collections/officers")).json()
    assert officers == [{"staff_id": dana.id, "name": "Dana Officer", "open_cases": 1,
                         "capacity": 1}]
    auto = await api.post("/api/v1/collections/assignments", json={})
    assert auto.json() == {"assigned": [], "left_unassigned": 0}
    rolls = await api.get("/api/v1/collections/roll-rates",
                          params={"start": "2024-02-10", "end": "2024-02-09"})
    assert rolls.status_code == 422


async def test_a_collector_works_their_own_cases(api: httpx.AsyncClient,
                                                 session: AsyncSession) -> None:
    case = await delinquent(session, api)
    dana = await collector(session, "Dana Officer")
    eve = await collector(session, "Eve Officer")
    await api.post(f"/api/v1/collections/cases/{case.id}/assign", json={"officer_id": dana.id})
    mine = await api.get("/api/v1/collections/my-cases", auth=auth(dana))
    assert [c["id"] for c in mine.json()] == [case.id]
    assert (await api.get("/api/v1/collections/my-cases", auth=auth(eve))).json() == []
    denied = await api.get(f"/api/v1/collections/cases/{case.id}", auth=auth(eve))
    assert denied.status_code == 403
    assert denied.json()["detail"] == f"Case {case.number} is not assigned to you."

    contact = await api.post(f"/api/v1/collections/cases/{case.id}/contacts", auth=auth(dana),
                             json={"channel": "voice", "direction": "inbound",
                                   "outcome": "promise_to_pay", "note": "Payday Friday."})
    assert contact.status_code == 201, contact.text
    note = await api.post(f"/api/v1/collections/cases/{case.id}/notes", auth=auth(dana),
                          json={"text": "Asked for the account number."})
    assert note.status_code == 201
    promise_date = (today() + dt.timedelta(days=3)).isoformat()
    made = await api.post(f"/api/v1/collections/cases/{case.id}/promises", auth=auth(dana),
                          json={"amount": "500.00", "promised_date": promise_date})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending" and made.json()["amount"] == "500.00"
    judged = await api.post(f"/api/v1/collections/cases/{case.id}/promises/evaluate",
                            auth=auth(dana), json={})
    assert judged.status_code == 200, judged.text
    assert judged.json()["kept"] == [] and judged.json()["broken"] == []
    assert judged.json()["next_best_action"]["action"] == "hold"
    best = await api.get(f"/api/v1/collections/cases/{case.id}/next-best-action",
                         auth=auth(dana))
    assert best.json()["action"] == "hold"
    assert best.json()["reasons"][0].startswith("A promise of TTD 500.00 is due")
    moved = await api.post(f"/api/v1/collections/cases/{case.id}/transition", auth=auth(dana),
                           json={"state": "negotiating"})
    assert moved.json()["state"] == "negotiating"

    detail = (await api.get(f"/api/v1/collections/cases/{case.id}", auth=auth(dana))).json()
    assert detail["case"]["state"] == "negotiating"
    assert [c["outcome"] for c in detail["contacts"]] == ["promise_to_pay"]
    assert [n["text"] for n in detail["notes"]] == ["Asked for the account number."]
    assert [p["amount"] for p in detail["promises"]] == ["500.00"]
    assert [h["action"] for h in detail["history"]] == [
        "collections.case_opened", "collections.case_assigned", "collections.contact_logged",
        "collections.case_transition", "collections.note_added", "collections.promise_made",
        "collections.case_transition"]

    for method, path in [("post", "/api/v1/collections/delinquency-runs"),
                         ("get", "/api/v1/collections/queues"),
                         ("post", f"/api/v1/collections/cases/{case.id}/assign")]:
        refused = await api.request(method.upper(), path, auth=auth(dana),
                                    json={"officer_id": dana.id})
        assert refused.status_code == 403, path


async def test_bad_requests_change_nothing(api: httpx.AsyncClient,
                                           session: AsyncSession) -> None:
    case = await delinquent(session, api)
    agent = await collector(session, "Alex Agent", role=Role.AGENT)
    before = await counts(session)
    outsider = await api.get("/api/v1/collections/my-cases", auth=auth(agent))
    assert outsider.status_code == 403
    assert outsider.json()["detail"] == (
        "Collections is open to collectors, supervisors and admins.")
    skip = await api.post(f"/api/v1/collections/cases/{case.id}/transition",
                          json={"state": "settled"})
    assert skip.status_code == 409 and skip.json()["error"] == "invalid_transition"
    too_much = await api.post(f"/api/v1/collections/cases/{case.id}/promises",
                              json={"amount": "99999.00",
                                    "promised_date": today().isoformat()})
    assert too_much.status_code == 422 and "is more than the" in too_much.json()["detail"]
    not_money = await api.post(f"/api/v1/collections/cases/{case.id}/promises",
                               json={"amount": "lots", "promised_date": today().isoformat()})
    assert not_money.status_code == 422
    missing = await api.get("/api/v1/collections/cases/0")
    assert missing.status_code == 404
    bad_file = await api.post("/api/v1/collections/imports", data={"lender_code": "ACME"},
                              files={"file": ("x.csv", b"name,amount\n", "text/csv")})
    assert bad_file.status_code == 422 and "header line" in bad_file.json()["detail"]
    assert await counts(session) == before


async def test_import_over_http(api: httpx.AsyncClient, session: AsyncSession) -> None:
    dry = await api.post("/api/v1/collections/imports",
                         data={"lender_code": "acme", "dry_run": "true"},
                         files={"file": ("acme.csv", FILE.encode(), "text/csv")})
    assert dry.status_code == 200, dry.text
    assert (dry.json()["dry_run"], dry.json()["created"]) == (True, 3)
    done = await api.post("/api/v1/collections/imports", data={"lender_code": "ACME"},
                          files={"file": ("acme.csv", FILE.encode(), "text/csv")})
    report = done.json()
    assert (report["created"], report["rejected"], report["cases_opened"]) == (3, 2, 2)
    assert report["errors"] == [
        {"line": 5, "column": "principal_outstanding", "message": "'abc' is not an amount."},
        {"line": 6, "column": "lender_code",
         "message": "This file is imported for lender ACME; the row names OTHER."},
    ]
    again = (await api.get(f"/api/v1/collections/imports/{report['import_id']}")).json()
    assert again["errors"] == report["errors"] and again["dry_run"] is False
