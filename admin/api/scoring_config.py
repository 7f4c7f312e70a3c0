"""Scorecard and rule-set configuration API (staff): list and read any version; supervisors
and admins create, edit drafts, revise, clone, publish, retire, and import or export a
scorecard as CSV. A published version never changes: PUT on one answers 409."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status

from admin.api.scoring_views import (
    CloneIn,
    RetireIn,
    RuleChangeIn,
    VersionEdit,
    VersionIn,
    VersionOut,
)
from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.errors import PermissionDenied, ValidationError
from core.scoring import rulesets, scorecards
from core.scoring.scorecard_csv import MAX_BYTES
from core.staff.models import Role

router = APIRouter(tags=["scoring"])
_EDITORS = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Editor:
    actor: str
    now: dt.datetime


def editor(request: Request, staff: CurrentStaff) -> Editor:
    if staff.role not in _EDITORS:
        raise PermissionDenied("Only supervisors and admins may change scorecards and rules.")
    settings: Any = request.app.state.settings
    return Editor(f"staff:{staff.id}", dt.datetime.now(ZoneInfo(settings.timezone)))


EditorDep = Annotated[Editor, Depends(editor)]


@router.get("/scorecards")
async def list_scorecards(
    session: SessionDep, staff: CurrentStaff, code: str | None = None
) -> list[VersionOut]:
    """Every scorecard version (of one code, or all)."""
    return [VersionOut.of(r) for r in await scorecards.list_scorecards(session, code=code)]


@router.get("/scorecards/{scorecard_id}")
async def get_scorecard(scorecard_id: int, session: SessionDep, staff: CurrentStaff) -> VersionOut:
    return VersionOut.of(await scorecards.get_scorecard(session, scorecard_id=scorecard_id))


@router.post("/scorecards", status_code=status.HTTP_201_CREATED)
async def create_scorecard(body: VersionIn, session: SessionDep, who: EditorDep) -> VersionOut:
    """A new scorecard code, version 1, as a draft."""
    return VersionOut.of(await scorecards.create_scorecard(
        session, code=body.code, name=body.name, definition=body.definition,
        justification=body.justification, actor=who.actor))


@router.put("/scorecards/{scorecard_id}")
async def edit_scorecard(
    scorecard_id: int, body: VersionEdit, session: SessionDep, who: EditorDep
) -> VersionOut:
    """Change a draft (409 for a published or retired version: revise it instead)."""
    current = await scorecards.get_scorecard(session, scorecard_id=scorecard_id)
    return VersionOut.of(await scorecards.edit_scorecard(
        session, scorecard_id=scorecard_id, definition=body.definition or current.definition,
        justification=body.justification, actor=who.actor, name=body.name))


@router.post("/scorecards/{scorecard_id}/revisions", status_code=status.HTTP_201_CREATED)
async def revise_scorecard(
    scorecard_id: int, body: VersionEdit, session: SessionDep, who: EditorDep
) -> VersionOut:
    """The next version of this scorecard's code, as a draft (a copy unless a definition
    is sent)."""
    return VersionOut.of(await scorecards.revise_scorecard(
        session, scorecard_id=scorecard_id, justification=body.justification, actor=who.actor,
        definition=body.definition, name=body.name))


@router.post("/scorecards/{scorecard_id}/clone", status_code=status.HTTP_201_CREATED)
async def clone_scorecard(
    scorecard_id: int, body: CloneIn, session: SessionDep, who: EditorDep
) -> VersionOut:
    return VersionOut.of(await scorecards.clone_scorecard(
        session, scorecard_id=scorecard_id, code=body.code, name=body.name,
        justification=body.justification, actor=who.actor))


@router.post("/scorecards/{scorecard_id}/publish")
async def publish_scorecard(scorecard_id: int, session: SessionDep, who: EditorDep) -> VersionOut:
    return VersionOut.of(await scorecards.publish_scorecard(
        session, scorecard_id=scorecard_id, actor=who.actor, now=who.now))


@router.post("/scorecards/{scorecard_id}/retire")
async def retire_scorecard(
    scorecard_id: int, body: RetireIn, session: SessionDep, who: EditorDep
) -> VersionOut:
    return VersionOut.of(await scorecards.retire_scorecard(
        session, scorecard_id=scorecard_id, reason=body.reason, actor=who.actor, now=who.now))


async def read_csv(file: UploadFile, limit: int) -> str:
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(f"The file is larger than {limit // 1_000_000} MB.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text; save the CSV as UTF-8.") from None


@router.post("/scorecards/import", status_code=status.HTTP_201_CREATED)
async def import_scorecard(
    session: SessionDep, who: EditorDep, file: Annotated[UploadFile, File()],
    code: Annotated[str, Form()], name: Annotated[str, Form()],
    justification: Annotated[str, Form()],
) -> VersionOut:
    """A draft from a scorecard CSV: the next version of `code`, or version 1 of it."""
    text = await read_csv(file, MAX_BYTES)
    return VersionOut.of(await scorecards.import_scorecard_csv(
        session, csv_text=text, code=code, name=name, justification=justification,
        actor=who.actor))


@router.get("/scorecards/{scorecard_id}/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The scorecard as CSV."}})
async def export_scorecard(scorecard_id: int, session: SessionDep, staff: CurrentStaff) -> Response:
    row = await scorecards.get_scorecard(session, scorecard_id=scorecard_id)
    text = await scorecards.export_scorecard_csv(session, scorecard_id=scorecard_id)
    filename = f"scorecard-{row.code}-v{row.version}.csv"
    return Response(content=text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/rule-sets")
async def list_rule_sets(
    session: SessionDep, staff: CurrentStaff, code: str | None = None
) -> list[VersionOut]:
    return [VersionOut.of(r) for r in await rulesets.list_rule_sets(session, code=code)]


@router.get("/rule-sets/{rule_set_id}")
async def get_rule_set(rule_set_id: int, session: SessionDep, staff: CurrentStaff) -> VersionOut:
    return VersionOut.of(await rulesets.get_rule_set(session, rule_set_id=rule_set_id))


@router.put("/rule-sets/{rule_set_id}/rules/{rule_id}")
async def change_rule(
    rule_set_id: int, rule_id: str, body: RuleChangeIn, session: SessionDep, who: EditorDep
) -> VersionOut:
    """Change (or add) one rule: edits the draft, or makes the next draft version of a
    published rule set. Publish the draft to put it live."""
    return VersionOut.of(await rulesets.change_rule(
        session, rule_set_id=rule_set_id, rule_id=rule_id, changes=body.changes,
        justification=body.justification, actor=who.actor))


@router.post("/rule-sets/{rule_set_id}/publish")
async def publish_rule_set(rule_set_id: int, session: SessionDep, who: EditorDep) -> VersionOut:
    return VersionOut.of(await rulesets.publish_rule_set(
        session, rule_set_id=rule_set_id, actor=who.actor, now=who.now))


@router.post("/rule-sets/{rule_set_id}/retire")
async def retire_rule_set(
    rule_set_id: int, body: RetireIn, session: SessionDep, who: EditorDep
) -> VersionOut:
    return VersionOut.of(await rulesets.retire_rule_set(
        session, rule_set_id=rule_set_id, reason=body.reason, actor=who.actor, now=who.now))
