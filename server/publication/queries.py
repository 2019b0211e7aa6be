"""Reads of publication: versions, the public snapshot of a task, the public lists, the outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from server.clock import SHANGHAI
from server.codes.models import Code
from server.codes.reference import FOLLOWUP, METHOD, RESULT
from server.directory.identifiers import normalise as normalise_uscc
from server.publication.models import (
    DUE_STATES,
    Publication,
    PublicationJob,
    PublishedSubject,
)
from server.results import access
from server.results import queries as result_queries
from server.results.models import CLOSED, ResultSheet
from server.results.queries import get_uuid  # noqa: F401 - the one UUID parser, used via queries
from server.tasks.models import Task
from server.tasks.vocab import TARGETINGS
from server.visits import evidence
from server.visits.record_models import VisitRecord

SNAPSHOT_FORMAT = "spotcheck-public-result-v1"


def get_publication(session: Session, publication_id) -> Publication | None:
    key = get_uuid(publication_id)
    return session.get(Publication, key) if key else None


def latest(session: Session, task_id) -> Publication | None:
    stmt = select(Publication).where(
        Publication.task_id == task_id, Publication.is_latest.is_(True)
    )
    return session.scalars(stmt).first()


def versions(session: Session, task_id) -> list[Publication]:
    """Every published version of a task's results, newest first."""
    stmt = (
        select(Publication)
        .where(Publication.task_id == task_id)
        .order_by(Publication.version_no.desc())
    )
    return list(session.scalars(stmt))


def current_basis(session: Session, task_id) -> dict[str, str]:
    """{visit_id: current sheet id} of the task's sections (what a publication rests on)."""
    sections = result_queries.task_sections(session, task_id)
    sheets = result_queries.sheets_for(session, sections)
    return {
        str(s.visit_id): str(sheets[(s.visit_id, s.task_id)].id)
        for s in sections
        if (s.visit_id, s.task_id) in sheets
    }


# ---------------------------------------------------------------- the public snapshot


def _names(session: Session, kind: str) -> dict[str, str]:
    return {c.code: c.name_zh for c in session.scalars(select(Code).where(Code.kind == kind))}


def _check_date(session: Session, sheet: ResultSheet) -> str | None:
    """The day the business was checked (Asia/Shanghai): when the party signed, or the record
    was sent; None for a visit that ended without a record."""
    if sheet.record_id is None:
        return None
    record = session.get(VisitRecord, sheet.record_id)
    if record is None:
        return None
    at = evidence.finished_at(record) or record.submitted_at
    return at.astimezone(SHANGHAI).date().isoformat() if at else None


def _plan_of(session: Session, task) -> dict | None:
    from server.plans.models import PlanLine  # plans import tasks; keep the import local

    line_ids = [ti.plan_line_id for ti in task.items if ti.plan_line_id is not None]
    if not line_ids:
        return None
    line = session.get(PlanLine, line_ids[0])
    if line is None:
        return None
    plan = line.plan
    return {"year": plan.year, "title": f"{plan.department.name} {plan.year} 年度抽查工作计划"}


def snapshot(session: Session, task, completion, *, bureau_name: str) -> tuple[dict, dict]:
    """(the public result of the task as it stands, its basis {visit_id: sheet id}).

    Only what domain.md's "Public result" allows: plan, task number and name, targeted or not,
    checking body, completion date, and per business (name, USCC) per item the result codes,
    methods and follow-up measures, with their Chinese names. No remarks, notes, people, phones,
    ID numbers or signatures.
    """
    names = {kind: _names(session, kind) for kind in (RESULT, METHOD, FOLLOWUP)}
    sections = result_queries.task_sections(session, task.id)
    sheets = result_queries.sheets_for(session, sections)
    items = [
        {
            "code": ti.item.code,
            "name": ti.item_version.name,
            "checking_body": ti.item_version.checking_body,
        }
        for ti in task.items
    ]
    item_of = {ti.item_id: items[n] for n, ti in enumerate(task.items)}
    subjects, basis = [], {}
    for link in sections:
        sheet = sheets.get((link.visit_id, link.task_id))
        if sheet is None:
            continue
        basis[str(link.visit_id)] = str(sheet.id)
        visit = link.visit
        lines = []
        for line in sorted(sheet.lines, key=lambda row: row.position):
            item = item_of.get(line.item_id, {"code": "", "name": ""})
            lines.append(
                {
                    "item_code": item["code"],
                    "item_name": item["name"],
                    "results": [
                        {"code": c, "name": names[RESULT].get(c, c)} for c in line.result_codes
                    ],
                    "methods": [
                        {"code": c, "name": names[METHOD].get(c, c)} for c in line.method_codes
                    ],
                    "followups": [
                        {
                            "code": f["code"],
                            "name": names[FOLLOWUP].get(f["code"], f["code"]),
                            "status": f.get("status"),
                            "closed_on": f.get("closed_on") if f.get("status") == CLOSED else None,
                        }
                        for f in line.followups
                    ],
                }
            )
        subjects.append(
            {
                "uscc": visit.uscc,
                "name": visit.subject.name,
                "check_date": _check_date(session, sheet),
                "result_version": sheet.version,
                "correction_reason": sheet.correction_reason if sheet.version > 1 else None,
                "items": lines,
            }
        )
    body = {
        "format": SNAPSHOT_FORMAT,
        "plan": _plan_of(session, task),
        "task": {
            "id": str(task.id),
            "number": task.number or "",
            "name": task.name,
            "year": task.year,
            "targeted": task.targeting == "targeted",
            "targeting": str(TARGETINGS.get(task.targeting, task.targeting)),
        },
        "checking_body": {"bureau": bureau_name, "department": task.department.name},
        "completed_on": completion.completed_on.isoformat(),
        "items": items,
        "subjects": subjects,
    }
    return body, basis


# ---------------------------------------------------------------- public lists


def _search(q: str | None):
    """Condition on Publication: a business of the version matches a name part or a USCC."""
    q = (q or "").strip()
    if not q:
        return None
    uscc = normalise_uscc(q)
    like = f"%{q.replace('%', '').replace('_', '')}%"
    return exists().where(
        PublishedSubject.publication_id == Publication.id,
        or_(PublishedSubject.uscc == uscc, PublishedSubject.name.like(like)),
    )


def public_list(*, q: str | None = None, uscc: str | None = None, task_id=None) -> Select:
    """SELECT of the newest version of every published task, newest first."""
    stmt = (
        select(Publication)
        .join(Task, Task.id == Publication.task_id)
        .where(Publication.is_latest.is_(True))
        .order_by(Publication.published_at.desc(), Task.number.desc())
    )
    condition = _search(q)
    if condition is not None:
        stmt = stmt.where(condition)
    if uscc:
        stmt = stmt.where(
            exists().where(
                PublishedSubject.publication_id == Publication.id,
                PublishedSubject.uscc == normalise_uscc(uscc),
            )
        )
    if task_id is not None:
        stmt = stmt.where(Publication.task_id == task_id)
    return stmt


def for_subject(session: Session, uscc: str) -> list[Publication]:
    """The newest published version of every task that checked this business."""
    return list(session.scalars(public_list(uscc=uscc)))


def subject_entry(publication: Publication, uscc: str) -> dict | None:
    """The business's part of a published snapshot."""
    uscc = normalise_uscc(uscc)
    return next((s for s in publication.snapshot.get("subjects", []) if s["uscc"] == uscc), None)


def subject_name(session: Session, uscc: str) -> str | None:
    stmt = (
        select(PublishedSubject.name)
        .join(Publication, Publication.id == PublishedSubject.publication_id)
        .where(PublishedSubject.uscc == normalise_uscc(uscc))
        .order_by(Publication.published_at.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def history(session: Session, task_id) -> list[dict]:
    """The public history of a task's publication: version, date, reason, newest first."""
    return [
        {
            "id": p.id,
            "version_no": p.version_no,
            "published_at": p.published_at,
            "reason": p.reason,
            "sha256": p.sha256,
        }
        for p in versions(session, task_id)
    ]


# ---------------------------------------------------------------- the outbox


def due_job_ids(session: Session, now: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
    stmt = (
        select(PublicationJob.id)
        .where(PublicationJob.state.in_(DUE_STATES), PublicationJob.next_attempt_at <= now)
        .order_by(PublicationJob.next_attempt_at, PublicationJob.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def list_jobs(user, *, state: str | None = None, task_id=None) -> Select:
    """SELECT of outbox rows of the tasks the user may read, newest first."""
    stmt = (
        select(PublicationJob)
        .join(Publication, Publication.id == PublicationJob.publication_id)
        .join(Task, Task.id == Publication.task_id)
        .where(access.visible_tasks(user))
        .order_by(PublicationJob.created_at.desc(), PublicationJob.publisher)
    )
    if state:
        stmt = stmt.where(PublicationJob.state == state)
    if task_id is not None:
        stmt = stmt.where(Publication.task_id == task_id)
    return stmt


def job_counts(session: Session, user) -> dict[str, int]:
    stmt = (
        select(PublicationJob.state, func.count())
        .join(Publication, Publication.id == PublicationJob.publication_id)
        .join(Task, Task.id == Publication.task_id)
        .where(access.visible_tasks(user))
        .group_by(PublicationJob.state)
    )
    return {state: n for state, n in session.execute(stmt)}
