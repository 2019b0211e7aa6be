"""Reviewing a submitted record: approving it, or sending it back to its inspectors with a
comment (sync v1: "review comments sent back by a team lead or the back office arrive by pull").

Who may: the team lead of the record's section (the DrawAssignment of the section's draw and
subject marks them lead), and the department head or back office of the section's task's
department. Not the admin or the leader: reviewing evidence is the department's work.
Only a complete, submitted record can be approved or sent back, and only the latest version of
it: the phone answers a return with a correction (a new version superseding the returned one).
An approval re-checks the record's own integrity (content hash and device signature, both cheap)
so a record altered in the database is never approved; the evidence files are re-hashed on the
review page (server/visits/evidence.py), not here, as a video may be a gigabyte.
Operations flush, never commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from server.audit.operations import Actor, record
from server.auth.models import Device
from server.auth.roles import BACK_OFFICE, DEPT_HEAD
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.errors import OperationError
from server.tasks.models import Task
from server.visits.models import VisitTask
from server.visits.record_models import APPROVED, RETURNED, SUBMITTED, VisitRecord
from server.visits.review_models import NOTE, RETURN, ReviewComment
from sync.integrity import IntegrityError, record_hash, verify_signature

MAX_COMMENT = 2000


class ReviewError(OperationError):
    """A refused review action: 422 bad input, 403 not yours, 409 wrong state."""


def is_section_lead(session: Session, user, record_row: VisitRecord) -> bool:
    stmt = select(
        exists().where(
            VisitTask.visit_id == record_row.visit_id,
            VisitTask.task_id == record_row.task_id,
            DrawAssignment.draw_id == VisitTask.draw_id,
            DrawAssignment.subject_id == VisitTask.subject_id,
            DrawAssignment.is_team_lead.is_(True),
            Inspector.id == DrawAssignment.inspector_id,
            Inspector.user_id == user.id,
        )
    )
    return bool(session.scalar(stmt))


def may_review(session: Session, user, record_row: VisitRecord) -> bool:
    if user.has_role(DEPT_HEAD, BACK_OFFICE) and user.department_id is not None:
        department = session.scalar(select(Task.department_id).where(Task.id == record_row.task_id))
        if department == user.department_id:
            return True
    return is_section_lead(session, user, record_row)


def _lock_latest_submitted(session: Session, record_row: VisitRecord, wrong_state) -> None:
    """Lock the record (a second reviewer or the upload hook must see the new state) and check it
    is submitted and not superseded; 409 (`wrong_state` or "superseded") otherwise."""
    session.execute(select(VisitRecord.id).where(VisitRecord.id == record_row.id).with_for_update())
    session.refresh(record_row)
    if record_row.state != SUBMITTED:
        raise ReviewError(wrong_state, status=409)
    if superseded(session, record_row):
        raise ReviewError(_l("该记录已有更正版本，请审核最新版本"), status=409)


def superseded(session: Session, record_row: VisitRecord) -> bool:
    newer = session.scalar(select(VisitRecord.id).where(VisitRecord.supersedes_id == record_row.id))
    return newer is not None


def _comment_text(body: str | None, *, required: bool) -> str:
    text = (body or "").strip()
    if required and not text:
        raise ReviewError(_l("请写明退回的原因和需要补正的内容"), field="comment")
    if len(text) > MAX_COMMENT:
        raise ReviewError(_l("说明不能超过 %(max)s 字"), field="comment", max=MAX_COMMENT)
    return text


def send_back(
    session: Session, actor: Actor, user, record_row: VisitRecord, body: str | None
) -> ReviewComment:
    """Mark the record returned and attach the comment the inspectors will read."""
    if not may_review(session, user, record_row):
        raise ReviewError(_l("您不是该检查记录的组长或所属科室的审核人员"), status=403)
    text = _comment_text(body, required=True)
    _lock_latest_submitted(session, record_row, _l("只有已提交且证据齐全的记录可以退回"))
    before = record_row.audit_state()
    record_row.state = RETURNED
    comment = _add_comment(session, record_row, user, RETURN, text)
    session.flush()
    record(
        session,
        actor=actor,
        action="record.return",
        object_type="visit_record",
        object_id=record_row.id,
        state=record_row.audit_state(),
        details={"before_state": before["state"], "comment_id": str(comment.id), "comment": text},
    )
    return comment


def _add_comment(session: Session, record_row: VisitRecord, user, kind: str, text: str):
    comment = ReviewComment(
        record_id=record_row.id,
        visit_id=record_row.visit_id,
        author_id=user.id,
        kind=kind,
        body=text,
    )
    session.add(comment)
    return comment


def record_intact(session: Session, record_row: VisitRecord) -> bool:
    """The stored content still hashes to the stored hash, and the device signed that hash."""
    try:
        intact = record_hash(record_row.record) == record_row.record_hash
    except IntegrityError:
        return False
    device = session.get(Device, record_row.device_id)
    return (
        intact
        and device is not None
        and verify_signature(device.public_key, record_row.record_hash, record_row.device_signature)
    )


def approve(
    session: Session, actor: Actor, user, record_row: VisitRecord, body: str | None = None
) -> ReviewComment | None:
    """Mark the record approved; an optional comment reaches the inspectors as a note."""
    if not may_review(session, user, record_row):
        raise ReviewError(_l("您不是该检查记录的组长或所属科室的审核人员"), status=403)
    text = _comment_text(body, required=False)
    _lock_latest_submitted(session, record_row, _l("只有已提交、证据齐全且尚未审核的记录可以通过"))
    if not record_intact(session, record_row):
        raise ReviewError(_l("记录内容或设备签名校验未通过，不能审核通过，请退回补正"), status=409)
    before = record_row.audit_state()
    record_row.state = APPROVED
    comment = _add_comment(session, record_row, user, NOTE, text) if text else None
    session.flush()
    record(
        session,
        actor=actor,
        action="record.approve",
        object_type="visit_record",
        object_id=record_row.id,
        state=record_row.audit_state(),
        details={
            "before_state": before["state"],
            "record_hash": record_row.record_hash,
            "comment_id": str(comment.id) if comment else None,
            "comment": text or None,
        },
    )
    return comment


def records_of_visit(session: Session, visit_id) -> list[VisitRecord]:
    """Every version of every record of the visit, newest version first per section."""
    stmt = (
        select(VisitRecord)
        .where(VisitRecord.visit_id == visit_id)
        .order_by(VisitRecord.task_id, VisitRecord.version.desc(), VisitRecord.created_at)
    )
    return list(session.scalars(stmt))


def comments_of(session: Session, record_ids) -> dict:
    out: dict = {}
    if not record_ids:
        return out
    stmt = (
        select(ReviewComment)
        .where(ReviewComment.record_id.in_(list(record_ids)))
        .order_by(ReviewComment.created_at)
    )
    for comment in session.scalars(stmt):
        out.setdefault(comment.record_id, []).append(comment)
    return out
