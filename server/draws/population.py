"""Who may be drawn: the population of subjects (§1.1) and the pool of inspectors (§3.1)."""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from server.directory.models import Inspector, Subject, SubjectRiskFlag
from server.directory.operations import conflicted_pairs
from server.draws import dsr
from server.draws.models import Draw, DrawSelection
from server.tasks import queries as task_queries
from server.tasks.models import Task

# domain.md: no subject is checked more than twice a year unless it is flagged high-risk.
YEARLY_CAP = 2
# Rows per IN (...) lookup: under SQLite's 32,766 bound parameters, few round trips elsewhere.
CHUNK = 5000


def times_drawn_this_year(year: int):
    """Selections (not alternates) of each subject in this year's draws, as a subquery.

    "Already checked this year" is counted as "selected by a draw of a task of the same year"
    (a subject replaced by an alternate still counts: it was drawn). Cancelled tasks never reach
    the draw, so they have no selections to leave out.
    """
    return (
        select(DrawSelection.subject_id, func.count().label("times"))
        .join(Draw, Draw.id == DrawSelection.draw_id)
        .where(Draw.year == year, DrawSelection.is_alternate.is_(False))
        .group_by(DrawSelection.subject_id)
        .subquery()
    )


def population_statement(task: Task):
    """SELECT of the eligible subjects' USCCs: the task's filters minus the exclusions (§1.1)."""
    counted = times_drawn_this_year(task.year)
    high_risk = select(SubjectRiskFlag.id).where(SubjectRiskFlag.subject_id == Subject.id).exists()
    return (
        select(Subject.uscc)
        .outerjoin(counted, counted.c.subject_id == Subject.id)
        .where(
            *task_queries.target_conditions(task),
            Subject.is_deleted.is_(False),
            Subject.status == "active",
            or_(counted.c.times.is_(None), counted.c.times < YEARLY_CAP, high_risk),
        )
    )


def population_usccs(session: Session, task: Task) -> list[str]:
    """The eligible USCCs in DSR-v1's order (UTF-8 bytes), no duplicates: the snapshot."""
    connection = session.connection()
    statement = population_statement(task)
    if connection.dialect.name == "postgresql":
        # One text value instead of a million one-column rows: reading them is ~3× faster.
        # (The one-by-one path below checks what this one cannot.)
        eligible = statement.subquery()
        joined, count = connection.execute(
            select(func.string_agg(eligible.c.uscc, literal("\n")), func.count())
        ).one()
        if joined is None or joined.count("\n") == count - 1:
            # Sorted here, never by the database collation.
            return dsr.canonical_population_lines(joined or "", count)
        # A value holding the separator: read them one by one (and refuse it below).
    rows = connection.execute(statement).scalars().all()
    return dsr.canonical_population(rows)


def subject_ids(session: Session, usccs: Iterable[str]) -> dict[str, uuid.UUID]:
    """Subject id of each USCC (the drawn ones: tens of thousands in a large draw)."""
    wanted = sorted(set(usccs))
    found: dict[str, uuid.UUID] = {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One array parameter instead of thousands of bound values, and the driver's rows
        # straight into the dict (50,000 rows through SQLAlchemy's result cost ~0.3 s).
        table = Subject.__table__
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.execute(
                f"SELECT upper(uscc), id FROM {table.name} WHERE uscc = ANY(%s)",  # noqa: S608
                [wanted],
            )
            return dict(cursor.fetchall())
    for start in range(0, len(wanted), CHUNK):  # SQLite caps bound parameters
        chunk = wanted[start : start + CHUNK]
        stmt = select(Subject.uscc, Subject.id).where(Subject.uscc.in_(chunk))
        found.update((uscc.upper(), sid) for uscc, sid in connection.execute(stmt))
    return found


def inspector_ids(session: Session, credentials: Iterable[str]) -> dict[str, uuid.UUID]:
    """Inspector id of each credential number of a frozen pool (a few hundred at most)."""
    wanted = sorted(set(credentials))
    found: dict[str, uuid.UUID] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        stmt = select(Inspector.credential_no, Inspector.id).where(
            Inspector.credential_no.in_(chunk)
        )
        found.update(tuple(row) for row in session.execute(stmt))
    return found


def conflicts_within(
    session: Session, members: Sequence[str], credentials: Sequence[str]
) -> list[tuple[str, str]]:
    """Active conflicts between a frozen population and pool: (uscc, credential) pairs, sorted.

    The register is small (hundreds of pairs), the population may be a million: so look the
    register's subjects and inspectors up, then keep the pairs inside the snapshot.
    """
    pairs = conflicted_pairs(session)
    if not pairs:
        return []
    subject_ids_ = sorted({sid for _, sid in pairs}, key=str)
    inspector_ids_ = sorted({iid for iid, _ in pairs}, key=str)
    uscc_of: dict[uuid.UUID, str] = {}
    for start in range(0, len(subject_ids_), CHUNK):
        stmt = select(Subject.id, Subject.uscc).where(
            Subject.id.in_(subject_ids_[start : start + CHUNK])
        )
        uscc_of.update((sid, uscc.upper()) for sid, uscc in session.execute(stmt))
    credential_of: dict[uuid.UUID, str] = {}
    for start in range(0, len(inspector_ids_), CHUNK):
        stmt = select(Inspector.id, Inspector.credential_no).where(
            Inspector.id.in_(inspector_ids_[start : start + CHUNK])
        )
        credential_of.update(tuple(row) for row in session.execute(stmt))
    in_pool = set(credentials)

    def in_population(uscc: str | None) -> bool:
        # `members` is the canonical (sorted) snapshot: a binary search, not a million-entry set.
        at = bisect.bisect_left(members, uscc) if uscc is not None else len(members)
        return at < len(members) and members[at] == uscc

    return sorted(
        (uscc_of[sid], credential_of[iid])
        for iid, sid in pairs
        if in_population(uscc_of.get(sid)) and credential_of.get(iid) in in_pool
    )


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
