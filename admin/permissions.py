"""What each staff role may do: the permission names and the role → permissions matrix.

Every console page and staff API route checks one permission (see `admin.auth.require` and
`admin.api_policy`); this module is the only place that says which roles hold it. The roles'
stored values are the original ones: `underwriter` is the credit officer and `collector`
the collections officer (`Role.label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from core.staff.models import Role


class Permission(StrEnum):
    ACCOUNT = "account.manage"
    API_DOCS = "api.docs"
    CONVERSATIONS_VIEW = "conversations.view"
    CONVERSATIONS_REPLY = "conversations.reply"
    ESCALATIONS_CLAIM = "escalations.claim"
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_EDIT = "customers.edit"
    CUSTOMERS_EXPORT = "customers.export"
    APPLICATIONS_VIEW = "applications.view"
    APPLICATIONS_EDIT = "applications.edit"
    APPLICATIONS_DECIDE = "applications.decide"
    APPLICATIONS_OVERRIDE = "applications.override"
    LOANS_VIEW = "loans.view"
    LOANS_SERVICE = "loans.service"
    PAYMENTS_VIEW = "payments.view"
    PAYMENTS_RECORD = "payments.record"
    PROMISES_RECORD = "promises.record"
    COLLECTIONS_WORK = "collections.work"
    COLLECTIONS_MANAGE = "collections.manage"
    SETTLEMENTS_PROPOSE = "settlements.propose"
    SETTLEMENTS_APPROVE = "settlements.approve"
    COMPLIANCE_RECORD = "compliance.record"
    LEDGER_VIEW = "ledger.view"
    LEDGER_POST = "ledger.post"
    PRODUCTS_MANAGE = "products.manage"
    SCORING_VIEW = "scoring.view"
    SCORING_CONFIGURE = "scoring.configure"
    KNOWLEDGE_MANAGE = "knowledge.manage"
    DASHBOARD_VIEW = "dashboard.view"
    AUDIT_VIEW = "audit.view"
    STAFF_MANAGE = "staff.manage"

    @property
    def description(self) -> str:
        """What the permission allows, as a verb phrase ("post to the ledger")."""
        return DESCRIPTIONS[self]


DESCRIPTIONS: Mapping[Permission, str] = {
    Permission.ACCOUNT: "manage their own account, sessions and two-factor sign-in",
    Permission.API_DOCS: "read the API documentation",
    Permission.CONVERSATIONS_VIEW: "read conversations",
    Permission.CONVERSATIONS_REPLY: "reply to borrowers in a conversation",
    Permission.ESCALATIONS_CLAIM: "claim and resolve escalated conversations",
    Permission.CUSTOMERS_VIEW: "see customers",
    Permission.CUSTOMERS_EDIT: "change customer records",
    Permission.CUSTOMERS_EXPORT: "export everything held about a customer",
    Permission.APPLICATIONS_VIEW: "see applications",
    Permission.APPLICATIONS_EDIT: "take and progress applications",
    Permission.APPLICATIONS_DECIDE: "decide applications and use decisioning",
    Permission.APPLICATIONS_OVERRIDE: "approve another officer's decision (maker-checker)",
    Permission.LOANS_VIEW: "see loans",
    Permission.LOANS_SERVICE: "disburse, restructure, charge, write off and reverse loans",
    Permission.PAYMENTS_VIEW: "see payments",
    Permission.PAYMENTS_RECORD: "record payments and send payment links",
    Permission.PROMISES_RECORD: "record promises to pay",
    Permission.COLLECTIONS_WORK: "work collections cases",
    Permission.COLLECTIONS_MANAGE: "run, assign and import collections",
    Permission.SETTLEMENTS_PROPOSE: "make settlement offers",
    Permission.SETTLEMENTS_APPROVE: "approve settlement offers within their limit",
    Permission.COMPLIANCE_RECORD: "record contacts, holds and opt-outs",
    Permission.LEDGER_VIEW: "read the books",
    Permission.LEDGER_POST: "post to the ledger and close periods",
    Permission.PRODUCTS_MANAGE: "change the catalogue",
    Permission.SCORING_VIEW: "see scorecards, rules and monitoring",
    Permission.SCORING_CONFIGURE: "change scorecards, rules and routing",
    Permission.KNOWLEDGE_MANAGE: "manage the knowledge base",
    Permission.DASHBOARD_VIEW: "see the dashboard",
    Permission.AUDIT_VIEW: "read the audit trail",
    Permission.STAFF_MANAGE: "manage staff accounts",
}

_EVERYONE = frozenset({
    Permission.ACCOUNT, Permission.API_DOCS, Permission.CONVERSATIONS_VIEW,
    Permission.CONVERSATIONS_REPLY, Permission.ESCALATIONS_CLAIM, Permission.CUSTOMERS_VIEW,
    Permission.CUSTOMERS_EDIT, Permission.APPLICATIONS_VIEW, Permission.LOANS_VIEW,
    Permission.PAYMENTS_VIEW, Permission.LEDGER_VIEW,
})

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.AGENT: _EVERYONE | {
        Permission.APPLICATIONS_EDIT, Permission.PAYMENTS_RECORD, Permission.COMPLIANCE_RECORD,
    },
    Role.COLLECTOR: _EVERYONE | {
        Permission.PAYMENTS_RECORD, Permission.PROMISES_RECORD, Permission.COLLECTIONS_WORK,
        Permission.SETTLEMENTS_PROPOSE, Permission.SETTLEMENTS_APPROVE,
        Permission.COMPLIANCE_RECORD,
    },
    Role.UNDERWRITER: _EVERYONE | {
        Permission.APPLICATIONS_EDIT, Permission.APPLICATIONS_DECIDE, Permission.SCORING_VIEW,
    },
    Role.SUPERVISOR: frozenset(Permission) - {Permission.STAFF_MANAGE},
    Role.ADMIN: frozenset(Permission),
}
"""Finer rules stay with the services: a settlement's approval limit depends on the role and
the discount, a collector works only their own cases, nobody approves their own offer."""

_REFUSALS: Mapping[Permission, str] = {
    Permission.COLLECTIONS_WORK: "Collections is open to collectors, supervisors and admins.",
    Permission.SETTLEMENTS_PROPOSE:
        "A staff member with the {role} role cannot make settlement offers.",
}
"""Refusals the API gave, word for word, before the matrix existed; clients may show them."""

_PLURALS = {Role.AGENT: "agents", Role.COLLECTOR: "collections officers",
            Role.UNDERWRITER: "credit officers", Role.SUPERVISOR: "supervisors",
            Role.ADMIN: "admins"}


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def holders(permission: Permission) -> list[Role]:
    """The roles holding `permission`, in the order of `Role`."""
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]


def refusal(role: Role, permission: Permission) -> str:
    """Why a staff member with `role` is refused, in words they can act on."""
    if permission in _REFUSALS:
        return _REFUSALS[permission].format(role=role.value)
    names = [_PLURALS[holder] for holder in holders(permission)]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Only {who} may {permission.description}."
