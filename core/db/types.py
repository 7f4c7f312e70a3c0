"""Column types shared by several areas' records."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def str_enum(kind: type[StrEnum], name: str) -> Enum:
    """A `StrEnum` stored as its values in VARCHAR with a named CHECK constraint.

    Not a native PostgreSQL enum: several tables can share one Python enum (a frequency,
    a channel) without competing to create the same database type, and adding a member is a
    constraint change instead of an `ALTER TYPE`.
    """
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
