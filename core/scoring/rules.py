"""Business rules as data: `RuleSpec`, a validated rule set, and their compiled form.

A rule FIRES when `<expression> <operator> <threshold>` is true, e.g. expression
`debt_service_ratio`, operator `>`, threshold `0.45` fires above 45%. The threshold is a
literal: a number (`0.45`), quoted text (`'unemployed'`), `true`/`false`, or a list
(`['unemployed', 'student']`) for `in` / `not in`. A rule whose expression needs a missing
fact, or fails (division by zero), has outcome MISSING or ERROR: it cannot pass, so the
application goes to a person (see `core.scoring.assess`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from core.errors import ValidationError
from core.products.spec import as_enum
from core.scoring.evaluator import (
    BOOL,
    NUMBER,
    TEXT,
    Compiled,
    EvaluationError,
    MissingFact,
    compile_expression,
    type_of,
)
from core.scoring.facts import CATALOGUE
from core.scoring.lexer import ExpressionError
from core.scoring.parser import Fact, ListOf, Literal, Value, parse


class Severity(StrEnum):
    HARD_DECLINE = "hard_decline"
    REFER = "refer"
    SOFT_FLAG = "soft_flag"


class Outcome(StrEnum):
    PASS = "pass"
    FIRED = "fired"
    MISSING = "missing"
    ERROR = "error"
    DISABLED = "disabled"


OPERATORS: Final = (">", ">=", "<", "<=", "==", "!=", "in", "not in")
_RULE_ID: Final = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSpec:
    """One business rule; validated (and its expression type-checked) on construction.

    `reason` is the plain sentence an adverse-action notice uses when the rule fires.
    `counter_offerable` marks affordability rules a smaller amount or a longer term can
    satisfy, which lets the engine search for a counter-offer.
    """

    id: str
    description: str
    expression: str
    operator: str
    threshold: str
    severity: Severity
    reason: str
    enabled: bool = True
    counter_offerable: bool = False

    def __post_init__(self) -> None:
        put = object.__setattr__
        rule_id = self.id.strip().upper() if isinstance(self.id, str) else ""
        if not _RULE_ID.match(rule_id):
            raise ValidationError(f"{self.id!r} is not a rule id: use A–Z, 0–9 and _, "
                                  "starting with a letter, at most 40 characters.")
        put(self, "id", rule_id)
        for field, limit in (("description", 300), ("reason", 300)):
            text = " ".join(str(getattr(self, field) or "").split())
            if not text or len(text) > limit:
                raise ValidationError(f"Rule {rule_id} needs a {field} of 1 to {limit} "
                                      "characters.")
            put(self, field, text)
        put(self, "severity", as_enum(Severity, self.severity, "rule severity"))
        if self.operator not in OPERATORS:
            raise ValidationError(f"Rule {rule_id}: {self.operator!r} is not an operator; use "
                                  f"one of {', '.join(OPERATORS)}.")
        for flag in (self.enabled, self.counter_offerable):
            if not isinstance(flag, bool):
                raise ValidationError(f"Rule {rule_id}: flags must be true or false.")
        compile_rule(self)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "expression": self.expression,
                "operator": self.operator, "threshold": self.threshold,
                "severity": self.severity.value, "reason": self.reason, "enabled": self.enabled,
                "counter_offerable": self.counter_offerable}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RuleSpec:
        known = {"id", "description", "expression", "operator", "threshold", "severity",
                 "reason", "enabled", "counter_offerable"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValidationError(f"Unknown rule field(s): {', '.join(unknown)}.")
        missing = sorted({"id", "expression", "operator", "threshold", "severity"} - set(values))
        if missing:
            raise ValidationError(f"A rule needs: {', '.join(missing)}.")
        return cls(**values)


def _threshold(rule: RuleSpec) -> tuple[Value, ...]:
    """The threshold's literal values (one, or several for `in`)."""
    where = f"Rule {rule.id} threshold"
    try:
        node = parse(str(rule.threshold))
    except ExpressionError as error:
        raise ValidationError(f"{where}: {error.message}") from None
    literals = node.items if isinstance(node, ListOf) else (node,)
    values: list[Value] = []
    for item in literals:
        if not isinstance(item, Literal):
            raise ValidationError(f"{where} must be a number, quoted text, true/false or, for "
                                  "`in`, a list of them.")
        values.append(item.value)
    if isinstance(node, ListOf) != rule.operator.endswith("in"):
        raise ValidationError(f"{where}: use a list with `in` / `not in`, and only with them.")
    return tuple(values)


_REFLECTED: Final = {">": "__lt__", ">=": "__le__", "<": "__gt__", "<=": "__ge__",
                     "==": "__eq__", "!=": "__ne__"}
_PYTHON_TYPE: Final = {NUMBER: Decimal, TEXT: str, BOOL: bool}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its expression compiled once, its comparison chosen once."""

    spec: RuleSpec
    expression: Compiled
    threshold: tuple[Value, ...]
    value_type: type
    fires: Callable[[Value], bool]
    fact: str | None
    """The fact's name when the expression is just one fact (the batch path reads it
    directly)."""

    def check(self, facts: Mapping[str, Value]) -> tuple[Outcome, Value, str | None]:
        """(outcome, the expression's value, a problem) on these facts."""
        if not self.spec.enabled:
            return Outcome.DISABLED, None, None
        try:
            value = self.expression(facts)
        except MissingFact as missing:
            return Outcome.MISSING, None, f"no value for {missing.name}"
        except EvaluationError as error:
            return Outcome.ERROR, None, error.message
        if type(value) is not self.value_type:
            return Outcome.ERROR, value, f"{value!r} cannot be compared with the threshold"
        return (Outcome.FIRED if self.fires(value) else Outcome.PASS), value, None


def _fires(op: str, values: tuple[Value, ...]) -> Callable[[Value], bool]:
    """`value op threshold` as one call: the threshold's reflected method (`v > t` is
    `t.__lt__(v)`). Only ever called with a value of the threshold's type."""
    if op == "in":
        return values.__contains__
    if op == "not in":
        return lambda value: value not in values
    fires: Callable[[Value], bool] = getattr(values[0], _REFLECTED[op])
    return fires


def compile_rule(rule: RuleSpec) -> CompiledRule:
    """Type-check the rule against the fact catalogue and compile it. ValidationError if bad."""
    try:
        kind, function = compile_expression(rule.expression, CATALOGUE)
    except ExpressionError as error:
        raise ValidationError(f"Rule {rule.id} expression: {error.message}") from None
    values = _threshold(rule)
    for value in values:
        if type_of(value) != kind:
            raise ValidationError(f"Rule {rule.id}: the expression gives {kind} but the "
                                  f"threshold {value!r} is {type_of(value)}.")
    if kind == BOOL and rule.operator not in ("==", "!=", "in", "not in"):
        raise ValidationError(f"Rule {rule.id}: compare true/false with == or !=.")
    node = parse(rule.expression)
    return CompiledRule(rule, function, values, _PYTHON_TYPE[kind], _fires(rule.operator, values),
                        node.name if isinstance(node, Fact) else None)


@dataclass(frozen=True, slots=True)
class RuleSetSpec:
    """An ordered set of rules with unique ids (the order is the order of the trace)."""

    rules: tuple[RuleSpec, ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValidationError("A rule set needs at least one rule.")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValidationError(f"Rule {rule.id} is listed twice.")
            seen.add(rule.id)

    def as_dict(self) -> dict[str, Any]:
        return {"rules": [rule.as_dict() for rule in self.rules]}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RuleSetSpec:
        rules = values.get("rules") if isinstance(values, Mapping) else None
        if not isinstance(rules, Sequence) or isinstance(rules, str):
            raise ValidationError("A rule set is {'rules': [...]}.")
        return cls(tuple(
            rule if isinstance(rule, RuleSpec) else RuleSpec.from_dict(rule) for rule in rules
        ))

    def compile(self) -> tuple[CompiledRule, ...]:
        return tuple(compile_rule(rule) for rule in self.rules)
