"""Imports every area's mapped records so `metadata` describes the whole schema."""

from core.audit import models as _audit  # noqa: F401
from core.db.base import Base
from core.staff import models as _staff  # noqa: F401

metadata = Base.metadata
