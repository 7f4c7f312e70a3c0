"""WhatsApp's 24-hour customer-service window and the approved templates used outside it.

Inside the window (24 hours from the last message the number sent us on WhatsApp) any text
may be sent. Outside it WhatsApp accepts only a template approved in advance: one per
purpose is configured (`whatsapp_templates`: purpose → ContentSid) and sent with
`ContentVariables`, never free text. The one-time code's template is an authentication
template whose one variable is the code; every other purpose's template has one variable,
the message itself (at most `PART_CHARS`), on one line as WhatsApp requires of a variable.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations.models import Channel, Conversation, ConversationMessage, Direction

WINDOW: Final = dt.timedelta(hours=24)
# WhatsApp messages are split to this length, so any part also fits a template variable.
PART_CHARS: Final = 1_000
_CODE = re.compile(r"(?<!\d)(\d{4,10})(?!\d)")


class NoTemplate(Exception):
    """The message cannot go outside the window; the text says why, for staff."""


@dataclass(frozen=True, slots=True)
class Template:
    content_sid: str
    variables: dict[str, str]

    @property
    def content_variables(self) -> str:
        return json.dumps(self.variables, ensure_ascii=False)


async def last_inbound_at(session: AsyncSession, *, address: str) -> dt.datetime | None:
    """When the number last sent us a WhatsApp message, in any of its conversations."""
    latest: dt.datetime | None = await session.scalar(
        select(func.max(ConversationMessage.created_at))
        .join(Conversation, Conversation.id == ConversationMessage.conversation_id)
        .where(Conversation.channel == Channel.WHATSAPP, Conversation.address == address,
               ConversationMessage.channel == Channel.WHATSAPP,
               ConversationMessage.direction == Direction.INBOUND)
    )
    return latest


def within_window(last_inbound: dt.datetime | None, now: dt.datetime) -> bool:
    return last_inbound is not None and now - last_inbound < WINDOW


def template_for(templates: Mapping[str, str], *, purpose: str, text: str) -> Template:
    """The approved template that carries `text` for `purpose`; `NoTemplate` says why none
    can."""
    content_sid = templates.get(purpose)
    if not content_sid:
        raise NoTemplate(
            f"Not sent: the number has not written on WhatsApp in the last 24 hours, and no "
            f"approved WhatsApp template is configured for '{purpose}' messages "
            "(LENDLINE_WHATSAPP_TEMPLATES). WhatsApp refuses free text outside the window.")
    if purpose == "one_time_code":
        code = _CODE.search(text)
        if code is None:
            raise NoTemplate("Not sent: the one-time code template needs a code, and the "
                             "message has none.")
        return Template(content_sid, {"1": code.group(1)})
    return Template(content_sid, {"1": " ".join(text.split())})
