"""The rule expression language: grammar, Decimal arithmetic, types, missing facts and the
errors a staff member sees, with positions."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import ValidationError
from core.scoring.evaluator import EvaluationError, MissingFact, compile_expression, evaluate
from core.scoring.facts import CATALOGUE
from core.scoring.lexer import ExpressionError

FACTS = {"income": D("10000"), "debts": D("2500"), "status": "employed", "verified": True,
         "score": D(640), "nothing": None, "zero": D(0)}


@pytest.mark.parametrize(("source", "expected"), [
    ("1 + 2 * 3", D(7)),
    ("(1 + 2) * 3", D(9)),
    ("10 - 4 - 3", D(3)),
    ("12 / 4 / 3", D(1)),
    ("-2 * -3", D(6)),
    ("debts / income", D("0.25")),
    ("1 / 3", D("0.3333333333333333333333333333")),
    ("0.1 + 0.2", D("0.3")),
    ("min(income, debts, 7000)", D(2500)),
    ("max(1, 2.5)", D("2.5")),
    ("abs(debts - income)", D(7500)),
    ("round(2 / 3, 2)", D("0.67")),
    ("round(0.125, 2)", D("0.13")),
    ("coalesce(nothing, debts)", D(2500)),
    ("'text with \\'quote\\''", "text with 'quote'"),
])
def test_arithmetic_is_exact_decimal(source: str, expected: object) -> None:
    assert evaluate(source, FACTS) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("debts / income > 0.2 and verified", True),
    ("debts / income > 0.3 or not verified", False),
    ("not verified == false", True),
    ("status == 'employed'", True),
    ("status != \"employed\"", False),
    ("status in ['employed', 'contract']", True),
    ("status not in ['employed', 'contract']", False),
    ("score in [600, 640]", True),
    ("score >= 640 and score <= 640", True),
    ("'apple' < 'banana'", True),
    ("is_missing(nothing) and not is_missing(debts)", True),
    ("TRUE AND True", True),
    ("score < 600 or score > 700 or income == 10000.00", True),
])
def test_logic_comparisons_and_membership(source: str, expected: bool) -> None:
    assert evaluate(source, FACTS) is expected


def test_and_or_short_circuit_past_a_missing_fact() -> None:
    assert evaluate("verified or nothing > 1", FACTS) is True
    assert evaluate("not verified and nothing > 1", FACTS) is False


@pytest.mark.parametrize("source", ["nothing > 1", "nothing + 1", "coalesce(nothing, nothing)"])
def test_a_missing_fact_cannot_be_decided(source: str) -> None:
    with pytest.raises(MissingFact):
        evaluate(source, FACTS)


@pytest.mark.parametrize(("source", "message"), [
    ("1 +", "Expected a value, found the end of the expression (at position 4)"),
    ("(1 + 2", "Expected `)`, found the end of the expression (at position 7)"),
    ("income = 2", "Use == to compare for equality (at position 8)"),
    ("income > 1 > 0", "Comparisons cannot be chained; join them with `and` (at position 12)"),
    ("'open", "This text is missing its closing quote (at position 1)"),
    ("income # 2", "Unexpected character '#' (at position 8)"),
    ("1.", "A number needs digits after its decimal point (at position 3)"),
    ("12abc", "Unexpected 'a' after a number (at position 3)"),
    ("income income", "Unexpected 'income' (at position 8)"),
    ("status in 'a'", "`in` needs a list such as ['a', 'b'] (at position 11)"),
    ("[1, 2]", "A list can only follow `in` (at position 1)"),
    ("", "The expression is empty"),
])
def test_syntax_errors_name_the_position(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert caught.value.message == f"{message}."
    assert isinstance(caught.value, ValidationError)


@pytest.mark.parametrize(("source", "message"), [
    ("incme > 1", "Unknown fact 'incme' (at position 1)"),
    ("monthly_income > 'a lot'", "`>` cannot compare a number with text (at position 16)"),
    ("monthly_income + identity_verified", "`+` needs a number, not true/false (at position 16)"),
    ("not monthly_income", "`not` needs true/false, not a number (at position 1)"),
    ("identity_verified < true", "`<` compares numbers or texts, not true/false (at position 19)"),
    ("employment_status in ['employed', 3]", "The list holds a number but is compared with "
                                             "text (at position 35)"),
    ("sqrt(age)", "Unknown function 'sqrt'; use min, max, abs, round, coalesce or is_missing "
                  "(at position 1)"),
    ("abs(age, 2)", "abs takes 1 value(s), not 2 (at position 1)"),
    ("min(age)", "min takes 2 or more value(s), not 1 (at position 1)"),
    ("max(age, occupation)", "max needs a number, not text (at position 10)"),
    ("coalesce(age, occupation)", "coalesce takes two or more values of one type (at position 1)"),
])
def test_the_catalogue_catches_unknown_facts_and_type_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, CATALOGUE)
    assert caught.value.message == f"{message}."


@pytest.mark.parametrize(("source", "facts", "message"), [
    ("debts / zero", FACTS, "Division by zero."),
    ("undefined_fact > 1", FACTS, "Unknown fact 'undefined_fact'."),
    ("income + status", FACTS, "`+` needs two numbers, got Decimal('10000') and 'employed'."),
    ("income > status", FACTS, "`>` cannot compare Decimal('10000') with 'employed'."),
    ("round(income, 0.5)", FACTS, "round needs 0 to 10 decimal places."),
])
def test_evaluation_errors_are_clear(source: str, facts: dict[str, object], message: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate(source, facts)  # type: ignore[arg-type]
    assert caught.value.message == message


def test_compiling_never_executes_python() -> None:
    with pytest.raises(ExpressionError):
        compile_expression("__import__('os').system('true')")
    with pytest.raises(ExpressionError, match="Unknown function '__import__'"):
        compile_expression("__import__('os')")


def test_a_compiled_expression_is_reusable_and_typed() -> None:
    kind, function = compile_expression("debt_to_income * 100", CATALOGUE)
    assert kind == "number"
    assert function({"debt_to_income": D("0.2512")}) == D("25.1200")
    assert function({"debt_to_income": D("0.5")}) == D("50.0")
