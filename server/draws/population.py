"""Who may be drawn: the population of subjects (§1.1) and the pool of inspectors (§3.1)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.directory.models import Inspector, Subject, SubjectRiskFlag
from server.draws.models import Draw, DrawSelection
from server.tasks import queries as task_queries
from server.tasks.models import Task

# domain.md: no subject is checked more than twice a year unless it is flagged high-risk.
YEARLY_CAP = 2


def times_drawn_this_year(session: Session, year: int):
    """Selections (not alternates) of each subject in this year's draws, as a subquery.

    There are no visits yet, so "already checked this year" is counted as "selected by a draw of
    a task of the same year". Tasks cannot be cancelled yet; when they can, their draws must be
    left out here.
    """
    return (
        select(DrawSelection.subject_id, func.count().label("times"))
        .join(Draw, Draw.id == DrawSelection.draw_id)
        .where(Draw.year == year, DrawSelection.is_alternate.is_(False))
        .group_by(DrawSelection.subject_id)
        .subquery()
    )


def population(session: Session, task: Task) -> list[tuple[str, uuid.UUID]]:
    """(uscc, subject id) of the eligible subjects: filters minus exclusions, sorted by USCC."""
    counted = times_drawn_this_year(session, task.year)
    high_risk = select(SubjectRiskFlag.id).where(SubjectRiskFlag.subject_id == Subject.id).exists()
    stmt = (
        select(Subject.uscc, Subject.id)
        .outerjoin(counted, counted.c.subject_id == Subject.id)
        .where(
            *task_queries.target_conditions(task),
            Subject.is_deleted.is_(False),
            Subject.status == "active",
            or_(counted.c.times.is_(None), counted.c.times < YEARLY_CAP, high_risk),
        )
    )
    rows = [(uscc.upper(), subject_id) for uscc, subject_id in session.execute(stmt)]
    # dsr's order: by UTF-8 bytes (= code points), never the database collation.
    rows.sort()
    return rows


def pool(session: Session, task: Task) -> list[tuple[str, uuid.UUID]]:
    """(credential, inspector id) eligible for the task: valid on every day of its window."""
    stmt = select(Inspector.credential_no, Inspector.id).where(
        *task_queries.pool_conditions(task),
        Inspector.is_active.is_(True),
        or_(
            Inspector.credential_valid_from.is_(None),
            Inspector.credential_valid_from <= task.window_start,
        ),
        Inspector.credential_valid_until >= task.window_end,
    )
    return sorted(tuple(r) for r in session.execute(stmt))
