"""Sync v1 "Pull": what one inspector's phone needs, in full or changed since a cursor.

No Flask here: `pull()` takes a Session on one consistent snapshot (sync.changes.snapshot) and
returns the response body as plain dicts, serialised by `encode()` (the shapes are documented by
server/syncapi/schemas.py; rows are built directly because a pull must stay well under 50 ms).

Scope: the planned visits of issued tasks (issued / in progress / completed: issuing is when
visits go to the phones) on whose team the user's inspector is — the DrawAssignment rows of the
visit's (draw_id, subject_id) pairs, as in server/visits/access.py. A merged visit's survivor
carries every merged task, so it is in the scope of every team; the absorbed visits are not.
With them: the issued tasks they carry, the item versions those tasks pinned, the subjects, the
checklist templates, and the inspector's own credential.

Incremental pulls read the change log (sync.changes) after the cursor:
- a visit is sent when it, one of its tasks or someone on its team changed; its task, subject,
  items and checklist are sent with it (it may be new to this phone: a task was just issued, a
  replacement put this inspector on the team), so the phone never holds a visit without them;
- a delete addressed to this user is sent only if the object is no longer in scope now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Department, Device, User
from server.credentials.tokens import CredentialLinks
from server.directory.models import Inspector, Subject
from server.draws.models import DrawAssignment
from server.items.models import Item, ItemVersion
from server.orm import utcnow
from server.tasks import workflow
from server.tasks.models import ChecklistQuestion, ChecklistTemplate, Task, TaskItem
from server.visits.models import CONFIRMED, PLANNED, MergeProposal, Visit, VisitTask
from server.visits.record_models import VisitRecord
from server.visits.review_models import ReviewComment
from sync import changes
from sync.feed_models import DELETE, SyncChange

# Issuing sends a task's visits to the phones; they stay there until the task is over.
ISSUED_STATES = (workflow.ISSUED, workflow.IN_PROGRESS, workflow.COMPLETED)
# The collections of a pull, always all present in `changes` (a stable shape for the PWA).
PULL_COLLECTIONS = (
    "visits", "tasks", "items", "subjects", "checklists", "credential", "records", "comments",
)  # fmt: skip
_CURSOR = re.compile(r"-?[0-9]{1,18}")
PHOTO_URL = "/api/v1/credential/photo"  # server/credentials/views.py (device token)


def parse_cursor(raw) -> int | None:
    """The cursor as sent: missing/blank → 0, not an integer → None (answered with reset)."""
    if raw is None or str(raw).strip() == "":
        return 0
    text = str(raw).strip()
    return int(text) if _CURSOR.fullmatch(text) else None


@dataclasses.dataclass
class Scope:
    """The ids of everything the inspector needs now, and how they hang together."""

    inspector_id: uuid.UUID | None
    visits: dict[uuid.UUID, dict]  # visit id → visit row (sections filled later)
    links: list  # (visit_id, task_id, draw_id, subject_id, position) of issued tasks
    teams: dict[tuple, list]  # (draw_id, subject_id) → team rows, in draw order
    links_to: CredentialLinks | None = None  # signs the e-credential's QR URLs

    @property
    def task_ids(self) -> set:
        return {link.task_id for link in self.links}

    @property
    def subject_ids(self) -> set:
        return {v["subject_id"] for v in self.visits.values()}

    @property
    def member_ids(self) -> set:
        return {m.inspector_id for team in self.teams.values() for m in team}

    def tasks_of(self, visit_ids) -> set:
        return {link.task_id for link in self.links if link.visit_id in visit_ids}


def _empty_changes() -> dict:
    return {name: {"upserts": [], "deletes": []} for name in PULL_COLLECTIONS}


def pull(
    session: Session, *, user_id, device_id, cursor_raw, links: CredentialLinks | None = None
) -> dict:
    """The pull response for the device's user, on the session's snapshot.

    `links` signs the QR URLs of the e-credential (server/credentials/tokens.py): one per visit
    row and one on the credential row, made here because the phone shows them offline.
    """
    value, floor = changes.current(session)  # read first: the cursor is taken in the snapshot
    cursor = parse_cursor(cursor_raw)
    reset = cursor is None or cursor < 0 or cursor > value or 0 < cursor < floor
    since = 0 if reset else cursor
    body = {
        "cursor": value,
        "reset": reset,
        "last_mutation_seq": session.scalar(
            select(Device.last_mutation_seq).where(Device.id == device_id)
        )
        or 0,
        "server_time": utcnow().isoformat(timespec="seconds"),
        "changes": _empty_changes(),
    }
    if since and since == value:
        return body  # nothing committed since the cursor
    inspector = session.execute(
        select(
            Inspector.id,
            Inspector.name,
            Inspector.credential_no,
            Inspector.credential_issuer,
            Inspector.credential_valid_from,
            Inspector.credential_valid_until,
            Inspector.photo_key,
            Department.name.label("department"),
        )
        .join(Department, Department.id == Inspector.department_id)
        .where(Inspector.user_id == user_id)
    ).first()
    scope = read_scope(session, inspector.id if inspector else None)
    scope.links_to = links
    if since == 0:
        _fill(session, body["changes"], scope, set(scope.visits), set(), inspector, True)
        return body
    _incremental(session, body["changes"], scope, user_id, since, value, inspector)
    return body


# ---------------------------------------------------------------- scope


def scope_visit_ids(inspector_id):
    """SELECT of the ids of the inspector's visits in scope (also the benchmark's floor)."""
    return (
        select(VisitTask.visit_id)
        .join(
            DrawAssignment,
            (DrawAssignment.draw_id == VisitTask.draw_id)
            & (DrawAssignment.subject_id == VisitTask.subject_id),
        )
        .join(Task, Task.id == VisitTask.task_id)
        .join(Visit, Visit.id == VisitTask.visit_id)
        .where(
            DrawAssignment.inspector_id == inspector_id,
            Task.state.in_(ISSUED_STATES),
            Visit.state == PLANNED,
        )
        .distinct()
    )


def read_scope(session: Session, inspector_id) -> Scope:
    if inspector_id is None:
        return Scope(None, {}, [], {})
    ids = list(session.scalars(scope_visit_ids(inspector_id)))
    if not ids:
        return Scope(inspector_id, {}, [], {})
    visits = {
        row.id: {
            "id": row.id,
            "subject_id": row.subject_id,
            "uscc": row.uscc,
            "year": row.year,
            "state": row.state,
            "window_start": row.window_start,
            "window_end": row.window_end,
        }
        for row in session.execute(
            select(
                Visit.id,
                Visit.subject_id,
                Visit.uscc,
                Visit.year,
                Visit.state,
                Visit.window_start,
                Visit.window_end,
            ).where(Visit.id.in_(ids))
        )
    }
    # Indexed reads by visit and by subject; a join with tasks or a draw_id IN list would make
    # the planner walk every row of the draws instead.
    links = list(
        session.execute(
            select(
                VisitTask.visit_id,
                VisitTask.task_id,
                VisitTask.draw_id,
                VisitTask.subject_id,
                VisitTask.position,
            )
            .where(VisitTask.visit_id.in_(ids))
            .order_by(VisitTask.position)
        )
    )
    issued = set(
        session.scalars(
            select(Task.id).where(
                Task.id.in_({link.task_id for link in links}), Task.state.in_(ISSUED_STATES)
            )
        )
    )
    links = [link for link in links if link.task_id in issued]
    teams: dict[tuple, list] = {(link.draw_id, link.subject_id): [] for link in links}
    stmt = (
        select(
            DrawAssignment.draw_id,
            DrawAssignment.subject_id,
            DrawAssignment.inspector_id,
            DrawAssignment.credential_no,
            DrawAssignment.is_team_lead,
            Inspector.name,
        )
        .join(Inspector, Inspector.id == DrawAssignment.inspector_id)
        .where(DrawAssignment.subject_id.in_({link.subject_id for link in links}))
        .order_by(DrawAssignment.position)
    )
    for row in session.execute(stmt):
        team = teams.get((row.draw_id, row.subject_id))
        if team is not None:  # the subject's teams in other draws are not this visit's
            team.append(row)
    return Scope(inspector_id, visits, links, teams)


# ---------------------------------------------------------------- incremental


def _incremental(session, out, scope: Scope, user_id, since, value, inspector) -> None:
    visit_ids, task_ids, subject_ids = set(scope.visits), scope.task_ids, scope.subject_ids
    members = scope.member_ids
    tasks = _task_rows(session, task_ids)
    item_of_version = {v: i for t in tasks.values() for v, i in t["_items"]}
    checklist_ids = {t["checklist_id"] for t in tasks.values() if t["checklist_id"]}
    watched = visit_ids | task_ids | subject_ids | members | set(item_of_version.values())
    watched |= checklist_ids | ({inspector.id} if inspector else set())
    record_visit, comment_visit = _record_index(session, visit_ids)
    watched |= set(record_visit) | set(comment_visit)
    changed: dict[str, set] = defaultdict(set)
    deleted: dict[str, set] = defaultdict(set)
    # Two index range reads (by object, by addressee) rather than one OR the planner may scan.
    base = select(
        SyncChange.collection,
        SyncChange.object_id,
        SyncChange.user_id,
        SyncChange.op,
    ).where(SyncChange.seq > since, SyncChange.seq <= value)
    rows = []
    watched_list = list(watched)
    for start in range(0, len(watched_list), changes.CHUNK):
        chunk = watched_list[start : start + changes.CHUNK]
        rows += session.execute(base.where(SyncChange.object_id.in_(chunk))).all()
    rows += session.execute(base.where(SyncChange.user_id == user_id)).all()
    for collection, object_id, addressee, op in rows:
        if op == DELETE:
            if addressee == user_id:
                deleted[collection].add(object_id)
        else:
            changed[collection].add(object_id)
    # Deleted for this user and still (or again) in scope: the object changed, send it.
    for collection, objects in (
        (changes.VISITS, visit_ids),
        (changes.TASKS, task_ids),
        (changes.SUBJECTS, subject_ids),
    ):
        changed[collection] |= deleted[collection] & objects
        deleted[collection] -= objects
    send_visits = changed[changes.VISITS] & visit_ids
    for link in scope.links:
        if link.task_id in changed[changes.TASKS]:
            send_visits.add(link.visit_id)
        team = scope.teams.get((link.draw_id, link.subject_id), [])
        if any(m.inspector_id in changed[changes.MEMBERS] for m in team):
            send_visits.add(link.visit_id)
    send_tasks = (changed[changes.TASKS] & task_ids) | scope.tasks_of(send_visits)
    send_subjects = (changed[changes.SUBJECTS] & subject_ids) | {
        scope.visits[v]["subject_id"] for v in send_visits
    }
    send_items = {v for v, i in item_of_version.items() if i in changed[changes.ITEMS]}
    send_checklists = changed[changes.CHECKLISTS] & checklist_ids
    for task_id in send_tasks:
        send_items |= {v for v, _ in tasks[task_id]["_items"]}
        if tasks[task_id]["checklist_id"]:
            send_checklists.add(tasks[task_id]["checklist_id"])
    # A visit sent again may be new to this phone: its records and comments go with it.
    send_records = (changed[changes.RECORDS] & set(record_visit)) | {
        r for r, v in record_visit.items() if v in send_visits
    }
    send_comments = (changed[changes.COMMENTS] & set(comment_visit)) | {
        c for c, v in comment_visit.items() if v in send_visits
    }
    _fill(
        session,
        out,
        scope,
        send_visits,
        send_tasks,
        inspector if inspector and inspector.id in changed[changes.INSPECTORS] else None,
        False,
        tasks=tasks,
        subjects=send_subjects,
        items=send_items,
        checklists=send_checklists,
        records=send_records,
        comments=send_comments,
    )
    _deletes(session, out, deleted, tasks, item_of_version, checklist_ids)


def _deletes(session, out, deleted, tasks, item_of_version, checklist_ids) -> None:
    """Deletes addressed to this user of objects out of scope, with what only they needed."""
    out["visits"]["deletes"] = sorted(str(v) for v in deleted[changes.VISITS])
    out["subjects"]["deletes"] = sorted(str(s) for s in deleted[changes.SUBJECTS])
    gone_tasks = deleted[changes.TASKS]
    out["tasks"]["deletes"] = sorted(str(t) for t in gone_tasks)
    if not gone_tasks:
        return
    old = _task_rows(session, gone_tasks)
    out["items"]["deletes"] = sorted(
        {str(v) for t in old.values() for v, _ in t["_items"] if v not in item_of_version}
    )
    out["checklists"]["deletes"] = sorted(
        {
            str(t["checklist_id"])
            for t in old.values()
            if t["checklist_id"] and t["checklist_id"] not in checklist_ids
        }
    )


# ---------------------------------------------------------------- rows


def _fill(
    session,
    out,
    scope: Scope,
    visit_ids: set,
    task_ids: set,
    inspector,
    everything: bool,
    *,
    tasks=None,
    subjects=None,
    items=None,
    checklists=None,
    records=None,
    comments=None,
) -> None:
    """Upserts of the given objects (everything in scope when `everything`)."""
    if everything:
        task_ids = scope.task_ids
        subjects = scope.subject_ids
        record_visit, comment_visit = _record_index(session, set(scope.visits))
        records, comments = set(record_visit), set(comment_visit)
    tasks = tasks if tasks is not None else _task_rows(session, task_ids)
    if everything:
        items = {v for t in tasks.values() for v, _ in t["_items"]}
        checklists = {t["checklist_id"] for t in tasks.values() if t["checklist_id"]}
    out["visits"]["upserts"] = _visit_rows(session, scope, visit_ids)
    out["tasks"]["upserts"] = [
        {k: v for k, v in tasks[t].items() if k != "_items"} for t in sorted(task_ids, key=str)
    ]
    out["items"]["upserts"] = _item_rows(session, items)
    out["subjects"]["upserts"] = _subject_rows(session, subjects)
    out["checklists"]["upserts"] = _checklist_rows(session, checklists)
    if inspector is not None:
        out["credential"]["upserts"] = [_credential(inspector, scope.links_to)]
    out["records"]["upserts"] = _record_rows(session, records)
    out["comments"]["upserts"] = _comment_rows(session, comments)


def _visit_rows(session, scope: Scope, visit_ids: set) -> list[dict]:
    if not visit_ids:
        return []
    # The visits each one absorbed, from the confirmed proposals of their subjects (indexed by
    # subject; the first visit of a proposal is the one that absorbs the others).
    merged_from: dict = defaultdict(list)
    subjects = {scope.visits[v]["subject_id"] for v in visit_ids}
    stmt = select(MergeProposal.visit_ids).where(
        MergeProposal.subject_id.in_(subjects), MergeProposal.state == CONFIRMED
    )
    for (proposal_visits,) in session.execute(stmt):
        survivor = uuid.UUID(proposal_visits[0])
        if survivor in visit_ids:
            merged_from[survivor] += proposal_visits[1:]
    sections: dict = defaultdict(list)
    for link in scope.links:
        if link.visit_id not in visit_ids:
            continue
        team = scope.teams.get((link.draw_id, link.subject_id), [])
        sections[link.visit_id].append(
            {
                "task_id": link.task_id,
                "draw_id": link.draw_id,
                "position": link.position,
                "team": [
                    {
                        "credential_no": m.credential_no,
                        "name": m.name,
                        "is_lead": m.is_team_lead,
                        "is_me": m.inspector_id == scope.inspector_id,
                    }
                    for m in team
                ],
            }
        )
    rows = []
    links = scope.links_to
    for visit_id in sorted(visit_ids, key=lambda v: (scope.visits[v]["window_end"], str(v))):
        row = dict(scope.visits[visit_id])
        row["sections"] = sections[visit_id]
        row["merged_from"] = merged_from[visit_id]
        row["i_am_lead"] = any(
            m["is_me"] and m["is_lead"] for s in row["sections"] for m in s["team"]
        )
        # Signed now (~3 µs each): the QR code shown at this business's door, offline.
        row["credential_url"] = (
            links.visit_url(scope.inspector_id, visit_id, row["window_end"]) if links else None
        )
        rows.append(row)
    return rows


def _task_rows(session, task_ids) -> dict:
    if not task_ids:
        return {}
    stmt = (
        select(
            Task.id,
            Task.number,
            Task.name,
            Task.year,
            Task.state,
            Task.department_id,
            Department.name.label("department_name"),
            Task.window_start,
            Task.window_end,
            Task.methods,
            Task.workflow_notes,
            Task.materials,
            Task.checklist_template_id,
        )
        .join(Department, Department.id == Task.department_id)
        .where(Task.id.in_(task_ids))
    )
    tasks = {
        row.id: {
            "id": row.id,
            "number": row.number,
            "name": row.name,
            "year": row.year,
            "state": row.state,
            "department": {"id": row.department_id, "name": row.department_name},
            "window_start": row.window_start,
            "window_end": row.window_end,
            "methods": list(row.methods or []),
            "workflow_notes": row.workflow_notes,
            "materials": row.materials,
            "checklist_id": row.checklist_template_id,
            "item_ids": [],
            "_items": [],  # (item version id, item id), in the task's order
        }
        for row in session.execute(stmt)
    }
    stmt = (
        select(TaskItem.task_id, TaskItem.item_version_id, TaskItem.item_id)
        .where(TaskItem.task_id.in_(task_ids))
        .order_by(TaskItem.task_id, TaskItem.position)
    )
    for task_id, version_id, item_id in session.execute(stmt):
        tasks[task_id]["item_ids"].append(version_id)
        tasks[task_id]["_items"].append((version_id, item_id))
    return tasks


def _item_rows(session, version_ids) -> list[dict]:
    """The item versions the tasks pinned (what the inspector checks against), by code."""
    if not version_ids:
        return []
    stmt = (
        select(
            ItemVersion.id,
            ItemVersion.item_id,
            Item.code,
            ItemVersion.version_no,
            ItemVersion.name,
            ItemVersion.content,
            ItemVersion.methods,
            ItemVersion.legal_basis,
            ItemVersion.checking_body,
        )
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(version_ids))
        .order_by(Item.code, ItemVersion.version_no)
    )
    return [
        {
            "id": row.id,
            "item_id": row.item_id,
            "code": row.code,
            "version_no": row.version_no,
            "name": row.name,
            "content": row.content,
            "methods": list(row.methods or []),
            "legal_basis": row.legal_basis,
            "checking_body": row.checking_body,
        }
        for row in session.execute(stmt)
    ]


def _subject_rows(session, subject_ids) -> list[dict]:
    if not subject_ids:
        return []
    stmt = (
        select(
            Subject.id,
            Subject.uscc,
            Subject.name,
            Subject.kind,
            Subject.address,
            Subject.legal_rep,
            Subject.contact_name,
            Subject.contact_phone,
        )
        .where(Subject.id.in_(subject_ids))
        .order_by(Subject.uscc)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]


def _checklist_rows(session, template_ids) -> list[dict]:
    if not template_ids:
        return []
    stmt = select(
        ChecklistTemplate.id,
        ChecklistTemplate.family_id,
        ChecklistTemplate.version_no,
        ChecklistTemplate.name,
        ChecklistTemplate.description,
    ).where(ChecklistTemplate.id.in_(template_ids))
    templates = {row.id: {**row._mapping, "questions": []} for row in session.execute(stmt)}
    stmt = (
        select(
            ChecklistQuestion.template_id,
            ChecklistQuestion.id,
            ChecklistQuestion.position,
            ChecklistQuestion.item_code,
            ChecklistQuestion.text,
            ChecklistQuestion.help,
            ChecklistQuestion.answer_type,
            ChecklistQuestion.required,
        )
        .where(ChecklistQuestion.template_id.in_(template_ids))
        .order_by(ChecklistQuestion.template_id, ChecklistQuestion.position)
    )
    for row in session.execute(stmt):
        question = dict(row._mapping)
        templates[question.pop("template_id")]["questions"].append(question)
    return [templates[t] for t in sorted(templates, key=str)]


def _record_index(session, visit_ids: set) -> tuple[dict, dict]:
    """{record id: visit id} and {comment id: visit id} of the visits (indexed by visit)."""
    if not visit_ids:
        return {}, {}
    ids = list(visit_ids)
    records, comments = {}, {}
    for start in range(0, len(ids), changes.CHUNK):
        chunk = ids[start : start + changes.CHUNK]
        stmt = select(VisitRecord.id, VisitRecord.visit_id).where(VisitRecord.visit_id.in_(chunk))
        records.update(dict(session.execute(stmt).all()))
        stmt = select(ReviewComment.id, ReviewComment.visit_id).where(
            ReviewComment.visit_id.in_(chunk)
        )
        comments.update(dict(session.execute(stmt).all()))
    return records, comments


def _record_rows(session, record_ids) -> list[dict]:
    """The team's records of the visits: what each says and where it stands in review.

    Signature images and the device signature stay on the server (heavy, and the phone that made
    them has them); the signed content and its hash come along so a lead can read it.
    """
    if not record_ids:
        return []
    stmt = (
        select(
            VisitRecord.id,
            VisitRecord.visit_id,
            VisitRecord.task_id,
            VisitRecord.state,
            VisitRecord.version,
            VisitRecord.supersedes_id,
            VisitRecord.correction_reason,
            VisitRecord.submitted_at,
            VisitRecord.record_hash,
            VisitRecord.answers,
            VisitRecord.notes,
            VisitRecord.record,
            VisitRecord.updated_at,
            User.display_name.label("author"),
        )
        .join(User, User.id == VisitRecord.user_id)
        .where(VisitRecord.id.in_(list(record_ids)))
        .order_by(VisitRecord.visit_id, VisitRecord.task_id, VisitRecord.version)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]


def _comment_rows(session, comment_ids) -> list[dict]:
    if not comment_ids:
        return []
    stmt = (
        select(
            ReviewComment.id,
            ReviewComment.record_id,
            ReviewComment.visit_id,
            ReviewComment.kind,
            ReviewComment.body,
            ReviewComment.created_at,
            User.display_name.label("author"),
        )
        .join(User, User.id == ReviewComment.author_id)
        .where(ReviewComment.id.in_(list(comment_ids)))
        .order_by(ReviewComment.created_at)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]


def _credential(inspector, links: CredentialLinks | None) -> dict:
    return {
        "id": inspector.id,
        "name": inspector.name,
        "credential_no": inspector.credential_no,
        "issuer": inspector.credential_issuer,
        "valid_from": inspector.credential_valid_from,
        "valid_until": inspector.credential_valid_until,
        "department": inspector.department,
        "credential_url": (
            links.credential_url(inspector.id, inspector.credential_valid_until) if links else None
        ),
        "photo_url": PHOTO_URL if inspector.photo_key else None,
        "bureau": links.bureau if links else None,
    }


def encode(body: dict) -> bytes:
    """The response as compact UTF-8 JSON; UUIDs and dates are converted by the C encoder's
    fallback only where they occur (a pull of 100 visits holds ~1,500 of them)."""
    return json.dumps(body, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def _default(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
