"""Install the demo lender's decisioning: scorecard DEMO, rule set DEMO and the routing.

Idempotent: a code that exists is left as it is (staff changes are never overwritten), and
the routing is created only when there is none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConflictError
from core.scoring import rulesets, scorecards
from core.scoring.demo_rules import DEMO_RULES
from core.scoring.demo_scorecard import DEMO_SCORECARD
from core.scoring.models import ConfigStatus, RoutingConfig, RuleSet, Scorecard
from core.scoring.routing import Arm, ArmRole, configure_routing

DEMO_CODE: Final = "DEMO"
DEMO_SALT: Final = "demo-lender"
_WHY: Final = "Demo lender's starting configuration."


@dataclass(frozen=True, slots=True)
class DecisioningInstall:
    """What `install_decisioning` created (False: it was already there)."""

    scorecard: bool
    rule_set: bool
    routing: bool


async def install_decisioning(
    session: AsyncSession, *, now: dt.datetime, actor: str = "system:decisioning"
) -> DecisioningInstall:
    """Create and publish what is missing of the demo configuration; see the module docstring."""
    made_card = await session.scalar(
        select(Scorecard.id).where(Scorecard.code == DEMO_CODE).limit(1)) is None
    if made_card:
        draft = await scorecards.create_scorecard(
            session, code=DEMO_CODE, name="Demo retail scorecard", definition=DEMO_SCORECARD,
            justification=_WHY, actor=actor)
        await scorecards.publish_scorecard(session, scorecard_id=draft.id, actor=actor, now=now)
    made_rules = await session.scalar(
        select(RuleSet.id).where(RuleSet.code == DEMO_CODE).limit(1)) is None
    if made_rules:
        rules = await rulesets.create_rule_set(
            session, code=DEMO_CODE, name="Demo lending policy", definition={"rules": DEMO_RULES},
            justification=_WHY, actor=actor)
        await rulesets.publish_rule_set(session, rule_set_id=rules.id, actor=actor, now=now)
    made_routing = await session.scalar(select(RoutingConfig.id).limit(1)) is None
    if made_routing:
        card = await session.scalar(
            select(Scorecard).where(Scorecard.code == DEMO_CODE,
                                    Scorecard.status == ConfigStatus.PUBLISHED)
            .order_by(Scorecard.version.desc()).limit(1))
        if card is None:
            raise ConflictError(f"Scorecard {DEMO_CODE} has no published version to route to.")
        await configure_routing(session, arms=[Arm(card.id, ArmRole.CHAMPION)],
                                rule_set_code=DEMO_CODE, salt=DEMO_SALT, justification=_WHY,
                                actor=actor)
    return DecisioningInstall(made_card, made_rules, made_routing)
