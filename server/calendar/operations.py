"""Writes of the calendar: set or remove an override of one day (each one audited)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.calendar.models import CalendarOverride


def set_override(
    session: Session, *, actor: Actor, day: dt.date, is_workday: bool, note: str
) -> CalendarOverride:
    """Create or replace the override of `day`; the audit event keeps the previous value."""
    override = session.get(CalendarOverride, day)
    before = override.audit_state() if override is not None else None
    if override is None:
        override = CalendarOverride(day=day, is_workday=is_workday, note=note)
        session.add(override)
    else:
        override.is_workday = is_workday
        override.note = note
    override.updated_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar.override_set",
        object_type="calendar_override",
        object_id=day.isoformat(),
        state=override.audit_state(),
        details={"created": before is None, "previous": before},
    )
    return override


def delete_override(session: Session, *, actor: Actor, day: dt.date) -> bool:
    """Remove the override of `day` (the official schedule applies again); False if none."""
    override = session.get(CalendarOverride, day)
    if override is None:
        return False
    before = override.audit_state()
    session.delete(override)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar.override_delete",
        object_type="calendar_override",
        object_id=day.isoformat(),
        details={"previous": before},
    )
    return True
