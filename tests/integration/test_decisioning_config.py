"""Scorecard and rule-set versions, champion/challenger routing and the demo installer:
published versions never change, every change is a justified, audited version, and every
refusal leaves the database as it was."""

from __future__ import annotations

import copy
import re
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.scoring import rulesets, scorecards
from core.scoring.demo_scorecard import DEMO_SCORECARD
from core.scoring.engine import decide_application
from core.scoring.install import install_decisioning
from core.scoring.models import ConfigStatus, RuleSet, Scorecard
from core.scoring.routing import (
    Arm,
    ArmRole,
    check_arms,
    configure_routing,
    live_routing,
    promote,
    route,
)
from core.scoring.scorecard import ScorecardSpec
from core.scoring.scorecard_csv import export_csv
from tests.integration.decisioning_support import (
    ACTOR,
    NOW,
    FixedBureau,
    applicant,
    counts,
    demo_lender,
)

WHY = "Quarterly recalibration"
HALF = Decimal("0.5")


async def demo_card(session: AsyncSession) -> Scorecard:
    row = await session.scalar(select(Scorecard).where(Scorecard.code == "DEMO"))
    assert row is not None
    return row


def stricter() -> dict[str, object]:
    card = copy.deepcopy(DEMO_SCORECARD)
    card["base_score"] = 365
    return card


async def test_install_is_idempotent(session: AsyncSession) -> None:
    first = await install_decisioning(session, now=NOW)
    assert (first.scorecard, first.rule_set, first.routing) == (True, True, True)
    before = await counts(session)
    again = await install_decisioning(session, now=NOW)
    assert (again.scorecard, again.rule_set, again.routing) == (False, False, False)
    assert await counts(session) == before


async def test_a_published_scorecard_never_changes(session: AsyncSession) -> None:
    await demo_lender(session)
    live = await demo_card(session)
    definition = copy.deepcopy(live.definition)
    before = await counts(session)
    with pytest.raises(ConflictError, match=re.escape(
            "Scorecard DEMO v1 is published and cannot change; revise it to make a new draft "
            "version.")):
        await scorecards.edit_scorecard(session, scorecard_id=live.id, definition=stricter(),
                                        justification=WHY, actor=ACTOR)
    with pytest.raises(InvalidTransition, match="DEMO v1 is published; it cannot be published"):
        await scorecards.publish_scorecard(session, scorecard_id=live.id, actor=ACTOR, now=NOW)
    assert live.definition == definition and await counts(session) == before

    draft = await scorecards.revise_scorecard(session, scorecard_id=live.id, justification=WHY,
                                              actor=ACTOR, definition=stricter())
    assert (draft.code, draft.version, draft.status, draft.derived_from_id) == (
        "DEMO", 2, ConfigStatus.DRAFT, live.id)
    with pytest.raises(ConflictError, match="Scorecard DEMO v2 is already a draft"):
        await scorecards.revise_scorecard(session, scorecard_id=live.id, justification=WHY,
                                          actor=ACTOR)
    edited = await scorecards.edit_scorecard(session, scorecard_id=draft.id,
                                             definition=DEMO_SCORECARD, name="Demo, recalibrated",
                                             justification="Back to the old base", actor=ACTOR)
    assert (edited.definition["base_score"], edited.name) == (385, "Demo, recalibrated")
    await scorecards.publish_scorecard(session, scorecard_id=draft.id, actor=ACTOR, now=NOW)
    events = await trail.history(session, entity_type="scorecard", entity_id=draft.id)
    assert [e.action for e in events] == ["scorecard.revised", "scorecard.edited",
                                          "scorecard.published"]
    assert events[1].after is not None and events[1].after["justification"] == \
        "Back to the old base"
    assert events[1].before is not None and events[1].before["definition"]["base_score"] == 365


@pytest.mark.parametrize(("definition", "justification", "message"), [
    ({"base_score": 1}, WHY, "bands must be a list of objects"),
    ({**DEMO_SCORECARD, "min_score": None}, WHY, "The minimum score must be a whole number"),
    (DEMO_SCORECARD, "", "Say why"),
])
async def test_bad_scorecards_are_refused_and_nothing_is_written(
    session: AsyncSession, definition: dict[str, object], justification: str, message: str
) -> None:
    await demo_lender(session)
    before = await counts(session)
    with pytest.raises(ValidationError, match=message):
        await scorecards.create_scorecard(session, code="NEW", name="New", definition=definition,
                                          justification=justification, actor=ACTOR)
    with pytest.raises(ConflictError, match="Scorecard code DEMO is taken"):
        await scorecards.create_scorecard(session, code="demo", name="Again",
                                          definition=DEMO_SCORECARD, justification=WHY,
                                          actor=ACTOR)
    with pytest.raises(ValidationError, match="is not a code"):
        await scorecards.create_scorecard(session, code="no spaces", name="X",
                                          definition=DEMO_SCORECARD, justification=WHY,
                                          actor=ACTOR)
    assert await counts(session) == before


async def test_clone_retire_and_csv(session: AsyncSession) -> None:
    await demo_lender(session)
    live = await demo_card(session)
    copy_ = await scorecards.clone_scorecard(session, scorecard_id=live.id, code="THIN_FILE",
                                             name="Thin-file scorecard", justification=WHY,
                                             actor=ACTOR)
    assert (copy_.code, copy_.version, copy_.derived_from_id) == ("THIN_FILE", 1, live.id)
    with pytest.raises(ConflictError, match="is in the live routing"):
        await scorecards.retire_scorecard(session, scorecard_id=live.id, reason="old",
                                          actor=ACTOR, now=NOW)
    with pytest.raises(InvalidTransition, match="THIN_FILE v1 is draft; it cannot be retired"):
        await scorecards.retire_scorecard(session, scorecard_id=copy_.id, reason="unused",
                                          actor=ACTOR, now=NOW)
    await scorecards.publish_scorecard(session, scorecard_id=copy_.id, actor=ACTOR, now=NOW)
    retired = await scorecards.retire_scorecard(session, scorecard_id=copy_.id, reason="unused",
                                                actor=ACTOR, now=NOW)
    assert (retired.status, retired.retired_at) == (ConfigStatus.RETIRED, NOW)

    text = await scorecards.export_scorecard_csv(session, scorecard_id=live.id)
    assert text == export_csv(ScorecardSpec.from_dict(DEMO_SCORECARD))
    imported = await scorecards.import_scorecard_csv(session, csv_text=text, code="FROM_CSV",
                                                     name="Imported", justification=WHY,
                                                     actor=ACTOR)
    assert (imported.version, imported.definition) == (1, live.definition)
    lower_base = text.replace("setting,base_score,,,,,,,,,385", "setting,base_score,,,,,,,,,380")
    next_version = await scorecards.import_scorecard_csv(
        session, csv_text=lower_base, code="FROM_CSV", name="Imported", justification=WHY,
        actor=ACTOR)
    assert (next_version.version, next_version.definition["base_score"]) == (1, 380)
    await scorecards.publish_scorecard(session, scorecard_id=imported.id, actor=ACTOR, now=NOW)
    third = await scorecards.import_scorecard_csv(session, csv_text=text, code="FROM_CSV",
                                                  name="Imported", justification=WHY,
                                                  actor=ACTOR)
    assert (third.version, third.derived_from_id, third.definition["base_score"]) == (
        2, imported.id, 385)
    before = await counts(session)
    broken = text.replace("bin,age,25–34,,,25,35,,20", "bin,age,25–34,,,25,35,,x")
    with pytest.raises(ValidationError, match="line 12: points 'x' is not a number"):
        await scorecards.import_scorecard_csv(session, csv_text=broken, code="BROKEN",
                                              name="Broken", justification=WHY, actor=ACTOR)
    assert await counts(session) == before


async def test_a_rule_change_is_a_new_version_used_once_published(session: AsyncSession) -> None:
    await demo_lender(session)
    v1 = await rulesets.active_rule_set(session, code="DEMO")
    before = await counts(session)
    with pytest.raises(ValidationError, match=re.escape(
            "Rule DEBT_SERVICE_RATIO: the expression gives number but the threshold 'high' is "
            "text.")):
        await rulesets.change_rule(session, rule_set_id=v1.id, rule_id="DEBT_SERVICE_RATIO",
                                   changes={"threshold": "'high'"}, justification=WHY,
                                   actor=ACTOR)
    with pytest.raises(ValidationError, match="Unknown rule field"):
        await rulesets.change_rule(session, rule_set_id=v1.id, rule_id="DEBT_SERVICE_RATIO",
                                   changes={"weight": 2}, justification=WHY, actor=ACTOR)
    assert await counts(session) == before
    v2 = await rulesets.change_rule(session, rule_set_id=v1.id, rule_id="debt_service_ratio",
                                    changes={"threshold": "0.15"}, justification=WHY,
                                    actor=ACTOR)
    assert (v2.version, v2.status, v2.derived_from_id) == (2, ConfigStatus.DRAFT, v1.id)
    assert v1.definition["rules"][7]["threshold"] == "0.45"
    assert (await rulesets.active_rule_set(session, code="DEMO")).id == v1.id
    await rulesets.change_rule(session, rule_set_id=v2.id, rule_id="NO_SPORTS_CARS",
                               changes={"description": "No sports cars", "expression":
                                        "product_code", "operator": "==",
                                        "threshold": "'SPORTS'", "severity": "hard_decline",
                                        "reason": "We do not finance sports cars."},
                               justification="New policy", actor=ACTOR)
    await rulesets.publish_rule_set(session, rule_set_id=v2.id, actor=ACTOR, now=NOW)
    app = await applicant(session)
    row = await decide_application(session, application_id=app.id, now=NOW, actor=ACTOR,
                                   bureau=FixedBureau())
    assert row.rule_set_id == v2.id and len(row.trace["rules"]) == 23
    assert row.outcome.value == "counter_offer"
    await rulesets.retire_rule_set(session, rule_set_id=v1.id, reason="superseded", actor=ACTOR,
                                   now=NOW)
    before = await counts(session)
    with pytest.raises(ConflictError, match="Rule set DEMO v2 is the only published version"):
        await rulesets.retire_rule_set(session, rule_set_id=v2.id, reason="x", actor=ACTOR,
                                       now=NOW)
    assert await counts(session) == before


async def test_routing_with_challenger_and_shadow(session: AsyncSession) -> None:
    await demo_lender(session)
    live = await demo_card(session)
    challenger = await scorecards.clone_scorecard(session, scorecard_id=live.id, code="STRICT",
                                                  name="Stricter", justification=WHY,
                                                  actor=ACTOR)
    await scorecards.edit_scorecard(session, scorecard_id=challenger.id, definition=stricter(),
                                    justification=WHY, actor=ACTOR)
    shadow = await scorecards.clone_scorecard(session, scorecard_id=live.id, code="SHADOW",
                                              name="Shadow", justification=WHY, actor=ACTOR)
    before = await counts(session)
    with pytest.raises(ConflictError, match="Scorecard STRICT v1 is draft; only published"):
        await configure_routing(session, arms=[Arm(live.id, ArmRole.CHAMPION),
                                               Arm(challenger.id, ArmRole.CHALLENGER, HALF)],
                                justification=WHY, actor=ACTOR)
    with pytest.raises(NotFoundError):
        await configure_routing(session, arms=[Arm(0, ArmRole.CHAMPION)], justification=WHY,
                                actor=ACTOR)
    with pytest.raises(ConflictError, match="Rule set NOPE has no published version"):
        await configure_routing(session, arms=[Arm(live.id, ArmRole.CHAMPION)],
                                justification=WHY, actor=ACTOR, rule_set_code="NOPE")
    assert await counts(session) == before
    for card in (challenger, shadow):
        await scorecards.publish_scorecard(session, scorecard_id=card.id, actor=ACTOR, now=NOW)
    config = await configure_routing(
        session, arms=[Arm(live.id, ArmRole.CHAMPION), Arm(challenger.id, ArmRole.CHALLENGER,
                                                           HALF),
                       Arm(shadow.id, ArmRole.SHADOW)], justification="A/B test", actor=ACTOR)
    arms = check_arms(config.arms)
    assert (config.version, config.salt, config.rule_set_code) == (2, "demo-lender", "DEMO")
    seen: Counter[str] = Counter()
    while len(seen) < 2 and sum(seen.values()) < 40:
        app = await applicant(session)
        row = await decide_application(session, application_id=app.id, now=NOW, actor=ACTOR,
                                       bureau=FixedBureau())
        arm = route(arms, config.salt, app.customer_id)
        assert row.scorecard_id == arm.scorecard_id
        assert row.score == (665 if arm.scorecard_id == challenger.id else 685)
        seen[row.trace["versions"]["routing"]["role"]] += 1
        assert row.trace["shadow"][0]["scorecard"]["code"] == "SHADOW"
        assert row.trace["shadow"][0]["total"] == 685
    assert set(seen) == {"champion", "challenger"}

    promoted = await promote(session, scorecard_id=challenger.id, justification="It won",
                             actor=ACTOR)
    assert [(a["scorecard_id"], a["role"], a["share"]) for a in promoted.arms] == [
        (challenger.id, "champion", "1"), (shadow.id, "shadow", "0")]
    events = await trail.history(session, entity_type="scoring_routing", entity_id=3)
    assert [e.action for e in events] == ["scoring_routing.promoted"]
    assert events[0].before is not None and events[0].before["version"] == 2
    with pytest.raises(ConflictError, match="already the champion"):
        await promote(session, scorecard_id=challenger.id, justification="Again", actor=ACTOR)
    with pytest.raises(ConflictError, match="not in the live routing"):
        await promote(session, scorecard_id=live.id, justification="Back", actor=ACTOR)
    assert (await live_routing(session)).version == 3
    assert await session.scalar(select(RuleSet.id).where(RuleSet.code == "DEMO")) is not None
