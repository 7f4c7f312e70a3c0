"""Imports every area's mapped records so `metadata` describes the whole schema."""

from core.applications import models as _applications  # noqa: F401
from core.applications import override_models as _decline_overrides  # noqa: F401
from core.audit import models as _audit  # noqa: F401
from core.collections import models as _collections  # noqa: F401
from core.collections import settlement_models as _settlements  # noqa: F401
from core.compliance import models as _compliance  # noqa: F401
from core.conversations import models as _conversations  # noqa: F401
from core.conversations import note_models as _conversation_notes  # noqa: F401
from core.customers import models as _customers  # noqa: F401
from core.db.base import Base
from core.knowledge import models as _knowledge  # noqa: F401
from core.ledger import models as _ledger  # noqa: F401
from core.loans import models as _loans  # noqa: F401
from core.otp import models as _otp  # noqa: F401
from core.payments import models as _payments  # noqa: F401
from core.products import models as _products  # noqa: F401
from core.scoring import models as _scoring  # noqa: F401
from core.staff import models as _staff  # noqa: F401

metadata = Base.metadata
