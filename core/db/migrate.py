"""Apply the schema: `upgrade(url)` runs every Alembic migration up to head.

Migrations that change stored values under encryption (0012) read the field cipher's keys
from `config.attributes["field_keys"]`: the current secret first, then earlier ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, field_keys: Sequence[str] = ()) -> None:
    config = alembic_config(url)
    config.attributes["field_keys"] = list(field_keys)
    command.upgrade(config, revision)
