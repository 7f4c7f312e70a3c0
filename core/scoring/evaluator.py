"""Type-check an expression AST against the fact catalogue and compile it to a function.

Compiling turns every node into a small Python closure once, so evaluating a rule over a
facts dict is a few function calls (the batch path evaluates millions). Semantics:

- numbers are `Decimal` (28 significant digits), never float; `/` by zero is an error;
- `+ - * /` take numbers; `< <= > >=` take two numbers or two texts; `== !=` take two
  values of the same type; `and or not` take true/false and short-circuit;
- `x in [a, b]` is true when x equals one of the items (same type);
- functions: `min(a, b, ...)`, `max(a, b, ...)`, `abs(a)`, `round(a, places)` (half up),
  `coalesce(a, b, ...)` (the first value that is not missing), `is_missing(a)`;
- a fact whose value is missing (None) raises `MissingFact` wherever an operator needs it,
  except inside `coalesce` and `is_missing`: a rule over a missing fact cannot be decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from core.scoring.lexer import ExpressionError
from core.scoring.operations import (
    ANY,
    BOOL,
    NUMBER,
    TEXT,
    WORDS,
    Compiled,
    EvaluationError,
    Facts,
    MissingFact,
    arithmetic,
    check_same,
    coalesce,
    compare_values,
    comparison,
    is_missing,
    logical,
    numeric_function,
    runtime,
    type_of,
)
from core.scoring.parser import (
    Binary,
    Call,
    Fact,
    Literal,
    Membership,
    Node,
    Unary,
    Value,
    parse,
)

__all__ = ["ANY", "BOOL", "NUMBER", "TEXT", "Compiled", "EvaluationError", "MissingFact",
           "compare_values", "compile_expression", "evaluate", "type_of"]


def _require(kind: str, wanted: str, what: str, position: int) -> None:
    if kind not in (wanted, ANY):
        raise ExpressionError(f"{what} needs {WORDS[wanted]}, not {WORDS[kind]}", position)


class _Compiler:
    def __init__(self, catalogue: Mapping[str, str] | None) -> None:
        self.catalogue = catalogue

    def compile(self, node: Node) -> tuple[str, Compiled]:
        if isinstance(node, Literal):
            value = node.value
            return type_of(value), lambda facts: value
        if isinstance(node, Fact):
            return self._fact(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Membership):
            return self._membership(node)
        if isinstance(node, Call):
            return self._call(node)
        raise ExpressionError("A list can only follow `in`", node.position)

    def _fact(self, node: Fact, *, lenient: bool = False) -> tuple[str, Compiled]:
        """A fact reader; `lenient` returns None for a missing value instead of raising
        (for `coalesce` and `is_missing`, which look at missing values themselves)."""
        name = node.name
        kind = ANY
        if self.catalogue is not None:
            if name not in self.catalogue:
                raise ExpressionError(f"Unknown fact {name!r}", node.position)
            kind = self.catalogue[name]

        def fact(facts: Facts) -> Value:
            try:
                value = facts[name]
            except KeyError:
                raise EvaluationError(f"Unknown fact {name!r}.") from None
            if value is None and not lenient:
                raise MissingFact(name)
            return value

        return kind, fact

    def _unary(self, node: Unary) -> tuple[str, Compiled]:
        kind, operand = self.compile(node.operand)
        if node.operator == "not":
            _require(kind, BOOL, "`not`", node.position)

            def negate(facts: Facts) -> Value:
                value = operand(facts)
                runtime(value, BOOL, "`not`")
                return not value

            return BOOL, negate
        _require(kind, NUMBER, "A minus sign", node.position)

        def minus(facts: Facts) -> Value:
            value = operand(facts)
            runtime(value, NUMBER, "A minus sign")
            assert isinstance(value, Decimal)
            return -value

        return NUMBER, minus

    def _binary(self, node: Binary) -> tuple[str, Compiled]:
        op = node.operator
        left_kind, left = self.compile(node.left)
        right_kind, right = self.compile(node.right)
        what = f"`{op}`"
        if op in ("and", "or"):
            _require(left_kind, BOOL, what, node.position)
            _require(right_kind, BOOL, what, node.position)
            return BOOL, logical(op, left, right)
        if op in "+-*/":
            _require(left_kind, NUMBER, what, node.position)
            _require(right_kind, NUMBER, what, node.position)
            return NUMBER, arithmetic(op, left, right)
        if ANY not in (left_kind, right_kind) and left_kind != right_kind:
            raise ExpressionError(f"{what} cannot compare {WORDS[left_kind]} with "
                                  f"{WORDS[right_kind]}", node.position)
        if op not in ("==", "!=") and BOOL in (left_kind, right_kind):
            raise ExpressionError(f"{what} compares numbers or texts, not true/false",
                                  node.position)
        return BOOL, comparison(op, left, right)

    def _membership(self, node: Membership) -> tuple[str, Compiled]:
        kind, operand = self.compile(node.operand)
        items = []
        for item in node.items.items:
            item_kind, compiled = self.compile(item)
            if ANY not in (kind, item_kind) and item_kind != kind:
                raise ExpressionError(f"The list holds {WORDS[item_kind]} but is compared "
                                      f"with {WORDS[kind]}", item.position)
            items.append(compiled)
        negated = node.negated

        def member(facts: Facts) -> Value:
            value = operand(facts)
            found = False
            for item in items:
                candidate = item(facts)
                check_same(value, candidate, "`in`")
                if candidate == value:
                    found = True
                    break
            return found != negated

        return BOOL, member

    def _call(self, node: Call) -> tuple[str, Compiled]:
        name, count = node.function, len(node.arguments)
        if name in ("coalesce", "is_missing"):
            compiled = [self._fact(argument, lenient=True) if isinstance(argument, Fact)
                        else self.compile(argument) for argument in node.arguments]
            if name == "is_missing":
                if count != 1:
                    raise ExpressionError("is_missing takes one value", node.position)
                return BOOL, is_missing(compiled[0][1])
            kinds = {kind for kind, _ in compiled} - {ANY}
            if count < 2 or len(kinds) > 1:
                raise ExpressionError("coalesce takes two or more values of one type",
                                      node.position)
            return (kinds.pop() if kinds else ANY), coalesce([fn for _, fn in compiled])
        arities = {"min": (2, 20), "max": (2, 20), "abs": (1, 1), "round": (2, 2)}
        if name not in arities:
            raise ExpressionError(f"Unknown function {name!r}; use min, max, abs, round, "
                                  "coalesce or is_missing", node.position)
        low, high = arities[name]
        if not low <= count <= high:
            raise ExpressionError(f"{name} takes {low if low == high else f'{low} or more'} "
                                  f"value(s), not {count}", node.position)
        functions = []
        for argument in node.arguments:
            kind, compiled_argument = self.compile(argument)
            _require(kind, NUMBER, name, argument.position)
            functions.append(compiled_argument)
        return NUMBER, numeric_function(name, functions)


def compile_expression(
    source: str, catalogue: Mapping[str, str] | None = None
) -> tuple[str, Compiled]:
    """Parse, type-check and compile `source`; its result type and its function.

    `catalogue` maps every known fact to its type (NUMBER, TEXT or BOOL): an unknown fact
    or a type mismatch is then refused here, before any applicant is evaluated. Raises
    ExpressionError (a ValidationError) with the position of the problem.
    """
    return _Compiler(catalogue).compile(parse(source))


def evaluate(source: str, facts: Facts, catalogue: Mapping[str, str] | None = None) -> Value:
    """Compile and evaluate once (convenient for tests and the what-if screen)."""
    return compile_expression(source, catalogue)[1](facts)
