"""Scorecard versions: create, edit a draft, revise, clone, publish, retire, CSV in and out.

The lifecycle and its guarantees are those of `core.scoring.versions`. Definitions are
validated by `ScorecardSpec`; a published scorecard is compiled once per definition and
the compiled form reused (`compiled`), which is safe because published versions never
change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConflictError
from core.scoring import versions
from core.scoring.models import ConfigStatus, Scorecard
from core.scoring.routing import check_arms, live_routing
from core.scoring.scorecard import ScorecardSpec
from core.scoring.scorecard_csv import export_csv, import_csv
from core.scoring.scoring import CompiledScorecard

_CACHE: dict[str, CompiledScorecard] = {}
_CACHE_LIMIT: Final = 64


def canonical(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a definition and return its canonical JSON form."""
    return ScorecardSpec.from_dict(definition).as_dict()


def compiled(row: Scorecard) -> CompiledScorecard:
    """The compiled scorecard of a stored version (cached by the definition's hash)."""
    key = hashlib.sha256(json.dumps(row.definition, sort_keys=True).encode()).hexdigest()
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        found = _CACHE[key] = CompiledScorecard(ScorecardSpec.from_dict(row.definition))
    return found


async def get_scorecard(session: AsyncSession, *, scorecard_id: int) -> Scorecard:
    """The scorecard version with this id; NotFoundError when there is none."""
    return await versions.load(session, Scorecard, scorecard_id)


async def list_scorecards(session: AsyncSession, *, code: str | None = None) -> Sequence[Scorecard]:
    """Every version (of one code, or all), by code and version."""
    return await versions.versions_of(session, Scorecard, code)


async def create_scorecard(
    session: AsyncSession, *, code: str, name: str, definition: Mapping[str, Any],
    justification: str, actor: str,
) -> Scorecard:
    """Version 1 of a new scorecard, as a draft. ValidationError for a bad definition,
    ConflictError when the code is taken."""
    return await versions.create(session, Scorecard, code=code, name=name, definition=definition,
                                 justification=justification, actor=actor, validate=canonical)


async def edit_scorecard(
    session: AsyncSession, *, scorecard_id: int, definition: Mapping[str, Any],
    justification: str, actor: str, name: str | None = None,
) -> Scorecard:
    """Change a draft. ConflictError for a published or retired version (revise it)."""
    return await versions.edit_draft(session, Scorecard, row_id=scorecard_id,
                                     definition=definition, justification=justification,
                                     actor=actor, validate=canonical, name=name)


async def revise_scorecard(
    session: AsyncSession, *, scorecard_id: int, justification: str, actor: str,
    definition: Mapping[str, Any] | None = None, name: str | None = None,
) -> Scorecard:
    """The next version of this scorecard's code as a draft (a copy unless `definition`)."""
    return await versions.revise(session, Scorecard, source_id=scorecard_id,
                                 justification=justification, actor=actor, validate=canonical,
                                 definition=definition, name=name)


async def clone_scorecard(
    session: AsyncSession, *, scorecard_id: int, code: str, name: str, justification: str,
    actor: str,
) -> Scorecard:
    """A copy of any version under a new code (version 1, draft)."""
    return await versions.clone(session, Scorecard, source_id=scorecard_id, code=code,
                                name=name, justification=justification, actor=actor,
                                validate=canonical)


async def publish_scorecard(
    session: AsyncSession, *, scorecard_id: int, actor: str, now: dt.datetime
) -> Scorecard:
    """DRAFT → PUBLISHED: from now on the version never changes and may go live."""
    row = await get_scorecard(session, scorecard_id=scorecard_id)
    return await versions.move(session, row, ConfigStatus.PUBLISHED, actor=actor, now=now)


async def retire_scorecard(
    session: AsyncSession, *, scorecard_id: int, reason: str, actor: str, now: dt.datetime
) -> Scorecard:
    """PUBLISHED → RETIRED. ConflictError while the live routing uses it."""
    row = await get_scorecard(session, scorecard_id=scorecard_id)
    try:
        arms = check_arms((await live_routing(session)).arms)
    except ConflictError:
        arms = ()
    if any(arm.scorecard_id == row.id for arm in arms):
        raise ConflictError(f"{versions.title(row)} is in the live routing; take it out (or "
                            "promote another champion) before retiring it.")
    return await versions.move(session, row, ConfigStatus.RETIRED, actor=actor, now=now,
                               reason=" ".join(reason.split()) or None)


async def import_scorecard_csv(
    session: AsyncSession, *, csv_text: str, code: str, name: str, justification: str,
    actor: str,
) -> Scorecard:
    """A draft from CSV (format in `core.scoring.scorecard_csv`): the code's draft is
    replaced, or the next version of `code` made, or version 1 when the code is new.
    ValidationError names the bad lines; nothing is written."""
    definition = import_csv(csv_text).as_dict()
    existing = await versions.versions_of(session, Scorecard, code)
    if existing and existing[-1].status is ConfigStatus.DRAFT:
        return await edit_scorecard(session, scorecard_id=existing[-1].id, definition=definition,
                                    justification=justification, actor=actor, name=name)
    if existing:
        return await revise_scorecard(session, scorecard_id=existing[-1].id,
                                      definition=definition, justification=justification,
                                      actor=actor, name=name)
    return await create_scorecard(session, code=code, name=name, definition=definition,
                                  justification=justification, actor=actor)


async def export_scorecard_csv(session: AsyncSession, *, scorecard_id: int) -> str:
    """The version as CSV text."""
    row = await get_scorecard(session, scorecard_id=scorecard_id)
    return export_csv(ScorecardSpec.from_dict(row.definition))
