"""Every flow by name, and which flow each intent starts."""

from __future__ import annotations

from agent.flows import account, collections, lending, servicing
from agent.flows.base import Flow
from agent.understanding.model import Intent

FLOWS: dict[str, Flow] = {
    flow.name: flow for flow in (
        lending.PREQUALIFY, lending.APPLY, lending.APPLICATION_STATUS,
        servicing.BALANCE, servicing.NEXT_PAYMENT, servicing.SCHEDULE, servicing.MAKE_PAYMENT,
        servicing.SETTLEMENT, collections.PROMISE_TO_PAY, collections.HARDSHIP,
        collections.DISPUTE, account.UPDATE_CONTACT, account.OPT_OUT,
    )
}

FLOW_FOR_INTENT: dict[Intent, Flow] = {
    intent: flow for flow in FLOWS.values() for intent in flow.intents
}
