"""The lifecycle shared by scorecards and rule sets: DRAFT → PUBLISHED → RETIRED.

- Only a DRAFT changes (`edit_draft`); a PUBLISHED or RETIRED version is immutable and
  the service refuses to touch its definition. `revise` makes the next version of the same
  code as a new DRAFT, so every change to a live configuration is a new version.
- Each code has at most one DRAFT at a time.
- Every change needs a justification, which is stored on the version and in the audit
  trail with the definition before and after.
- `clone` copies any version to a new code as its version 1 DRAFT.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.scoring.models import ConfigStatus, RuleSet, Scorecard

Versioned = TypeVar("Versioned", Scorecard, RuleSet)
Validator = Callable[[Mapping[str, Any]], dict[str, Any]]
"""Checks a definition and returns its canonical JSON form (raises ValidationError)."""

_CODE: Final = re.compile(r"^[A-Z][A-Z0-9_-]{0,39}$")
_ENTITY: Final = {Scorecard: "scorecard", RuleSet: "rule_set"}
_WORDS: Final = {Scorecard: "Scorecard", RuleSet: "Rule set"}


def entity(model: type[Scorecard] | type[RuleSet]) -> str:
    return _ENTITY[model]


def title(row: Scorecard | RuleSet) -> str:
    """"Scorecard DEMO v2" — how messages and the audit trail name a version."""
    return f"{_WORDS[type(row)]} {row.code} v{row.version}"


def check_code(code: str) -> str:
    cleaned = code.strip().upper() if isinstance(code, str) else ""
    if not _CODE.match(cleaned):
        raise ValidationError(f"{code!r} is not a code: use 1–40 letters, digits, - or _, "
                              "starting with a letter.")
    return cleaned


def _name(name: str) -> str:
    cleaned = " ".join(name.split()) if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > 120:
        raise ValidationError("Give a name of 1 to 120 characters.")
    return cleaned


def _justification(text: str) -> str:
    cleaned = " ".join(text.split()) if isinstance(text, str) else ""
    if len(cleaned) < 5:
        raise ValidationError("Say why (a justification of at least 5 characters).")
    return cleaned[:2000]


def snapshot(row: Scorecard | RuleSet) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "version": row.version, "name": row.name,
            "status": row.status, "justification": row.justification,
            "derived_from_id": row.derived_from_id, "definition": row.definition}


async def load(session: AsyncSession, model: type[Versioned], row_id: int) -> Versioned:
    row = await session.get(model, row_id)
    if row is None:
        raise NotFoundError(f"There is no {entity(model).replace('_', ' ')} with id {row_id}.")
    return row


async def versions_of(
    session: AsyncSession, model: type[Versioned], code: str | None = None
) -> Sequence[Versioned]:
    """Every version (of one code, or all), by code then version."""
    query = select(model).order_by(model.code, model.version)
    if code is not None:
        query = query.where(model.code == check_code(code))
    return (await session.scalars(query)).all()


async def _insert(
    session: AsyncSession, model: type[Versioned], *, code: str, version: int, name: str,
    definition: dict[str, Any], justification: str, actor: str, derived_from: int | None,
    action: str,
) -> Versioned:
    row = model(code=code, version=version, name=name, definition=definition,
                justification=justification, derived_from_id=derived_from, created_by=actor,
                status=ConfigStatus.DRAFT)
    session.add(row)
    await session.flush()
    await trail.record(session, actor=actor, action=f"{entity(model)}.{action}",
                       entity_type=entity(model), entity_id=row.id, after=snapshot(row))
    return row


async def create(
    session: AsyncSession, model: type[Versioned], *, code: str, name: str,
    definition: Mapping[str, Any], justification: str, actor: str, validate: Validator,
) -> Versioned:
    """Version 1 of a new code, as a DRAFT. ConflictError when the code exists."""
    code, name = check_code(code), _name(name)
    reason, canonical = _justification(justification), validate(definition)
    if await session.scalar(select(model.id).where(model.code == code).limit(1)) is not None:
        raise ConflictError(f"{_WORDS[model]} code {code} is taken; revise it or pick another.")
    return await _insert(session, model, code=code, version=1, name=name, definition=canonical,
                         justification=reason, actor=actor, derived_from=None, action="created")


async def _draft_of(session: AsyncSession, model: type[Versioned], code: str) -> Versioned | None:
    return await session.scalar(
        select(model).where(model.code == code, model.status == ConfigStatus.DRAFT))


async def revise(
    session: AsyncSession, model: type[Versioned], *, source_id: int, justification: str,
    actor: str, validate: Validator, definition: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Versioned:
    """The next version of `source`'s code as a DRAFT, with `definition` (or a copy).

    ConflictError when the code already has a draft (edit that one instead).
    """
    source = await load(session, model, source_id)
    reason = _justification(justification)
    canonical = validate(source.definition if definition is None else definition)
    label = source.name if name is None else _name(name)
    existing = await _draft_of(session, model, source.code)
    if existing is not None:
        raise ConflictError(f"{title(existing)} is already a draft; edit it instead.")
    latest = await session.scalar(select(func.max(model.version)).where(model.code == source.code))
    return await _insert(session, model, code=source.code, version=int(latest or 0) + 1,
                         name=label, definition=canonical, justification=reason, actor=actor,
                         derived_from=source.id, action="revised")


async def edit_draft(
    session: AsyncSession, model: type[Versioned], *, row_id: int,
    definition: Mapping[str, Any], justification: str, actor: str, validate: Validator,
    name: str | None = None,
) -> Versioned:
    """Change a DRAFT in place. ConflictError for a published or retired version."""
    row = await load(session, model, row_id)
    if row.status is not ConfigStatus.DRAFT:
        raise ConflictError(f"{title(row)} is {row.status.value} and cannot change; revise it "
                            "to make a new draft version.")
    reason, canonical = _justification(justification), validate(definition)
    label = row.name if name is None else _name(name)
    before = snapshot(row)
    row.definition, row.name, row.justification = canonical, label, reason
    await session.flush()
    await trail.record(session, actor=actor, action=f"{entity(model)}.edited",
                       entity_type=entity(model), entity_id=row.id, before=before,
                       after=snapshot(row))
    return row


async def clone(
    session: AsyncSession, model: type[Versioned], *, source_id: int, code: str, name: str,
    justification: str, actor: str, validate: Validator,
) -> Versioned:
    """Copy any version to a new code (version 1, DRAFT)."""
    source = await load(session, model, source_id)
    code, label, reason = check_code(code), _name(name), _justification(justification)
    if await session.scalar(select(model.id).where(model.code == code).limit(1)) is not None:
        raise ConflictError(f"{_WORDS[model]} code {code} is taken.")
    return await _insert(session, model, code=code, version=1, name=label,
                         definition=validate(source.definition), justification=reason,
                         actor=actor, derived_from=source.id, action="cloned")


async def move(
    session: AsyncSession, row: Versioned, target: ConfigStatus, *, actor: str, now: dt.datetime,
    reason: str | None = None,
) -> Versioned:
    """DRAFT → PUBLISHED or PUBLISHED → RETIRED, stamped and audited."""
    allowed = {ConfigStatus.DRAFT: ConfigStatus.PUBLISHED,
               ConfigStatus.PUBLISHED: ConfigStatus.RETIRED}
    if allowed.get(row.status) is not target:
        raise InvalidTransition(f"{title(row)} is {row.status.value}; it cannot be "
                                f"{target.value}.")
    if now.tzinfo is None:
        raise ValidationError("The time must have a time zone.")
    before = row.status
    row.status = target
    if target is ConfigStatus.PUBLISHED:
        row.published_at, row.published_by = now, actor
    else:
        row.retired_at = now
    await session.flush()
    await trail.record(session, actor=actor, action=f"{entity(type(row))}.{target.value}",
                       entity_type=entity(type(row)), entity_id=row.id,
                       before={"status": before},
                       after={"status": target, "reason": reason})
    return row
