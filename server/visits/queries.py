"""Reads of visits: the visits a user may see (paged), a visit's sections and teams, merges.

A visit's team is not stored on the visit: it is the DrawAssignment rows of each (draw_id,
subject_id) the visit carries, so an approved replacement in the draw shows here at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from server.auth.models import Department, User
from server.directory.models import Inspector
from server.directory.queries import Page
from server.draws.models import DrawAssignment
from server.tasks.models import Task
from server.visits import access
from server.visits.models import PLANNED, PROPOSED, MergeProposal, Visit, VisitTask
from server.visits.record_models import VisitRecord


@dataclasses.dataclass(frozen=True)
class Member:
    """One inspector of one task's team on a visit."""

    inspector_id: uuid.UUID
    name: str
    credential_no: str
    is_lead: bool
    user_id: uuid.UUID | None
    department: str


@dataclasses.dataclass(frozen=True)
class ItemLine:
    code: str
    name: str
    content: str
    methods: list[str]  # method codes of the item version the task pinned


@dataclasses.dataclass(frozen=True)
class Section:
    """One task carried by a visit: a section of the notice and of the record."""

    link: VisitTask
    task: Task
    items: list[ItemLine]
    team: list[Member]

    @property
    def lead(self) -> Member | None:
        return next((m for m in self.team if m.is_lead), None)


def parse_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def get_visit(session: Session, visit_id) -> Visit | None:
    key = parse_id(visit_id)
    return session.get(Visit, key) if key else None


def get_record(session: Session, record_id) -> VisitRecord | None:
    key = parse_id(record_id)
    return session.get(VisitRecord, key) if key else None


def get_proposal(session: Session, proposal_id) -> MergeProposal | None:
    key = parse_id(proposal_id)
    return session.get(MergeProposal, key) if key else None


# ---- teams and sections --------------------------------------------------------------------------


def teams_for(
    session: Session, links: Iterable[VisitTask]
) -> dict[tuple[uuid.UUID, uuid.UUID], list[Member]]:
    """The team of each (draw_id, subject_id) pair, in draw order: one query for all of them."""
    pairs = {(link.draw_id, link.subject_id) for link in links}
    if not pairs:
        return {}
    stmt = (
        select(DrawAssignment, Inspector)
        .join(Inspector, Inspector.id == DrawAssignment.inspector_id)
        .where(
            DrawAssignment.draw_id.in_({d for d, _ in pairs}),
            DrawAssignment.subject_id.in_({s for _, s in pairs}),
        )
        .order_by(DrawAssignment.position)
    )
    teams: dict[tuple[uuid.UUID, uuid.UUID], list[Member]] = {pair: [] for pair in pairs}
    for assignment, inspector in session.execute(stmt):
        pair = (assignment.draw_id, assignment.subject_id)
        if pair in teams:  # the IN lists also match other pairs of the same draws
            teams[pair].append(
                Member(
                    inspector_id=inspector.id,
                    name=inspector.name,
                    credential_no=assignment.credential_no,
                    is_lead=assignment.is_team_lead,
                    user_id=inspector.user_id,
                    department=inspector.department.name,
                )
            )
    return teams


def _items(task: Task) -> list[ItemLine]:
    return [
        ItemLine(
            code=ti.item.code,
            name=ti.item_version.name,
            content=ti.item_version.content,
            methods=list(ti.item_version.methods or []),
        )
        for ti in task.items
    ]


def sections_of(visits: Sequence[Visit], teams: dict) -> dict[uuid.UUID, list[Section]]:
    """The sections of each visit, from teams already read with `teams_for`."""
    return {
        visit.id: [
            Section(
                link=link,
                task=link.task,
                items=_items(link.task),
                team=teams.get((link.draw_id, link.subject_id), []),
            )
            for link in visit.tasks
        ]
        for visit in visits
    }


def sections(session: Session, visit: Visit) -> list[Section]:
    return sections_of([visit], teams_for(session, visit.tasks))[visit.id]


def merged_from(session: Session, visit: Visit) -> list[Visit]:
    """The visits this one absorbed, oldest first."""
    stmt = select(Visit).where(Visit.merged_into_id == visit.id).order_by(Visit.created_at)
    return list(session.scalars(stmt))


def decision_names(session: Session, proposals: Iterable[MergeProposal]) -> dict:
    """Names of the departments and users who answered the proposals, by id."""
    decisions = [d for p in proposals for d in p.decisions]
    names: dict = {}
    if decisions:
        departments = {d.department_id for d in decisions}
        users = {d.user_id for d in decisions}
        stmt = select(Department.id, Department.name).where(Department.id.in_(departments))
        names.update((key, name) for key, name in session.execute(stmt))
        stmt = select(User.id, User.display_name).where(User.id.in_(users))
        names.update((key, name) for key, name in session.execute(stmt))
    return names


def proposals_of(session: Session, visit: Visit) -> list[MergeProposal]:
    """Every merge proposal that named this visit (open, confirmed or declined), oldest first.

    visit_ids is a JSON list; a subject has a handful of proposals at most, so they are read
    by subject and filtered here rather than with dialect-specific JSON operators.
    """
    stmt = (
        select(MergeProposal)
        .where(MergeProposal.subject_id == visit.subject_id)
        .order_by(MergeProposal.created_at)
    )
    return [p for p in session.scalars(stmt) if str(visit.id) in p.visit_ids]


# ---- lists ---------------------------------------------------------------------------------------


def list_conditions(user, args: dict) -> list:
    """WHERE clause of the visit list: what the user may see, and the filters."""
    conditions = [access.visible(user)]
    if args.get("year"):
        conditions.append(Visit.year == args["year"])
    if args.get("state"):
        conditions.append(Visit.state == args["state"])
    if args.get("due_before"):
        conditions.append(Visit.window_end <= args["due_before"])
    if args.get("task"):
        conditions.append(
            exists().where(VisitTask.visit_id == Visit.id, VisitTask.task_id == args["task"])
        )
    return conditions


def list_visits(session: Session, user, args: dict) -> Page:
    """One page of visible visits, the soonest due first."""
    conditions = list_conditions(user, args)
    size = args.get("page_size") or 50
    total = session.scalar(select(func.count()).select_from(Visit).where(*conditions)) or 0
    page = min(args.get("page") or 1, max(1, -(-total // size)))
    stmt = (
        select(Visit)
        .where(*conditions)
        .order_by(Visit.window_end, Visit.uscc, Visit.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    return Page(items=session.scalars(stmt).unique().all(), total=total, page=page, page_size=size)


def year_options(session: Session, user) -> list[int]:
    stmt = select(Visit.year).where(access.visible(user)).distinct().order_by(Visit.year.desc())
    return list(session.scalars(stmt))


def task_options(session: Session, user) -> list[Task]:
    """Tasks carried by a visit the user may see (the list's task filter)."""
    carried = select(VisitTask.task_id).join(Visit, Visit.id == VisitTask.visit_id)
    stmt = (
        select(Task)
        .where(Task.id.in_(carried.where(access.visible(user))))
        .order_by(Task.year.desc(), Task.seq.desc())
    )
    return list(session.scalars(stmt))


def my_visits(session: Session, user, today: dt.date) -> dict[str, list[Visit]]:
    """An inspector's planned visits: overdue, in their window today, and upcoming."""
    stmt = (
        select(Visit)
        .where(Visit.state == PLANNED, access.has_team_member(Visit.id, user.id))
        .order_by(Visit.window_end, Visit.window_start, Visit.uscc)
    )
    groups: dict[str, list[Visit]] = {"overdue": [], "today": [], "upcoming": []}
    for visit in session.scalars(stmt):
        if visit.window_end < today:
            groups["overdue"].append(visit)
        elif visit.window_start <= today:
            groups["today"].append(visit)
        else:
            groups["upcoming"].append(visit)
    return groups


# ---- merge proposals -----------------------------------------------------------------------------


@dataclasses.dataclass
class ProposalView:
    """A proposal with its visits as they are now, the departments involved and their answers."""

    proposal: MergeProposal
    visits: list[Visit]
    departments: list[Department]
    sections: dict[uuid.UUID, list[Section]]

    @property
    def decided(self) -> dict[uuid.UUID, object]:
        return {d.department_id: d for d in self.proposal.decisions}

    @property
    def pending(self) -> list[Department]:
        decided = self.decided
        return [d for d in self.departments if d.id not in decided]

    @property
    def stale(self) -> bool:
        """Its visits are no longer all planned (cancelled, merged) or lost their tasks."""
        return stale(self.proposal, self.visits)


def proposal_visits(session: Session, proposal: MergeProposal) -> list[Visit]:
    """The proposal's visits in its order (oldest first); missing ones are left out."""
    ids = [parse_id(v) for v in proposal.visit_ids]
    found = {v.id: v for v in session.scalars(select(Visit).where(Visit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def departments_of(visits: Iterable[Visit]) -> list[Department]:
    """The departments whose tasks the visits carry, by code."""
    seen: dict[uuid.UUID, Department] = {}
    for visit in visits:
        for link in visit.tasks:
            seen.setdefault(link.task.department_id, link.task.department)
    return sorted(seen.values(), key=lambda d: d.code)


def overlap(visits: Sequence[Visit]) -> tuple[dt.date, dt.date] | None:
    start = max(v.window_start for v in visits)
    end = min(v.window_end for v in visits)
    return (start, end) if start <= end else None


def stale(proposal: MergeProposal, visits: Sequence[Visit]) -> bool:
    return (
        len(visits) != len(proposal.visit_ids)
        or len(visits) < 2
        or any(v.state != PLANNED or not v.tasks for v in visits)
        or overlap(visits) is None
    )


def open_proposals(session: Session, user) -> list[ProposalView]:
    """Open proposals the user may see: a head sees those involving their department.

    Open proposals are few (a handful per draw), so they are all read and filtered here.
    """
    stmt = (
        select(MergeProposal)
        .where(MergeProposal.state == PROPOSED)
        .order_by(MergeProposal.window_end, MergeProposal.created_at)
    )
    views = []
    for proposal in session.scalars(stmt):
        visits = proposal_visits(session, proposal)
        departments = departments_of(visits)
        if not access.sees_all(user) and user.department_id not in {d.id for d in departments}:
            continue
        views.append(ProposalView(proposal, visits, departments, {}))
    links = [link for view in views for visit in view.visits for link in visit.tasks]
    teams = teams_for(session, links)
    for view in views:
        view.sections = sections_of(view.visits, teams)
    return views
