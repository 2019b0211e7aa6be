"""Figures shown on the console's home page."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.clock import local_today
from server.directory.models import Conflict, Inspector, Subject, SubjectRiskFlag
from server.items.models import Item


def dashboard_figures(session: Session) -> dict:
    today = local_today()
    count = lambda stmt: session.scalar(stmt) or 0  # noqa: E731 - local shorthand
    return {
        "items": count(select(func.count()).select_from(Item).where(Item.is_retired.is_(False))),
        "subjects": count(
            select(func.count()).select_from(Subject).where(Subject.is_deleted.is_(False))
        ),
        "high_risk": count(select(func.count(func.distinct(SubjectRiskFlag.subject_id)))),
        "inspectors": count(
            select(func.count()).select_from(Inspector).where(Inspector.is_active.is_(True))
        ),
        "expired": count(
            select(func.count())
            .select_from(Inspector)
            .where(Inspector.is_active.is_(True), Inspector.credential_valid_until < today)
        ),
        "conflicts": count(
            select(func.count()).select_from(Conflict).where(Conflict.is_active.is_(True))
        ),
    }
