"""The run-time side of compiled expressions: the closures operators compile to, and the
errors evaluation can raise. See `core.scoring.evaluator` for the semantics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from core.errors import ValidationError
from core.scoring.parser import Value

Facts = Mapping[str, Value]
Compiled = Callable[[Facts], Value]

NUMBER: Final = "number"
TEXT: Final = "text"
BOOL: Final = "true/false"
ANY: Final = "any"
_TYPE_OF: Final = {Decimal: NUMBER, str: TEXT, bool: BOOL}
WORDS: Final = {NUMBER: "a number", TEXT: "text", BOOL: "true/false", ANY: "a value"}


class EvaluationError(ValidationError):
    """An expression that failed on these facts: unknown fact, wrong type, division by zero."""


class MissingFact(Exception):
    """A fact needed by the expression has no value for this applicant."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def type_of(value: Value) -> str:
    return ANY if value is None else _TYPE_OF[type(value)]


def runtime(value: Value, wanted: str, what: str) -> None:
    if value is None or type_of(value) != wanted:
        raise EvaluationError(f"{what} needs {WORDS[wanted]}, got {value!r}.")


def check_same(left: Value, right: Value, what: str) -> None:
    if type(left) is not type(right):
        raise EvaluationError(f"{what} cannot compare {left!r} with {right!r}.")


def logical(op: str, left: Compiled, right: Compiled) -> Compiled:
    def both(facts: Facts) -> Value:
        value = left(facts)
        runtime(value, BOOL, "`and`")
        if not value:
            return False
        other = right(facts)
        runtime(other, BOOL, "`and`")
        return other

    def either(facts: Facts) -> Value:
        value = left(facts)
        runtime(value, BOOL, "`or`")
        if value:
            return True
        other = right(facts)
        runtime(other, BOOL, "`or`")
        return other

    return both if op == "and" else either


def arithmetic(op: str, left: Compiled, right: Compiled) -> Compiled:
    def apply(facts: Facts) -> Value:
        a, b = left(facts), right(facts)
        if not isinstance(a, Decimal) or not isinstance(b, Decimal):
            raise EvaluationError(f"`{op}` needs two numbers, got {a!r} and {b!r}.")
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if not b:
            raise EvaluationError("Division by zero.")
        return a / b

    return apply


def comparison(op: str, left: Compiled, right: Compiled) -> Compiled:
    def compare(facts: Facts) -> Value:
        a, b = left(facts), right(facts)
        check_same(a, b, f"`{op}`")
        return compare_values(a, op, b)

    return compare


def compare_values(a: Value, op: str, b: Value) -> bool:
    """`a op b` for two values of one type (checked by the caller)."""
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        raise EvaluationError(f"`{op}` compares numbers or texts, got {a!r} and {b!r}.")
    assert type(a) is type(b)
    if op == "<":
        return a < b  # type: ignore[operator]  # same type, checked above
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def is_missing(argument: Compiled) -> Compiled:
    def check(facts: Facts) -> Value:
        try:
            return argument(facts) is None
        except MissingFact:
            return True

    return check


def coalesce(arguments: list[Compiled]) -> Compiled:
    def first(facts: Facts) -> Value:
        for argument in arguments:
            try:
                value = argument(facts)
            except MissingFact:
                continue
            if value is not None:
                return value
        raise MissingFact("coalesce")

    return first


def numeric_function(name: str, arguments: list[Compiled]) -> Compiled:
    def call(facts: Facts) -> Value:
        values = [argument(facts) for argument in arguments]
        numbers = [value for value in values if isinstance(value, Decimal)]
        if len(numbers) != len(values):
            raise EvaluationError(f"{name} needs numbers, got {values!r}.")
        if name == "min":
            return min(numbers)
        if name == "max":
            return max(numbers)
        if name == "abs":
            return abs(numbers[0])
        places = numbers[1]
        if places != places.to_integral_value() or not 0 <= places <= 10:
            raise EvaluationError("round needs 0 to 10 decimal places.")
        return numbers[0].quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)

    return call


