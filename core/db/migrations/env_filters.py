"""What autogenerate compares (shared by env.py and the drift test)."""

from __future__ import annotations

from core.db.registry import metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Compare only our own tables: procrastinate's schema is managed by its migration."""
    if type_ == "table":
        return name in metadata.tables
    return True
