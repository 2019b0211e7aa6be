"""Admin-editable overrides of the working-day calendar."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.orm import Base, utcnow


class CalendarOverride(Base):
    """One day declared a working day or a day off, winning over chinesecalendar."""

    __tablename__ = "calendar_overrides"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    def audit_state(self) -> dict:
        return {"day": self.day, "is_workday": self.is_workday, "note": self.note}
