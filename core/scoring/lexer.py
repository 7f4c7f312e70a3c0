"""Tokens of the rule expression language (the grammar is in `core.scoring.parser`).

Positions are 1-based character columns, so an error can point at the exact place in the
expression a staff member typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from core.errors import ValidationError


class ExpressionError(ValidationError):
    """An expression that cannot be read or checked; the message names the position."""

    def __init__(self, message: str, position: int | None = None) -> None:
        where = f" (at position {position})" if position is not None else ""
        super().__init__(f"{message}{where}.")
        self.position = position


class Kind(StrEnum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    KEYWORD = "keyword"
    OPERATOR = "operator"
    END = "end"


KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false"})
_TWO_CHAR: Final = frozenset({"<=", ">=", "==", "!="})
_ONE_CHAR: Final = frozenset("<>+-*/()[],")


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    position: int
    number: Decimal | None = None


def _number(source: str, start: int) -> tuple[Token, int]:
    end = start
    while end < len(source) and source[end].isdigit():
        end += 1
    if end < len(source) and source[end] == ".":
        end += 1
        if end >= len(source) or not source[end].isdigit():
            raise ExpressionError("A number needs digits after its decimal point", end + 1)
        while end < len(source) and source[end].isdigit():
            end += 1
    if end < len(source) and (source[end].isalpha() or source[end] == "_"):
        raise ExpressionError(f"Unexpected {source[end]!r} after a number", end + 1)
    text = source[start:end]
    return Token(Kind.NUMBER, text, start + 1, Decimal(text)), end


def _string(source: str, start: int) -> tuple[Token, int]:
    quote = source[start]
    chars: list[str] = []
    index = start + 1
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source) and source[index + 1] in (quote, "\\"):
            chars.append(source[index + 1])
            index += 2
            continue
        if char == quote:
            return Token(Kind.STRING, "".join(chars), start + 1), index + 1
        chars.append(char)
        index += 1
    raise ExpressionError("This text is missing its closing quote", start + 1)


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an END token. Raises ExpressionError."""
    if not isinstance(source, str):
        raise ExpressionError("An expression must be text")
    tokens: list[Token] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char.isspace():
            index += 1
        elif char.isdigit():
            token, index = _number(source, index)
            tokens.append(token)
        elif char in "'\"":
            token, index = _string(source, index)
            tokens.append(token)
        elif char.isalpha() or char == "_":
            end = index
            while end < len(source) and (source[end].isalnum() or source[end] == "_"):
                end += 1
            word = source[index:end]
            kind = Kind.KEYWORD if word.lower() in KEYWORDS else Kind.NAME
            tokens.append(Token(kind, word.lower() if kind is Kind.KEYWORD else word, index + 1))
            index = end
        elif source[index:index + 2] in _TWO_CHAR:
            tokens.append(Token(Kind.OPERATOR, source[index:index + 2], index + 1))
            index += 2
        elif char in _ONE_CHAR:
            tokens.append(Token(Kind.OPERATOR, char, index + 1))
            index += 1
        elif char == "=":
            raise ExpressionError("Use == to compare for equality", index + 1)
        else:
            raise ExpressionError(f"Unexpected character {char!r}", index + 1)
    tokens.append(Token(Kind.END, "", len(source) + 1))
    return tokens
