"""Writes of objections. Flush, never commit; every change writes one audit event.

Rules (Art. 26, domain.md "Results"):
- an objection names a published version and a USCC that version shows; it is filed online by
  anyone (the public form) or entered from paper by the back office of the task's department;
- the review is due on the 20th working day after receipt (server/calendar; provisional for a
  year the calendar does not know);
- received → under_review (the back office starts the review) → maintained (decision text
  required) or corrected → replied (the reply text is what the applicant sees);
- "corrected" needs a corrected result: the back office opens a new version of the disputed
  sheet through server/results (reason = reference + text), the department head approves it as
  usual; only then may the objection be closed as corrected, which republishes the task
  (server/publication) with the objection as its reason. Refused (409) before that;
- every refusal raises before anything is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.calendar.service import WorkdayCalendar
from server.directory.identifiers import IdentifierError, validate_uscc
from server.errors import OperationError
from server.i18n import N_
from server.objections import access, published
from server.objections.models import (
    CORRECTED,
    MAINTAINED,
    ONLINE,
    PAPER,
    RECEIVED,
    REPLIED,
    UNDECIDED_STATES,
    UNDER_REVIEW,
    Objection,
    ObjectionAttachment,
    ObjectionCounter,
    ObjectionSheet,
)
from server.orm import utcnow
from server.results import operations as result_ops
from server.results.models import APPROVED, ResultSheet
from server.tasks.models import Task
from server.visits.models import Visit
from sync import sniff
from sync.storage import Storage, new_key

# Art. 26: reviewed within 20 working days of receiving the application.
REVIEW_WORKDAYS = 20
ACCEPTED_TYPES = ("image/jpeg", "image/png", "application/pdf")
ATTACHMENT_KEY_KIND = "objection"
REFERENCE_PREFIX = "YY"


class ObjectionError(OperationError):
    """A refused write: 422 (bad input), 403 (not yours) or 409 (not in this state)."""


class ObjectionForbidden(ObjectionError):
    status = 403


class ObjectionConflict(ObjectionError):
    status = 409


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file as the form sent it."""

    filename: str
    data: bytes


# ---------------------------------------------------------------- helpers


def format_reference(year: int, seq: int) -> str:
    return f"{REFERENCE_PREFIX}{year}-{seq:06d}"


def _next_seq(session: Session, year: int) -> int:
    """The year's next number: one UPDATE … RETURNING holds the row lock (see tasks/numbering)."""
    bump = (
        update(ObjectionCounter)
        .where(ObjectionCounter.year == year)
        .values(last_seq=ObjectionCounter.last_seq + 1)
        .returning(ObjectionCounter.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq = session.execute(bump).scalar()
    if seq is None:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(
            insert(ObjectionCounter).values(year=year, last_seq=0).on_conflict_do_nothing()
        )
        seq = session.execute(bump).scalar_one()
    return seq


def review_due(session: Session, received_on: dt.date) -> tuple[dt.date, bool]:
    """(the review's due date, is it provisional): 20 working days after receipt."""
    return WorkdayCalendar(session).add_workdays(received_on, REVIEW_WORKDAYS)


def normalise_uscc(value: str) -> str:
    try:
        return validate_uscc(value or "")
    except IdentifierError as error:
        # The identifier module words its reasons in Chinese already (with values filled in).
        raise ObjectionError("%(reason)s", "uscc", reason=str(error)) from error


def _lock(session: Session, objection: Objection) -> None:
    session.execute(select(Objection.id).where(Objection.id == objection.id).with_for_update())
    session.refresh(objection)


def _record(session: Session, actor: Actor, action: str, objection: Objection, **details):
    audit.record(
        session,
        actor=actor,
        action=f"objection.{action}",
        object_type="objection",
        object_id=objection.id,
        state=objection.audit_state(),
        details={"reference": objection.reference, **details},
    )


def _check_files(files: list[Upload], *, max_files: int, max_bytes: int) -> list[tuple]:
    """[(upload, content type)] or 422: count, size, type sniffed from the bytes."""
    files = [f for f in files if f.data or f.filename]
    if len(files) > max_files:
        raise ObjectionError(N_("附件最多 %(n)s 个"), "attachments", n=max_files)
    checked = []
    for upload in files:
        if not upload.data:
            raise ObjectionError(N_("附件 %(name)s 是空文件"), "attachments", name=upload.filename)
        if len(upload.data) > max_bytes:
            raise ObjectionError(
                N_("附件 %(name)s 超过 %(mb)s MB"),
                "attachments",
                name=upload.filename,
                mb=max_bytes // (1024 * 1024),
            )
        sniffed = sniff.sniff(upload.data[: sniff.HEAD_BYTES])
        if sniffed is None or sniffed[1] not in ACCEPTED_TYPES:
            raise ObjectionError(
                N_("附件 %(name)s 不是 JPEG、PNG 图片或 PDF 文件"),
                "attachments",
                name=upload.filename,
            )
        checked.append((upload, sniffed[1]))
    return checked


def _disputed_sheets(session: Session, publication, uscc: str) -> list[ResultSheet]:
    """The result sheets of the subject's sections the published version was made from (the
    current approved ones when the version does not say)."""
    stmt = (
        select(ResultSheet)
        .join(Visit, Visit.id == ResultSheet.visit_id)
        .where(ResultSheet.task_id == publication.task_id, Visit.uscc == uscc)
        .order_by(ResultSheet.visit_id)
    )
    basis = published.basis_sheet_ids(publication)
    if basis:
        stmt = stmt.where(ResultSheet.id.in_(basis))
    else:
        stmt = stmt.where(ResultSheet.is_current.is_(True), ResultSheet.state == APPROVED)
    return list(session.scalars(stmt))


def _clean_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "attachment"


# ---------------------------------------------------------------- filing


def file(
    session: Session,
    storage: Storage,
    *,
    actor: Actor,
    publication,
    uscc: str,
    applicant_name: str,
    contact: str,
    grounds: str,
    files: list[Upload],
    max_files: int,
    max_bytes: int,
    channel: str = ONLINE,
    received_on: dt.date | None = None,
    user=None,
) -> Objection:
    """File an objection to the published result of `uscc` in `publication`.

    Online: anyone (user None), received today. Paper: the back office of the task's department
    enters it with the day the letter arrived (not in the future).
    """
    from server.clock import local_today  # noqa: PLC0415 - keep the import list short

    today = local_today()
    uscc = normalise_uscc(uscc)
    if publication is None:
        raise ObjectionError(N_("请从公示结果页面进入异议申请"), "publication")
    subject_name = published.subject_name(session, publication, uscc)
    if subject_name is None:
        raise ObjectionError(N_("该统一社会信用代码不在所选的公示检查结果中"), "uscc")
    task = session.get(Task, publication.task_id)
    if channel == PAPER:
        if user is None or not access.may_handle_department(user, task.department_id):
            raise ObjectionForbidden(N_("只有任务所属科室的业务人员可以登记纸质异议"))
        if received_on is None:
            raise ObjectionError(N_("请填写收到申请的日期"), "received_on")
        if received_on > today:
            raise ObjectionError(N_("收到日期不能晚于今天"), "received_on")
    else:
        channel, received_on = ONLINE, today
    for value, field, message in (
        (applicant_name, "applicant_name", N_("请填写申请人")),
        (contact, "contact", N_("请填写联系电话或电子邮箱")),
        (grounds, "grounds", N_("请填写异议理由")),
    ):
        if not (value or "").strip():
            raise ObjectionError(message, field)
    checked = _check_files(files, max_files=max_files, max_bytes=max_bytes)
    sheets = _disputed_sheets(session, publication, uscc)

    due, provisional = review_due(session, received_on)
    objection = Objection(
        reference=format_reference(received_on.year, _next_seq(session, received_on.year)),
        publication_id=publication.id,
        publication_version=getattr(publication, "version_no", None),
        task_id=task.id,
        department_id=task.department_id,
        uscc=uscc,
        subject_name=subject_name,
        channel=channel,
        applicant_name=applicant_name.strip(),
        contact=contact.strip(),
        grounds=grounds.strip(),
        received_on=received_on,
        due_on=due,
        due_provisional=provisional,
        state=RECEIVED,
        entered_by_id=user.id if user is not None and channel == PAPER else None,
        sheets=[ObjectionSheet(sheet_id=sheet.id) for sheet in sheets],
    )
    now = utcnow()
    for position, (upload, content_type) in enumerate(checked):
        key = new_key(ATTACHMENT_KEY_KIND, now=now)
        # Stored before the row commits: a rolled-back filing leaves an unreferenced file, never
        # a row without its file (storage is append-only by habit, as for evidence).
        storage.put(key, upload.data, content_type=content_type)
        objection.attachments.append(
            ObjectionAttachment(
                position=position,
                storage_key=key,
                filename=_clean_name(upload.filename),
                content_type=content_type,
                size=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(),
            )
        )
    session.add(objection)
    session.flush()
    _record(session, actor, "file", objection, task=task.number)
    return objection


# ---------------------------------------------------------------- review


def _handler(user, objection: Objection) -> None:
    if not access.may_handle(user, objection):
        raise ObjectionForbidden(N_("只有任务所属科室的业务人员可以办理异议"))


def start_review(session: Session, *, actor: Actor, user, objection: Objection) -> Objection:
    _handler(user, objection)
    _lock(session, objection)
    if objection.state != RECEIVED:
        raise ObjectionConflict(N_("只有已收到的异议可以开始复核"))
    objection.state = UNDER_REVIEW
    objection.review_started_at = utcnow()
    objection.handled_by_id = user.id
    session.flush()
    _record(session, actor, "start_review", objection, before_state=RECEIVED)
    return objection


def sections(session: Session, objection: Objection) -> list[tuple[ResultSheet, ResultSheet]]:
    """[(the disputed sheet, the section's current version)] of the objection."""
    out = []
    for link in sorted(objection.sheets, key=lambda s: str(s.sheet.visit_id)):
        disputed = link.sheet
        current = session.scalars(
            select(ResultSheet).where(
                ResultSheet.visit_id == disputed.visit_id,
                ResultSheet.task_id == disputed.task_id,
                ResultSheet.is_current.is_(True),
            )
        ).first()
        out.append((disputed, current))
    return out


def correct_result(
    session: Session, *, actor: Actor, user, objection: Objection, sheet: ResultSheet, text: str
) -> ResultSheet:
    """Open a corrected version of a disputed result (server/results), reason = reference + text.

    The back office then edits and submits the draft and the department head approves it, all in
    server/results as for any correction.
    """
    _handler(user, objection)
    text = (text or "").strip()
    if not text:
        raise ObjectionError(N_("请填写更正原因"), "reason")
    _lock(session, objection)
    if objection.state != UNDER_REVIEW:
        raise ObjectionConflict(N_("只有复核中的异议可以更正检查结果"))
    currents = {current.id for _, current in sections(session, objection) if current is not None}
    if sheet.id not in currents:
        raise ObjectionConflict(N_("该检查结果不是本异议所涉检查结果的最新版本"))
    reason = f"{objection.reference} {text}"
    new = result_ops.correct(session, actor=actor, user=user, sheet=sheet, reason=reason)
    _record(session, actor, "correct_result", objection, sheet_id=str(new.id), version=new.version)
    return new


def _decision_text(text: str | None, *, required: bool) -> str | None:
    text = (text or "").strip() or None
    if required and not text:
        raise ObjectionError(N_("请填写复核意见"), "decision_text")
    return text


def maintain(session: Session, *, actor: Actor, user, objection: Objection, text: str) -> Objection:
    """The review found no error: the published result stands."""
    _handler(user, objection)
    text = _decision_text(text, required=True)
    _lock(session, objection)
    if objection.state != UNDER_REVIEW:
        raise ObjectionConflict(N_("只有复核中的异议可以作出复核决定"))
    objection.state = objection.decision = MAINTAINED
    objection.decision_text, objection.decided_at = text, utcnow()
    objection.handled_by_id = user.id
    session.flush()
    _record(session, actor, "maintain", objection, before_state=UNDER_REVIEW)
    return objection


def correction_state(session: Session, objection: Objection) -> str:
    """ "none" (no corrected version yet), "pending" (one is not approved yet) or "approved"."""
    pairs = sections(session, objection)
    changed = [(d, c) for d, c in pairs if c is not None and c.id != d.id]
    if not changed:
        return "none"
    if any(c.state != APPROVED for d, c in changed):
        return "pending"
    return "approved"


def close_corrected(
    session: Session, *, actor: Actor, user, objection: Objection, text: str | None = None
) -> Objection:
    """The review found an error and the corrected result is approved: republish the task."""
    _handler(user, objection)
    text = _decision_text(text, required=False)
    _lock(session, objection)
    if objection.state != UNDER_REVIEW:
        raise ObjectionConflict(N_("只有复核中的异议可以作出复核决定"))
    state = correction_state(session, objection)
    if state == "none":
        raise ObjectionConflict(N_("尚未更正检查结果，请先更正并经科室负责人审核通过"))
    if state == "pending":
        raise ObjectionConflict(N_("更正后的检查结果尚未经科室负责人审核通过，不能作出更正决定"))
    reason = f"{objection.reference} " + (text or N_("异议复核更正"))
    publication = published.republish(
        session, actor=actor, user=user, task=objection.task, reason=reason,
        objection_id=objection.id,
    )  # fmt: skip
    objection.state = objection.decision = CORRECTED
    objection.decision_text, objection.decided_at = text, utcnow()
    objection.handled_by_id = user.id
    objection.republication_id = publication.id
    session.flush()
    _record(
        session,
        actor,
        "correct",
        objection,
        before_state=UNDER_REVIEW,
        publication_id=str(publication.id),
    )
    return objection


def reply(session: Session, *, actor: Actor, user, objection: Objection, text: str) -> Objection:
    """Tell the applicant the outcome; the text is shown on the public status page."""
    _handler(user, objection)
    text = (text or "").strip()
    if not text:
        raise ObjectionError(N_("请填写答复内容"), "reply_text")
    _lock(session, objection)
    if objection.state not in (CORRECTED, MAINTAINED):
        if objection.state in UNDECIDED_STATES:
            raise ObjectionConflict(N_("异议尚未作出复核决定，不能答复"))
        raise ObjectionConflict(N_("该异议已答复"))
    before = objection.state
    objection.state, objection.reply_text, objection.replied_at = REPLIED, text, utcnow()
    objection.handled_by_id = user.id
    session.flush()
    _record(session, actor, "reply", objection, before_state=before)
    return objection
