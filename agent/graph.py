"""The conversation graph: understand, route, act, respond; escalate and wait for a person.

```
START → understand ─┬─ verify ──┬─ dialogue ─┐      (documents first when files came
                    │           │            │       with the message, then as usual)
                    ├─ dialogue ┘            ├─ escalate ─┐
                    ├─ question ─────────────┤            ├─ respond ─┬─ END
                    ├─ repair / chitchat ────┤            │           └─ handoff (interrupt)
                    ├─ clarify ──────────────┘            │                  └─ respond → END
                    └─ escalate ──────────────────────────┘
```
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import TurnContext
from agent.nodes.dialogue import dialogue
from agent.nodes.documents import documents
from agent.nodes.escalation import escalate, handoff
from agent.nodes.question import question
from agent.nodes.repair import chitchat, clarify, repair
from agent.nodes.respond import respond
from agent.nodes.routing import (
    after_documents,
    after_node,
    after_respond,
    after_understanding,
    after_verify,
)
from agent.nodes.understand import understand
from agent.nodes.verify import verify
from agent.state import ConversationState

ACTIONS = ("dialogue", "question", "repair", "chitchat", "clarify")


def build_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[ConversationState, TurnContext, ConversationState, ConversationState]:
    graph = StateGraph(ConversationState, context_schema=TurnContext)
    graph.add_node("understand", understand)
    graph.add_node("documents", documents)
    graph.add_node("verify", verify)
    graph.add_node("dialogue", dialogue)
    graph.add_node("question", question)
    graph.add_node("repair", repair)
    graph.add_node("chitchat", chitchat)
    graph.add_node("clarify", clarify)
    graph.add_node("escalate", escalate)
    graph.add_node("respond", respond)
    graph.add_node("handoff", handoff)

    graph.add_edge(START, "understand")
    graph.add_conditional_edges(
        "understand", after_understanding, ["documents", "verify", "escalate", *ACTIONS],
    )
    graph.add_conditional_edges(
        "documents", after_documents, ["respond", "verify", "escalate", *ACTIONS],
    )
    graph.add_conditional_edges("verify", after_verify, ["dialogue", "escalate", "respond"])
    for node in ACTIONS:
        graph.add_conditional_edges(node, after_node, ["escalate", "respond"])
    graph.add_edge("escalate", "respond")
    graph.add_conditional_edges("respond", after_respond, ["handoff", END])
    graph.add_edge("handoff", "respond")
    return graph.compile(checkpointer=checkpointer)
