"""`Turn`: what a node uses to call tools, say things and hand back its state update.

A node makes one `Turn` from its state and runtime, calls tools through it (each call is
recorded with its arguments and result, and its result's values become facts the numbers
guard accepts), adds replies, and returns `turn.update(...)` as its state update.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from langgraph.prebuilt import ToolRuntime
from langgraph.runtime import Runtime

from agent.context import TurnContext
from agent.state import ConversationState, Escalation, Reply, ToolCall
from core.audit import trail
from tools.catalogue import TOOLS_BY_NAME
from tools.context import ToolContext


class Turn:
    def __init__(self, state: ConversationState, runtime: Runtime[TurnContext]) -> None:
        self.state = state
        self.context = runtime.context
        self.replies: list[Reply] = list(state.get("replies", []))
        self.tool_calls: list[ToolCall] = list(state.get("tool_calls", []))
        self.facts: list[str] = list(state.get("facts", []))
        self.claimed_customer_id = state.get("claimed_customer_id")
        self.escalation: Escalation | None = None
        self.cache: dict[str, dict[str, Any]] = {}

    @property
    def customer_id(self) -> int | None:
        return self.state.get("customer_id")

    def tool_context(self, **override: Any) -> ToolContext:
        context = self.context
        values: dict[str, Any] = {
            "session": context.session, "conversation_id": self.state["conversation_id"],
            "channel": self.state["channel"], "now": context.now, "today": context.today,
            "cipher": context.cipher, "otp_key": context.otp_key,
            "customer_id": self.state.get("customer_id"),
            "claimed_customer_id": self.claimed_customer_id,
            "payments": context.payments, "payment_return_url": context.payment_return_url,
            "attachments": context.attachments,
        }
        values.update(override)
        return ToolContext(**values)

    async def call(self, name: str, **args: Any) -> dict[str, Any]:
        """Run tool `name` for the verified borrower; record the call and its result."""
        runtime = ToolRuntime(
            state=self.state, context=self.tool_context(), config={},
            stream_writer=lambda _chunk: None, tool_call_id=f"call-{uuid.uuid4().hex[:12]}",
            store=None,
        )
        result: dict[str, Any] = await TOOLS_BY_NAME[name].ainvoke({**args, "runtime": runtime})
        safe_args = trail.json_safe(args)
        self.tool_calls.append({"name": name, "args": safe_args, "result": _redacted(result)})
        self.facts.append(json.dumps(_redacted(result), default=str))
        await trail.record(
            self.context.session, actor=f"agent:conversation-{self.state['conversation_id']}",
            action=f"tool.{name}", entity_type="conversation",
            entity_id=self.state["conversation_id"],
            after={"args": safe_args, "result": _redacted(result)},
        )
        return result

    async def call_once(self, name: str, **args: Any) -> dict[str, Any]:
        """`call`, but a second identical call in this node reuses the first result."""
        key = json.dumps([name, trail.json_safe(args)], sort_keys=True)
        if key not in self.cache:
            self.cache[key] = await self.call(name, **args)
        return self.cache[key]

    def say(self, text: str, purpose: str = "reply", contact_point_id: int | None = None,
            *, streamed: bool = False) -> None:
        reply: Reply = {"text": text, "purpose": purpose}
        if contact_point_id is not None:
            reply["contact_point_id"] = contact_point_id
        if streamed:
            reply["streamed"] = True
        self.replies.append(reply)

    def escalate(self, reason: str, detail: str = "") -> None:
        """Ask for a person: the graph opens the escalation once this node has finished."""
        self.escalation = {"reason": reason, "detail": detail,
                           "since": self.context.now.isoformat(), "status": "requested"}

    def update(self, **values: Any) -> dict[str, Any]:
        """The node's state update: replies, tool calls and facts so far, plus `values`."""
        update: dict[str, Any] = {"replies": self.replies, "tool_calls": self.tool_calls,
                                  "facts": self.facts}
        if self.escalation is not None:
            update["escalation"] = self.escalation
        return {**update, **values}


def _redacted(result: dict[str, Any]) -> dict[str, Any]:
    """A tool result as it may be stored: a one-time code never reaches the transcript."""
    return {key: ("[redacted]" if key == "code" else value) for key, value in result.items()}
