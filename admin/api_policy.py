"""Which permission each staff API route needs, by URL pattern and method.

The `admin/api` routers authenticate with `CurrentStaff`; `admin.auth.current_staff` then
looks the request up here. The first rule whose pattern matches the path wins; `*` is one
path segment and a trailing `/**` any number of them (or none). Reads (GET, HEAD, OPTIONS)
need `read`, anything else `write`; a route no rule covers is refused to everyone, so a new
route cannot be open by omission. New routers may instead declare `require(...)` on each
route (see docs/console.md) and need no rule here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from admin.permissions import Permission as P

READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    pattern: str
    read: P | None
    write: P | None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = re.escape(self.pattern.removesuffix("/**")).replace(r"\*", "[^/]+")
        tail = "(?:/.*)?" if self.pattern.endswith("/**") else ""
        object.__setattr__(self, "regex", re.compile(f"{body}{tail}"))

    def permission(self, method: str) -> P | None:
        return self.read if method.upper() in READS else self.write


def both(pattern: str, permission: P) -> Rule:
    return Rule(pattern, permission, permission)


V1 = "/api/v1"
RULES: tuple[Rule, ...] = (
    Rule(f"{V1}/payments/**", P.PAYMENTS_VIEW, P.PAYMENTS_RECORD),
    Rule(f"{V1}/customers/**", P.CUSTOMERS_VIEW, P.CUSTOMERS_EDIT),
    Rule(f"{V1}/products/**", None, P.PRODUCTS_MANAGE),
    Rule(f"{V1}/ledger/**", P.LEDGER_VIEW, P.LEDGER_POST),
    both(f"{V1}/applications/*/decision", P.APPLICATIONS_DECIDE),
    both(f"{V1}/applications/*/decide", P.APPLICATIONS_DECIDE),
    both(f"{V1}/applications/*/what-if", P.APPLICATIONS_DECIDE),
    both(f"{V1}/applications/*/bank-statement", P.APPLICATIONS_DECIDE),
    both(f"{V1}/applications/*/credit-decisions", P.APPLICATIONS_DECIDE),
    both(f"{V1}/credit-decisions/**", P.APPLICATIONS_DECIDE),
    Rule(f"{V1}/applications/**", P.APPLICATIONS_VIEW, P.APPLICATIONS_EDIT),
    both(f"{V1}/scoring/batch", P.APPLICATIONS_DECIDE),
    Rule(f"{V1}/scoring/**", P.SCORING_VIEW, P.SCORING_CONFIGURE),
    Rule(f"{V1}/scorecards/**", P.SCORING_VIEW, P.SCORING_CONFIGURE),
    Rule(f"{V1}/rule-sets/**", P.SCORING_VIEW, P.SCORING_CONFIGURE),
    Rule(f"{V1}/loans/*/repayments", P.LOANS_VIEW, P.PAYMENTS_RECORD),
    Rule(f"{V1}/loans/*/settlement", P.LOANS_VIEW, P.PAYMENTS_RECORD),
    Rule(f"{V1}/loans/*/recoveries", P.LOANS_VIEW, P.PAYMENTS_RECORD),
    Rule(f"{V1}/loans/**", P.LOANS_VIEW, P.LOANS_SERVICE),
    Rule(f"{V1}/loan-transactions/**", P.LOANS_VIEW, P.LOANS_SERVICE),
    Rule(f"{V1}/compliance/**", P.CUSTOMERS_VIEW, P.COMPLIANCE_RECORD),
    both(f"{V1}/settlement-offers/*/approve", P.SETTLEMENTS_APPROVE),
    both(f"{V1}/settlement-offers/*/reject", P.SETTLEMENTS_APPROVE),
    Rule(f"{V1}/settlement-offers/**", P.COLLECTIONS_WORK, P.SETTLEMENTS_PROPOSE),
    Rule(f"{V1}/collections/cases/*/promises/**", P.COLLECTIONS_WORK, P.PROMISES_RECORD),
    both(f"{V1}/collections/cases/*/assign", P.COLLECTIONS_MANAGE),
    both(f"{V1}/collections/cases", P.COLLECTIONS_MANAGE),
    both(f"{V1}/collections/cases/**", P.COLLECTIONS_WORK),
    both(f"{V1}/collections/my-cases", P.COLLECTIONS_WORK),
    both(f"{V1}/collections/**", P.COLLECTIONS_MANAGE),
)


def permission_for(path: str, method: str) -> P | None:
    """The permission a staff API request needs, or None when no rule declares one."""
    for rule in RULES:
        if rule.regex.fullmatch(path):
            return rule.permission(method)
    return None
