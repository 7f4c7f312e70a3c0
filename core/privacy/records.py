"""Stored rows as plain JSON, and the rows that hang off other rows, for the export.

`as_json` takes every column a record has loaded, so a column added to a model appears in
the export without a change here; deferred columns (file contents) and the columns named in
`omit` (ciphertexts and lookup hashes) are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.audit.trail import json_safe
from core.db.base import Base

Record = dict[str, Any]
M = TypeVar("M", bound=Base)


def as_json(row: Base, omit: Collection[str] = (), /, **extra: Any) -> Record:
    """The row's loaded columns with Decimals as strings and dates in ISO form, plus `extra`."""
    mapper = inspect(type(row))
    values = {column.key: getattr(row, column.key) for column in mapper.column_attrs
              if not column.deferred and column.key not in omit}
    result: Record = json_safe({**values, **extra})
    return result


async def rows_where(
    session: AsyncSession, model: type[M], column: InstrumentedAttribute[Any],
    values: Iterable[Any], *, order_by: Sequence[InstrumentedAttribute[Any]] = (),
) -> list[M]:
    """The `model` rows whose `column` is one of `values`, ordered by `order_by` then id."""
    wanted = list(values)
    if not wanted:
        return []
    primary = inspect(model).primary_key
    query = select(model).where(column.in_(wanted)).order_by(*order_by, *primary)
    return list((await session.scalars(query)).all())


async def children(
    session: AsyncSession, model: type[M], column: InstrumentedAttribute[Any],
    parents: Iterable[int], *, omit: Collection[str] = (),
    order_by: Sequence[InstrumentedAttribute[Any]] = (),
) -> dict[int, list[Record]]:
    """`model` rows as JSON, grouped by the parent id in `column`."""
    grouped: dict[int, list[Record]] = defaultdict(list)
    for row in await rows_where(session, model, column, parents, order_by=order_by):
        grouped[getattr(row, column.key)].append(as_json(row, omit))
    return grouped
