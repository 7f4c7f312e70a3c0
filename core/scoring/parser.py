"""The rule expression language: a recursive-descent parser producing an AST.

Grammar (lowest precedence first; keywords are case-insensitive):

    expression  := or_expr
    or_expr     := and_expr ( "or" and_expr )*
    and_expr    := not_expr ( "and" not_expr )*
    not_expr    := "not" not_expr | comparison
    comparison  := additive [ ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) additive
                            | [ "not" ] "in" list ]
    additive    := term ( ( "+" | "-" ) term )*
    term        := unary ( ( "*" | "/" ) unary )*
    unary       := "-" unary | primary
    primary     := NUMBER | STRING | "true" | "false" | list
                 | NAME "(" [ expression ( "," expression )* ] ")"      (a function call)
                 | NAME                                                  (a fact)
                 | "(" expression ")"
    list        := "[" [ expression ( "," expression )* ] "]"

NUMBER is digits with an optional fractional part (`0.45`, `18`); STRING is quoted with
' or " (a backslash escapes the quote). Comparisons do not chain: `a < b < c` is an error.
Nothing here executes code: the AST is evaluated by `core.scoring.evaluator`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from core.scoring.lexer import ExpressionError, Kind, Token, tokenize

Value = Decimal | str | bool | None
"""What a fact or an expression can be: a number, text, true/false, or missing (None)."""

COMPARISONS: Final = frozenset({"<", "<=", ">", ">=", "==", "!="})


@dataclass(frozen=True, slots=True)
class Literal:
    value: Decimal | str | bool
    position: int


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Unary:
    operator: str
    operand: Node
    position: int


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str
    left: Node
    right: Node
    position: int


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple[Node, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Membership:
    operand: Node
    items: ListOf
    negated: bool
    position: int


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    arguments: tuple[Node, ...]
    position: int


Node = Literal | Fact | Unary | Binary | ListOf | Membership | Call


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _is(self, kind: Kind, *texts: str) -> bool:
        token = self.current
        return token.kind is kind and (not texts or token.text in texts)

    def _take(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def _expect(self, text: str, what: str) -> Token:
        if not self._is(Kind.OPERATOR, text):
            raise ExpressionError(f"Expected {what}, found {_describe(self.current)}",
                                  self.current.position)
        return self._take()

    def parse(self) -> Node:
        node = self.or_expr()
        if not self._is(Kind.END):
            raise ExpressionError(f"Unexpected {_describe(self.current)}", self.current.position)
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self._is(Kind.KEYWORD, "or"):
            token = self._take()
            node = Binary("or", node, self.and_expr(), token.position)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self._is(Kind.KEYWORD, "and"):
            token = self._take()
            node = Binary("and", node, self.not_expr(), token.position)
        return node

    def not_expr(self) -> Node:
        if self._is(Kind.KEYWORD, "not"):
            token = self._take()
            return Unary("not", self.not_expr(), token.position)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self._is(Kind.OPERATOR, *COMPARISONS):
            token = self._take()
            node: Node = Binary(token.text, left, self.additive(), token.position)
        elif self._is(Kind.KEYWORD, "in") or (
            self._is(Kind.KEYWORD, "not") and self.tokens[self.index + 1].text == "in"
        ):
            token = self._take()
            negated = token.text == "not"
            if negated:
                self._take()
            if not self._is(Kind.OPERATOR, "["):
                raise ExpressionError("`in` needs a list such as ['a', 'b']",
                                      self.current.position)
            node = Membership(left, self.list_of(), negated, token.position)
        else:
            return left
        if self._is(Kind.OPERATOR, *COMPARISONS) or self._is(Kind.KEYWORD, "in"):
            raise ExpressionError("Comparisons cannot be chained; join them with `and`",
                                  self.current.position)
        return node

    def additive(self) -> Node:
        node = self.term()
        while self._is(Kind.OPERATOR, "+", "-"):
            token = self._take()
            node = Binary(token.text, node, self.term(), token.position)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self._is(Kind.OPERATOR, "*", "/"):
            token = self._take()
            node = Binary(token.text, node, self.unary(), token.position)
        return node

    def unary(self) -> Node:
        if self._is(Kind.OPERATOR, "-"):
            token = self._take()
            return Unary("-", self.unary(), token.position)
        return self.primary()

    def list_of(self) -> ListOf:
        start = self._expect("[", "[")
        items: list[Node] = []
        if not self._is(Kind.OPERATOR, "]"):
            items.append(self.or_expr())
            while self._is(Kind.OPERATOR, ","):
                self._take()
                items.append(self.or_expr())
        self._expect("]", "`,` or `]` to close the list")
        return ListOf(tuple(items), start.position)

    def primary(self) -> Node:
        token = self.current
        if token.kind is Kind.NUMBER:
            self._take()
            assert token.number is not None  # the lexer sets it for numbers
            return Literal(token.number, token.position)
        if token.kind is Kind.STRING:
            self._take()
            return Literal(token.text, token.position)
        if self._is(Kind.KEYWORD, "true", "false"):
            self._take()
            return Literal(token.text == "true", token.position)
        if token.kind is Kind.NAME:
            self._take()
            if not self._is(Kind.OPERATOR, "("):
                return Fact(token.text, token.position)
            self._take()
            arguments: list[Node] = []
            if not self._is(Kind.OPERATOR, ")"):
                arguments.append(self.or_expr())
                while self._is(Kind.OPERATOR, ","):
                    self._take()
                    arguments.append(self.or_expr())
            self._expect(")", "`,` or `)` to close the call")
            return Call(token.text.lower(), tuple(arguments), token.position)
        if self._is(Kind.OPERATOR, "("):
            self._take()
            node = self.or_expr()
            self._expect(")", "`)`")
            return node
        if self._is(Kind.OPERATOR, "["):
            return self.list_of()
        raise ExpressionError(f"Expected a value, found {_describe(token)}", token.position)


def _describe(token: Token) -> str:
    if token.kind is Kind.END:
        return "the end of the expression"
    if token.kind is Kind.STRING:
        return f"the text {token.text!r}"
    return f"{token.text!r}"


def parse(source: str) -> Node:
    """The AST of `source`. Raises ExpressionError with the position of the problem."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("The expression is empty")
    if len(source) > 2000:
        raise ExpressionError("An expression may be at most 2,000 characters")
    return _Parser(source).parse()
