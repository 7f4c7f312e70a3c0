"""Champion / challenger: which scorecard decides for which applicant.

The live routing (the highest `RoutingConfig` version) lists arms: one CHAMPION,
CHALLENGERs with traffic shares (fractions; the champion takes the rest) and SHADOWs,
which score every applicant for the trace but never decide. Routing is deterministic: an
applicant's position is SHA-256 of "<salt>:<customer id>" read as a fraction in [0, 1);
challengers take consecutive slices of [0, 1) in the listed order, the champion the rest.
So the same person always meets the same scorecard until the arms or the salt change.
Every change (configure, promote) is a new audited version.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.products.spec import as_enum
from core.scoring.models import ConfigStatus, RoutingConfig, RuleSet, Scorecard
from core.scoring.versions import check_code

_SCALE: Final = 2**64
ENTITY: Final = "scoring_routing"


class ArmRole(StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"
    SHADOW = "shadow"


@dataclass(frozen=True, slots=True)
class Arm:
    scorecard_id: int
    role: ArmRole
    share: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        return {"scorecard_id": self.scorecard_id, "role": self.role.value,
                "share": str(self.share)}


def check_arms(arms: Sequence[Arm | dict[str, Any]]) -> tuple[Arm, ...]:
    """Validated arms: one champion, challengers with shares in (0, 1) that leave the
    champion some traffic, shadows with no share, each scorecard once."""
    checked: list[Arm] = []
    for arm in arms:
        if isinstance(arm, dict):
            try:
                share = Decimal(str(arm.get("share") or 0))
                arm = Arm(int(arm["scorecard_id"]), as_enum(ArmRole, arm.get("role"), "role"),
                          share)
            except (KeyError, TypeError, ValueError, ArithmeticError):
                raise ValidationError("Each arm needs a scorecard_id, a role and, for a "
                                      "challenger, a share such as 0.2.") from None
        checked.append(arm)
    ids = [arm.scorecard_id for arm in checked]
    if len(set(ids)) != len(ids):
        raise ValidationError("Each scorecard may appear only once in the routing.")
    if [arm.role for arm in checked].count(ArmRole.CHAMPION) != 1:
        raise ValidationError("The routing needs exactly one champion scorecard.")
    total = Decimal(0)
    for arm in checked:
        if arm.role is ArmRole.CHALLENGER:
            if not Decimal(0) < arm.share < Decimal(1):
                raise ValidationError(f"Challenger {arm.scorecard_id} needs a traffic share "
                                      "between 0 and 1 (0.2 for 20%).")
            total += arm.share
        elif arm.role is ArmRole.SHADOW and arm.share:
            raise ValidationError(f"Shadow {arm.scorecard_id} scores everyone and decides for "
                                  "no one; it takes no share.")
    if total >= 1:
        raise ValidationError(f"Challengers take {total * 100}% of traffic; leave some for "
                              "the champion.")
    champion_share = Decimal(1) - total
    return tuple(Arm(a.scorecard_id, a.role, champion_share if a.role is ArmRole.CHAMPION
                     else a.share) for a in checked)


def position(salt: str, customer_id: int) -> int:
    """The applicant's place in [0, 2**64): stable across processes and releases."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def route(arms: Sequence[Arm], salt: str, customer_id: int) -> Arm:
    """The arm that decides for this customer (see the module docstring)."""
    place = position(salt, customer_id)
    start = 0
    for arm in arms:
        if arm.role is ArmRole.CHALLENGER:
            end = start + int(arm.share * _SCALE)
            if start <= place < end:
                return arm
            start = end
    return next(arm for arm in arms if arm.role is ArmRole.CHAMPION)


async def live_routing(session: AsyncSession) -> RoutingConfig:
    """The routing in force. ConflictError when decisioning has not been set up."""
    config = await session.scalar(
        select(RoutingConfig).order_by(RoutingConfig.version.desc()).limit(1))
    if config is None:
        raise ConflictError("Decisioning is not set up: publish a scorecard and a rule set, "
                            "then configure the routing.")
    return config


async def _check_live(session: AsyncSession, arms: Sequence[Arm], rule_set_code: str) -> None:
    for arm in arms:
        card = await session.get(Scorecard, arm.scorecard_id)
        if card is None:
            raise NotFoundError(f"There is no scorecard with id {arm.scorecard_id}.")
        if card.status is not ConfigStatus.PUBLISHED:
            raise ConflictError(f"Scorecard {card.code} v{card.version} is "
                                f"{card.status.value}; only published scorecards go live.")
    published = await session.scalar(select(RuleSet.id).where(
        RuleSet.code == rule_set_code, RuleSet.status == ConfigStatus.PUBLISHED).limit(1))
    if published is None:
        raise ConflictError(f"Rule set {rule_set_code} has no published version.")


async def _save(
    session: AsyncSession, *, arms: Sequence[Arm], salt: str, rule_set_code: str,
    justification: str, actor: str, action: str, before: RoutingConfig | None,
) -> RoutingConfig:
    reason = " ".join(justification.split())
    if len(reason) < 5:
        raise ValidationError("Say why (a justification of at least 5 characters).")
    await _check_live(session, arms, rule_set_code)
    latest = await session.scalar(select(func.max(RoutingConfig.version)))
    config = RoutingConfig(version=int(latest or 0) + 1, salt=salt, rule_set_code=rule_set_code,
                           arms=[arm.as_dict() for arm in arms], justification=reason,
                           created_by=actor)
    session.add(config)
    await session.flush()
    await trail.record(
        session, actor=actor, action=f"{ENTITY}.{action}", entity_type=ENTITY,
        entity_id=config.version,
        before=None if before is None else {"version": before.version, "arms": before.arms,
                                            "rule_set_code": before.rule_set_code},
        after={"version": config.version, "arms": config.arms, "salt": salt,
               "rule_set_code": rule_set_code, "justification": reason},
    )
    return config


async def configure_routing(
    session: AsyncSession, *, arms: Sequence[Arm | dict[str, Any]], justification: str,
    actor: str, rule_set_code: str | None = None, salt: str | None = None,
) -> RoutingConfig:
    """A new routing version. Keeps the current salt and rule set unless given (a new salt
    reshuffles who sees which challenger). Scorecards must be published, the rule set code
    must have a published version."""
    checked = check_arms(arms)
    current = await session.scalar(
        select(RoutingConfig).order_by(RoutingConfig.version.desc()).limit(1))
    code = rule_set_code or (current.rule_set_code if current else None)
    if code is None:
        raise ValidationError("Name the rule set the routing decides with.")
    chosen_salt = salt if salt is not None else (current.salt if current else None)
    if chosen_salt is None:
        chosen_salt = secrets.token_hex(8)
    if not 1 <= len(chosen_salt.strip()) <= 64:
        raise ValidationError("The salt must be 1 to 64 characters.")
    return await _save(session, arms=checked, salt=chosen_salt.strip(),
                       rule_set_code=check_code(code), justification=justification,
                       actor=actor, action="configured", before=current)


async def promote(
    session: AsyncSession, *, scorecard_id: int, justification: str, actor: str
) -> RoutingConfig:
    """Make a challenger or shadow the champion, in one audited step; the old champion
    leaves the routing (it stays published and can be added back)."""
    current = await live_routing(session)
    arms = check_arms(current.arms)
    target = next((arm for arm in arms if arm.scorecard_id == scorecard_id), None)
    if target is None:
        raise ConflictError(f"Scorecard {scorecard_id} is not in the live routing; add it as a "
                            "challenger or shadow first.")
    if target.role is ArmRole.CHAMPION:
        raise ConflictError(f"Scorecard {scorecard_id} is already the champion.")
    promoted = [Arm(scorecard_id, ArmRole.CHAMPION)] + [
        arm for arm in arms if arm.role is not ArmRole.CHAMPION and arm.scorecard_id != scorecard_id
    ]
    return await _save(session, arms=check_arms(promoted), salt=current.salt,
                       rule_set_code=current.rule_set_code, justification=justification,
                       actor=actor, action="promoted", before=current)
