"""The permission matrix and the API's URL rules (no I/O)."""

from __future__ import annotations

import pytest

from admin.api_policy import RULES, Rule, permission_for
from admin.console.login import safe_next
from admin.permissions import DESCRIPTIONS, ROLE_PERMISSIONS, Permission, can, holders, refusal
from core.staff.models import Role


def test_the_matrix_by_role() -> None:
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert ROLE_PERMISSIONS[Role.SUPERVISOR] == frozenset(Permission) - {Permission.STAFF_MANAGE}
    assert holders(Permission.APPLICATIONS_DECIDE) == [Role.UNDERWRITER, Role.SUPERVISOR,
                                                       Role.ADMIN]
    assert holders(Permission.PROMISES_RECORD) == [Role.COLLECTOR, Role.SUPERVISOR, Role.ADMIN]
    assert holders(Permission.APPLICATIONS_OVERRIDE) == [Role.SUPERVISOR, Role.ADMIN]
    assert not can(Role.AGENT, Permission.LEDGER_POST) and can(Role.AGENT, Permission.LEDGER_VIEW)
    assert all(can(role, Permission.ACCOUNT) for role in Role)
    assert set(DESCRIPTIONS) == set(Permission)
    assert [Role.UNDERWRITER.label, Role.COLLECTOR.label] == ["Credit officer",
                                                              "Collections officer"]


def test_refusals_name_who_may() -> None:
    assert refusal(Role.AGENT, Permission.STAFF_MANAGE) == "Only admins may manage staff accounts."
    assert refusal(Role.COLLECTOR, Permission.APPLICATIONS_DECIDE) == (
        "Only credit officers, supervisors and admins may decide applications and use "
        "decisioning.")
    assert refusal(Role.AGENT, Permission.PRODUCTS_MANAGE) == (
        "Only supervisors and admins may change the catalogue.")
    assert refusal(Role.UNDERWRITER, Permission.SETTLEMENTS_PROPOSE) == (
        "A staff member with the underwriter role cannot make settlement offers.")


@pytest.mark.parametrize(("method", "path", "permission"), [
    ("GET", "/api/v1/customers", Permission.CUSTOMERS_VIEW),
    ("PATCH", "/api/v1/customers/12", Permission.CUSTOMERS_EDIT),
    ("POST", "/api/v1/applications/12/decision", Permission.APPLICATIONS_DECIDE),
    ("POST", "/api/v1/applications/12/submit", Permission.APPLICATIONS_EDIT),
    ("GET", "/api/v1/applications/12/credit-decisions", Permission.APPLICATIONS_DECIDE),
    ("POST", "/api/v1/loans/7/repayments", Permission.PAYMENTS_RECORD),
    ("POST", "/api/v1/loans/7/write-off", Permission.LOANS_SERVICE),
    ("GET", "/api/v1/loans/7/schedule", Permission.LOANS_VIEW),
    ("POST", "/api/v1/settlement-offers/3/approve", Permission.SETTLEMENTS_APPROVE),
    ("POST", "/api/v1/settlement-offers", Permission.SETTLEMENTS_PROPOSE),
    ("GET", "/api/v1/collections/cases", Permission.COLLECTIONS_MANAGE),
    ("GET", "/api/v1/collections/cases/4", Permission.COLLECTIONS_WORK),
    ("POST", "/api/v1/collections/cases/4/assign", Permission.COLLECTIONS_MANAGE),
    ("POST", "/api/v1/collections/cases/4/promises/9/cancel", Permission.PROMISES_RECORD),
    ("POST", "/api/v1/collections/imports", Permission.COLLECTIONS_MANAGE),
    ("PUT", "/api/v1/scoring/routing", Permission.SCORING_CONFIGURE),
    ("POST", "/api/v1/scoring/batch", Permission.APPLICATIONS_DECIDE),
    ("GET", "/api/v1/products", None),
    ("GET", "/api/v1/customers-export", None),
    ("GET", "/api/v1/escalations", None),
])
def test_the_first_matching_rule_decides(method: str, path: str,
                                         permission: Permission | None) -> None:
    assert permission_for(path, method) == permission


def test_patterns_match_whole_segments() -> None:
    rule = Rule("/api/v1/x/*/y/**", Permission.LOANS_VIEW, None)
    assert rule.regex.fullmatch("/api/v1/x/1/y")
    assert rule.regex.fullmatch("/api/v1/x/1/y/z/w")
    assert not rule.regex.fullmatch("/api/v1/x/1/2/y")
    assert not rule.regex.fullmatch("/api/v1/x/1/yz")
    assert rule.permission("HEAD") is Permission.LOANS_VIEW and rule.permission("POST") is None
    assert all(rule.pattern.startswith("/api/v1/") for rule in RULES)


@pytest.mark.parametrize(("target", "safe"), [
    ("/console/customers?q=1", "/console/customers?q=1"),
    ("/docs", "/docs"),
    ("//evil.example/console", "/console"),
    ("https://evil.example/", "/console"),
    ("/console/login", "/console"),
    ("/\\evil.example", "/console"),
    (None, "/console"),
])
def test_sign_in_returns_only_to_console_pages(target: str | None, safe: str) -> None:
    assert safe_next(target) == safe
