"""Rule-set versions: the rules the engine applies, versioned like scorecards.

The engine uses the highest PUBLISHED version of the rule-set code the live routing names
(`active_rule_set`). A rule is changed by `change_rule`, which edits the code's draft or
makes the next draft version; publishing that draft puts the change live. Every change
carries a justification, and every version stays on file so a decision's rules can always
be read back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConflictError, NotFoundError, ValidationError
from core.scoring import versions
from core.scoring.models import ConfigStatus, RuleSet
from core.scoring.routing import live_routing
from core.scoring.rules import CompiledRule, RuleSetSpec, RuleSpec

_CACHE: dict[str, tuple[CompiledRule, ...]] = {}
_CACHE_LIMIT: Final = 64


def canonical(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a rule-set definition ({"rules": [...]}) and return its canonical form."""
    return RuleSetSpec.from_dict(definition).as_dict()


def compiled(row: RuleSet) -> tuple[CompiledRule, ...]:
    """The compiled rules of a stored version (cached by the definition's hash)."""
    key = hashlib.sha256(json.dumps(row.definition, sort_keys=True).encode()).hexdigest()
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        found = _CACHE[key] = RuleSetSpec.from_dict(row.definition).compile()
    return found


async def get_rule_set(session: AsyncSession, *, rule_set_id: int) -> RuleSet:
    return await versions.load(session, RuleSet, rule_set_id)


async def list_rule_sets(session: AsyncSession, *, code: str | None = None) -> Sequence[RuleSet]:
    return await versions.versions_of(session, RuleSet, code)


async def active_rule_set(session: AsyncSession, *, code: str) -> RuleSet:
    """The highest published version of `code`. NotFoundError when it has none."""
    row = await session.scalar(
        select(RuleSet).where(RuleSet.code == versions.check_code(code),
                              RuleSet.status == ConfigStatus.PUBLISHED)
        .order_by(RuleSet.version.desc()).limit(1))
    if row is None:
        raise NotFoundError(f"Rule set {code} has no published version.")
    return row


async def create_rule_set(
    session: AsyncSession, *, code: str, name: str, definition: Mapping[str, Any],
    justification: str, actor: str,
) -> RuleSet:
    """Version 1 of a new rule set, as a draft."""
    return await versions.create(session, RuleSet, code=code, name=name, definition=definition,
                                 justification=justification, actor=actor, validate=canonical)


async def change_rule(
    session: AsyncSession, *, rule_set_id: int, rule_id: str, changes: Mapping[str, Any],
    justification: str, actor: str,
) -> RuleSet:
    """Change one rule (or add it, when `rule_id` is new and `changes` is a whole rule).

    On a draft the draft changes; on a published or retired version the next draft
    version is made with the change. ValidationError for an invalid rule (nothing is
    written), ConflictError when the code already has another draft.
    """
    row = await get_rule_set(session, rule_set_id=rule_set_id)
    if "id" in changes and str(changes["id"]).strip().upper() != rule_id.strip().upper():
        raise ValidationError("A rule's id cannot change; add a new rule instead.")
    rules = [rule.as_dict() for rule in RuleSetSpec.from_dict(row.definition).rules]
    wanted = rule_id.strip().upper()
    index = next((i for i, rule in enumerate(rules) if rule["id"] == wanted), None)
    if index is None:
        rules.append(RuleSpec.from_dict({**changes, "id": wanted}).as_dict())
    else:
        unknown = sorted(set(changes) - set(rules[index]))
        if unknown:
            raise ValidationError(f"Unknown rule field(s): {', '.join(unknown)}.")
        rules[index] = RuleSpec.from_dict({**rules[index], **changes}).as_dict()
    definition = {"rules": rules}
    if row.status is ConfigStatus.DRAFT:
        return await versions.edit_draft(session, RuleSet, row_id=row.id, definition=definition,
                                         justification=justification, actor=actor,
                                         validate=canonical)
    return await versions.revise(session, RuleSet, source_id=row.id, definition=definition,
                                 justification=justification, actor=actor, validate=canonical)


async def publish_rule_set(
    session: AsyncSession, *, rule_set_id: int, actor: str, now: dt.datetime
) -> RuleSet:
    """DRAFT → PUBLISHED; the highest published version of a code is the one in force."""
    row = await get_rule_set(session, rule_set_id=rule_set_id)
    return await versions.move(session, row, ConfigStatus.PUBLISHED, actor=actor, now=now)


async def retire_rule_set(
    session: AsyncSession, *, rule_set_id: int, reason: str, actor: str, now: dt.datetime
) -> RuleSet:
    """PUBLISHED → RETIRED (the previous published version comes back into force).
    ConflictError when it is the last published version of the live rule set."""
    row = await get_rule_set(session, rule_set_id=rule_set_id)
    try:
        live_code: str | None = (await live_routing(session)).rule_set_code
    except ConflictError:
        live_code = None
    if row.status is ConfigStatus.PUBLISHED and row.code == live_code:
        others = await session.scalar(select(RuleSet.id).where(
            RuleSet.code == row.code, RuleSet.status == ConfigStatus.PUBLISHED,
            RuleSet.id != row.id).limit(1))
        if others is None:
            raise ConflictError(f"{versions.title(row)} is the only published version of the "
                                "live rule set; publish another first.")
    return await versions.move(session, row, ConfigStatus.RETIRED, actor=actor, now=now,
                               reason=" ".join(reason.split()) or None)
