"""The log of QR scans of e-credentials (who was checked, for which visit, with what answer).

No personal data of the person scanning: their IP address only as a keyed digest (to tell one
phone scanning a hundred times from a hundred phones), the user agent truncated.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.orm import Base, UUIDPrimaryKey, utcnow

# What a scan was answered. VALID: credential valid today (and, for a visit token, the inspector
# is on the visit's team, the visit is planned and today is inside its window).
VALID = "valid"
CREDENTIAL_INVALID = "credential_invalid"  # expired, not yet valid, or the inspector left
VISIT_CLOSED = "visit_closed"  # the visit was cancelled or merged into another
NOT_ASSIGNED = "not_assigned"  # not (or no longer) on the visit's team
OUTSIDE_WINDOW = "outside_window"  # genuine and assigned, but not today
EXPIRED = "expired"  # a genuine token past its expiry date
INVALID = "invalid"  # malformed, altered, or naming nobody we know
OUTCOMES = (VALID, CREDENTIAL_INVALID, VISIT_CLOSED, NOT_ASSIGNED, OUTSIDE_WINDOW, EXPIRED, INVALID)
USER_AGENT_CHARS = 200


class CredentialScan(UUIDPrimaryKey, Base):
    __tablename__ = "credential_scans"
    # Counted per token (inspector, visit): the page shows how often this code was checked.
    __table_args__ = (Index("ix_credential_scans_inspector_visit", "inspector_id", "visit_id"),)

    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    inspector_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspectors.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id"))
    outcome: Mapped[str] = mapped_column(String(24))
    via: Mapped[str] = mapped_column(String(8))  # "page" or "api"
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_CHARS))
