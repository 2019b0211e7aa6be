"""Writes of visits: one visit per subject a draw selected, and merge proposals (Art. 15).

Callers flush inside their own transaction; every change is audited here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.visits.models import (
    CANCELLED,
    PLANNED,
    PROPOSED,
    MergeProposal,
    Visit,
    VisitTask,
)


def create_for_draw(session: Session, *, actor: Actor, draw) -> list[Visit]:
    """One planned visit per selected subject of a just-made draw; then propose merges."""
    task = draw.task
    visits = []
    for selection in draw.selections:
        if selection.is_alternate:
            continue
        visits.append(_new_visit(session, draw, selection.subject_id, selection.uscc))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="visit.create_for_draw",
        object_type="task",
        object_id=task.id,
        state={"visits": sorted(str(v.id) for v in visits)},
        details={"task": task.number, "visits": len(visits)},
    )
    propose_merges(session, actor=actor, visits=visits)
    return visits


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
    propose_merges(session, actor=actor, visits=[visit])
    return visit


def propose_merges(session: Session, *, actor: Actor, visits: list[Visit]) -> list[MergeProposal]:
    """For each new visit: planned visits of other tasks to the same subject whose windows overlap
    it become one proposal (Art. 15), unless such a proposal is already open."""
    if not visits:
        return []
    by_subject: dict[uuid.UUID, list[Visit]] = {}
    for visit in visits:
        by_subject.setdefault(visit.subject_id, []).append(visit)
    others = session.scalars(
        select(Visit).where(Visit.subject_id.in_(by_subject), Visit.state == PLANNED)
    ).all()
    open_ids = {
        vid
        for proposal in session.scalars(
            select(MergeProposal).where(
                MergeProposal.subject_id.in_(by_subject), MergeProposal.state == PROPOSED
            )
        )
        for vid in proposal.visit_ids
    }
    proposals = []
    for subject_id, new_visits in by_subject.items():
        for visit in new_visits:
            if str(visit.id) in open_ids:
                continue
            tasks = {t.task_id for t in visit.tasks}
            group = [visit]
            start, end = visit.window_start, visit.window_end
            for other in sorted(
                (o for o in others if o.subject_id == subject_id and o.id != visit.id),
                key=lambda o: (o.created_at, str(o.id)),
            ):
                if str(other.id) in open_ids or tasks & {t.task_id for t in other.tasks}:
                    continue
                if other.window_start <= end and start <= other.window_end:
                    group.append(other)
                    tasks |= {t.task_id for t in other.tasks}
                    start, end = max(start, other.window_start), min(end, other.window_end)
            if len(group) < 2:
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
                details={"uscc": visit.uscc, "visits": len(group)},
            )
            proposals.append(proposal)
    return proposals
