"""Every tool the agent may call, by name, and their reference page `docs/tools.md`.

The page is generated from the tools themselves (the first paragraph of each docstring, and
each argument's name, type and description as the model sees them), so it cannot drift from
the code: a test fails when it is stale. Regenerate it with `python -m tools.catalogue`
(`--check` only reports whether it is current).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from langchain_core.tools import BaseTool
from pydantic import BaseModel

from tools import applications, collections, customers, documents, identity, loans, products

SECTIONS: Final[tuple[tuple[str, tuple[BaseTool, ...]], ...]] = (
    ("Identity", (identity.send_verification_code, identity.check_verification_code,
                  identity.verify_date_of_birth, identity.find_customer_by_phone)),
    ("Products", (products.list_products, products.quote_loan, products.prequalify)),
    ("Applications", (applications.submit_application, applications.application_status,
                      applications.required_documents, documents.attach_documents)),
    ("Loans", (loans.loan_balance, loans.next_payment, loans.payment_schedule,
               loans.settlement_quote, loans.create_payment_link, loans.report_payment)),
    ("Collections", (collections.promise_to_pay, collections.request_hardship,
                     collections.raise_dispute)),
    ("Customer record", (customers.update_contact_details, customers.opt_out_marketing)),
)
ALL_TOOLS: Final[list[BaseTool]] = [tool for _, group in SECTIONS for tool in group]
TOOLS_BY_NAME: Final[dict[str, BaseTool]] = {tool.name: tool for tool in ALL_TOOLS}
DOC_PATH: Final = Path(__file__).resolve().parent.parent / "docs" / "tools.md"

_HEADER: Final = """# Agent tools

The agent's hands: one tool per domain action over the lending core. Identity always comes
from the turn's `ToolContext` (the verified customer), never from an argument; a loan id or
application reference belonging to someone else is answered as if it did not exist. Amounts
are exact text in the result's `currency`, rates are yearly percentages, and a refusal comes
back as `{"error": "<message for the borrower>", "kind": "<error class>"}`.

Generated from the tools by `python -m tools.catalogue`; do not edit by hand.
"""


def _type(schema: Mapping[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type(option) for option in schema["anyOf"])
    kind = str(schema.get("type", "any"))
    return str(schema.get("format", kind)) if kind == "string" else kind


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _tool_section(tool: BaseTool) -> list[str]:
    purpose = inspect.cleandoc(tool.description).split("\n\n")[0]
    lines = [f"### `{tool.name}`", "", " ".join(purpose.split()), ""]
    model = tool.tool_call_schema
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"Tool {tool.name} has no pydantic argument schema.")
    schema = model.model_json_schema()
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties:
        return [*lines, "No arguments.", ""]
    required = set(schema.get("required", ()))
    lines += ["| argument | type | required | description |", "| --- | --- | --- | --- |"]
    for name, field in properties.items():
        lines.append(f"| `{name}` | {_type(field)} | {'yes' if name in required else 'no'} "
                     f"| {_cell(str(field.get('description', '')))} |")
    return [*lines, ""]


def render_markdown() -> str:
    """The reference page for every tool, grouped by domain."""
    lines = [_HEADER]
    for title, group in SECTIONS:
        lines += [f"## {title}", ""]
        for tool in group:
            lines += _tool_section(tool)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    """Write `docs/tools.md`, or with `--check` say whether it is current (exit 1 if not)."""
    text = render_markdown()
    if "--check" in argv:
        current = DOC_PATH.exists() and DOC_PATH.read_text(encoding="utf-8") == text
        print(f"{DOC_PATH} is {'current' if current else 'stale'}.")
        return 0 if current else 1
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"Wrote {DOC_PATH}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
