"""The credit bureau port and its offline sandbox.

The engine asks a `CreditBureau` for the report on a national ID, identified only by the
keyed hash already stored with the identity document (`IdentityDocument.number_hash`), so
no number leaves the database in clear. A real bureau adapter decrypts the number itself
if its API needs it.

`SandboxBureau` invents a plausible report from that hash, deterministically: the same
person always gets the same file, offline, with no credentials. About 4% of people have no
file at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class BureauReport:
    """What the bureau says about a person on a date."""

    reference: str
    score: int
    open_accounts: int
    delinquencies: int
    """Accounts 30 or more days late in the last 24 months."""
    judgments: int
    public_records: int
    enquiries: int
    """Credit enquiries in the last 6 months."""
    monthly_payments: Decimal
    fraud_alert: bool = False


class CreditBureau(Protocol):
    """A credit bureau. Implementations must be deterministic for a person and a date."""

    name: str

    async def report(self, *, national_id_hash: str, as_of: dt.date) -> BureauReport | None:
        """The person's report, or None when the bureau has no file on them."""
        ...


def _pick(value: int, table: tuple[tuple[int, int], ...]) -> int:
    """The outcome whose cumulative weight (out of 1,000) first exceeds `value`."""
    for limit, outcome in table:
        if value < limit:
            return outcome
    return table[-1][1]


class SandboxBureau:
    """A deterministic stand-in bureau for development, demos, tests and benchmarks."""

    name = "sandbox"

    def report_for(self, national_id_hash: str) -> BureauReport | None:
        """The synchronous core of `report` (the batch path uses it directly)."""
        digest = hashlib.sha256(b"sandbox-bureau:" + national_id_hash.encode()).digest()
        draw = [int.from_bytes(digest[i:i + 2], "big") % 1000 for i in range(0, 20, 2)]
        if draw[0] < 40:
            return None
        score = 450 + (draw[1] * 37 + draw[2] * 11) % 401
        delinquencies = _pick(draw[3], ((650, 0), (820, 1), (920, 2), (970, 3), (1000, 5)))
        if score < 560:
            delinquencies += 1
        open_accounts = _pick(draw[4], ((100, 0), (300, 1), (550, 2), (750, 3), (900, 4),
                                        (1000, 6)))
        payments = Decimal(open_accounts * (250 + draw[5] % 700))
        return BureauReport(
            reference=f"SBX-{digest[10:16].hex().upper()}",
            score=score,
            open_accounts=open_accounts,
            delinquencies=delinquencies,
            judgments=_pick(draw[6], ((950, 0), (990, 1), (1000, 2))),
            public_records=_pick(draw[7], ((965, 0), (995, 1), (1000, 2))),
            enquiries=_pick(draw[8], ((400, 0), (700, 1), (850, 2), (950, 3), (1000, 6))),
            monthly_payments=payments,
            fraud_alert=draw[9] < 5,
        )

    async def report(self, *, national_id_hash: str, as_of: dt.date) -> BureauReport | None:
        return self.report_for(national_id_hash)
