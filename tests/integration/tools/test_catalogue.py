"""The tool catalogue: the names the agent is coded against, contracts on every tool and
argument, and docs/tools.md kept in step with the code."""

from __future__ import annotations

from tools.catalogue import ALL_TOOLS, DOC_PATH, TOOLS_BY_NAME, main, render_markdown

NAMES = {
    "send_verification_code", "check_verification_code", "verify_date_of_birth",
    "find_customer_by_phone", "list_products", "quote_loan", "prequalify",
    "submit_application", "application_status", "required_documents", "attach_documents",
    "loan_balance", "next_payment", "payment_schedule", "settlement_quote", "create_payment_link",
    "report_payment", "promise_to_pay", "request_hardship", "raise_dispute",
    "update_contact_details", "opt_out_marketing",
}


def test_every_tool_once_by_its_contract_name() -> None:
    assert set(TOOLS_BY_NAME) == NAMES
    assert len(ALL_TOOLS) == len(NAMES)


def test_every_tool_and_argument_is_described_and_identity_is_never_an_argument() -> None:
    for tool in ALL_TOOLS:
        assert len(tool.description) > 40, tool.name
        schema = tool.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
        for name, field in schema.get("properties", {}).items():
            assert field.get("description"), f"{tool.name}.{name}"
            assert "customer" not in name and name != "runtime", f"{tool.name}.{name}"


def test_docs_are_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_markdown(), (
        "docs/tools.md is stale: run `python -m tools.catalogue`")
    assert main(["--check"]) == 0
