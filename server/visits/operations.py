"""Writes of visits: one visit per subject a draw selected, and merge proposals (Art. 15).

Callers flush inside their own transaction; every change is audited here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.bulk import ConcurrentWrites, new_ids
from server.draws.models import DrawSelection
from server.orm import utcnow
from server.visits import merges
from server.visits.models import (
    CANCELLED,
    DECLINED,
    PLANNED,
    PROPOSED,
    MergeProposal,
    Visit,
    VisitTask,
)
from sync import changes as sync_changes

VISIT_COLUMNS = (
    "id", "subject_id", "uscc", "year", "state", "window_start", "window_end", "created_at",
    "updated_at",
)  # fmt: skip
LINK_COLUMNS = ("id", "visit_id", "task_id", "draw_id", "subject_id", "position")

# PostgreSQL: the visits and their task links made from the stored selection in one statement,
# in the database (no rows through Python while the draw matches its teams).
_VISITS_FROM_SELECTION = """
    WITH made AS (
        INSERT INTO visits (id, subject_id, uscc, year, state, window_start, window_end,
                            created_at, updated_at)
        SELECT gen_random_uuid(), s.subject_id, s.uscc, %(year)s, %(state)s, %(start)s,
               %(end)s, %(now)s, %(now)s
        FROM draw_selections s
        WHERE s.draw_id = %(draw_id)s AND s.is_alternate IS false
        ORDER BY s.position
        RETURNING id, subject_id
    )
    INSERT INTO visit_tasks (id, visit_id, task_id, draw_id, subject_id, position)
    SELECT gen_random_uuid(), made.id, %(task_id)s, %(draw_id)s, made.subject_id, 0 FROM made
"""


def write_for_draw(session: Session, writes: ConcurrentWrites, draw, selected: list[tuple]) -> None:
    """One planned visit per selected subject of a just-made draw, with its task link, written
    after the draw's selection rows (`selected`: (subject id, USCC) in rank order); then
    `record_for_draw`. A large draw makes tens of thousands: in bulk."""
    task = draw.task
    now = utcnow()
    if writes.concurrent:
        params = {
            "year": task.year, "state": PLANNED, "start": task.window_start,
            "end": task.window_end, "now": now, "draw_id": draw.id, "task_id": task.id,
        }  # fmt: skip
        writes.execute(_VISITS_FROM_SELECTION, params)
        return
    ids = new_ids(session, 2 * len(selected))
    visit_ids, link_ids = ids[0::2], ids[1::2]
    visits = [
        (visit_id, subject_id, uscc, task.year, PLANNED, task.window_start, task.window_end,
         now, now)
        for visit_id, (subject_id, uscc) in zip(visit_ids, selected, strict=True)
    ]  # fmt: skip
    links = [
        (link_id, visit_id, task.id, draw.id, subject_id, 0)
        for link_id, visit_id, (subject_id, _) in zip(link_ids, visit_ids, selected, strict=True)
    ]
    writes.insert(Visit, VISIT_COLUMNS, visits)
    writes.insert(VisitTask, LINK_COLUMNS, links)


def record_for_draw(session: Session, *, actor: Actor, draw, usccs: list[str]) -> int:
    """After the draw's visits (of `usccs`) are written: the sync feed, one audit event on the
    task listing the subjects, and merge proposals. Returns the number of visits."""
    task = draw.task
    # Sync change feed: bulk inserts bypass the ORM's flush hook. One row for the task: the
    # pull expands it to the reader's visits of the task (a draw may create 50,000 visits).
    sync_changes.record(session, sync_changes.TASKS, [task.id])
    audit.record(
        session,
        actor=actor,
        action="visit.create_for_draw",
        object_type="task",
        object_id=task.id,
        state={"draw_id": draw.id, "visits": sorted(usccs)},
        details={"task": task.number, "visits": len(usccs)},
    )
    drawn = select(DrawSelection.subject_id).where(
        DrawSelection.draw_id == draw.id, DrawSelection.is_alternate.is_(False)
    )
    propose_merges(session, actor=actor, subjects=drawn)
    return len(usccs)


def _new_visit(session: Session, draw, subject_id: uuid.UUID, uscc: str) -> Visit:
    task = draw.task
    visit = Visit(
        id=uuid.uuid4(),
        subject_id=subject_id,
        uscc=uscc,
        year=task.year,
        state=PLANNED,
        window_start=task.window_start,
        window_end=task.window_end,
    )
    session.add(visit)
    session.add(
        VisitTask(visit=visit, task_id=task.id, draw_id=draw.id, subject_id=subject_id, position=0)
    )
    return visit


def add_for_alternate(
    session: Session,
    *,
    actor: Actor,
    draw,
    replaced_subject_id: uuid.UUID,
    subject_id,
    uscc: str,
    reason: str,
) -> Visit:
    """An alternate takes a selected subject's place: its visit ends, a new one starts.

    If the replaced subject's visit carries other tasks too (a merge), only this task's section
    leaves it; the visit itself goes on for the others.
    """
    link = session.scalars(
        select(VisitTask).where(
            VisitTask.draw_id == draw.id, VisitTask.subject_id == replaced_subject_id
        )
    ).one()
    old = link.visit
    session.delete(link)
    session.flush()
    session.refresh(old)
    if not old.tasks:
        old.state, old.end_reason = CANCELLED, reason
        merges.retire_for_visits(session, actor, [old], reason)
    audit.record(
        session,
        actor=actor,
        action="visit.remove_task",
        object_type="visit",
        object_id=old.id,
        state=old.audit_state(),
        details={"task": draw.task.number, "reason": reason},
    )
    visit = _new_visit(session, draw, subject_id, uscc)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="visit.create",
        object_type="visit",
        object_id=visit.id,
        state=visit.audit_state(),
        details={"task": draw.task.number, "alternate_for": str(replaced_subject_id)},
    )
    propose_merges(session, actor=actor, subjects=[subject_id])
    return visit


def propose_merges(session: Session, *, actor: Actor, subjects) -> list[MergeProposal]:
    """Planned visits of different tasks to one subject whose windows overlap become one
    proposal (Art. 15), unless one of them is already in an open proposal.

    `subjects`: the subject ids to look at (a list, or a SELECT of ids for a whole draw).
    """
    # Only subjects with two or more planned visits can merge: find those in SQL first, so a
    # draw of 50,000 subjects loads only the few visits that matter.
    crowded = (
        select(Visit.subject_id)
        .where(Visit.subject_id.in_(subjects), Visit.state == PLANNED)
        .group_by(Visit.subject_id)
        .having(func.count() > 1)
    )
    candidates = session.scalars(
        select(Visit)
        .where(Visit.subject_id.in_(crowded), Visit.state == PLANNED)
        .order_by(Visit.created_at, Visit.id)
    ).all()
    if not candidates:
        return []
    by_subject: dict[uuid.UUID, list[Visit]] = {}
    for visit in candidates:
        by_subject.setdefault(visit.subject_id, []).append(visit)
    open_ids = {
        vid
        for proposal in session.scalars(
            select(MergeProposal).where(
                MergeProposal.subject_id.in_(list(by_subject)), MergeProposal.state == PROPOSED
            )
        )
        for vid in proposal.visit_ids
    }
    # Heads who declined a merge are not asked again about the same visits.
    declined = [
        set(proposal.visit_ids)
        for proposal in session.scalars(
            select(MergeProposal).where(
                MergeProposal.subject_id.in_(list(by_subject)), MergeProposal.state == DECLINED
            )
        )
    ]
    proposals = []
    for subject_id, visits in by_subject.items():
        free = [v for v in visits if str(v.id) not in open_ids]
        # Newest first as the anchor: a new draw's visit gathers the older ones it overlaps.
        for anchor in reversed(free):
            if str(anchor.id) in open_ids:
                continue
            tasks = {t.task_id for t in anchor.tasks}
            group = [anchor]
            start, end = anchor.window_start, anchor.window_end
            for other in free:
                if other is anchor or str(other.id) in open_ids:
                    continue
                if tasks & {t.task_id for t in other.tasks}:
                    continue
                if other.window_start <= end and start <= other.window_end:
                    group.append(other)
                    tasks |= {t.task_id for t in other.tasks}
                    start, end = max(start, other.window_start), min(end, other.window_end)
            if len(group) < 2 or any({str(v.id) for v in group} <= ids for ids in declined):
                continue
            group.sort(key=lambda v: (v.created_at, str(v.id)))
            proposal = MergeProposal(
                id=uuid.uuid4(),
                subject_id=subject_id,
                state=PROPOSED,
                visit_ids=[str(v.id) for v in group],
                window_start=start,
                window_end=end,
            )
            session.add(proposal)
            session.flush()
            open_ids.update(proposal.visit_ids)
            audit.record(
                session,
                actor=actor,
                action="visit.propose_merge",
                object_type="merge_proposal",
                object_id=proposal.id,
                state=proposal.audit_state(),
                details={"uscc": anchor.uscc, "visits": len(group)},
            )
            proposals.append(proposal)
    return proposals
