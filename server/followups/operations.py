"""Writes of follow-ups and transfers. Flush, never commit; audit every write.

Rules:
- every measure of an approved result except 无须后续处置 becomes a follow-up of the task's
  department ("谁监管、谁负责"), once: `open_for_sheet` is idempotent (called when a result sheet
  is approved, and by `flask --app server followups open` for sheets approved before);
- only the back office or the head of that department handles it: log entries, a due date,
  closing on a date (not in the future, not before it was opened); a closed one is final (409);
- a transfer starts as a draft of an open follow-up (documents may be attached), is sent (the
  移交函/移送函 is generated, stored and hashed), received (by the internal recipient
  department, or recorded by the sender for an outside body) and closed with its outcome;
  any other move is refused with 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import SYSTEM, Actor
from server.auth.models import Department
from server.clock import SHANGHAI, local_today
from server.errors import OperationError
from server.followups import access
from server.followups.models import (
    CLOSED,
    HANDOVER,
    NO_FOLLOWUP,
    OPEN,
    REFERRAL_CASE,
    REFERRAL_JUDICIAL,
    T_CLOSED,
    T_DRAFT,
    T_RECEIVED,
    T_SENT,
    FollowUp,
    FollowUpEntry,
    Transfer,
    TransferDocument,
)
from server.i18n import N_
from server.results.models import APPROVED, ResultSheet
from server.visits.models import Visit
from sync import sniff
from sync.storage import Storage, check_key, new_key

# Documents attached to a transfer: recognised from the bytes, never from the name.
DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
# The kind a transfer of a follow-up code is, unless the user picks another.
KIND_OF_CODE = {
    "to_daily": HANDOVER,
    "notify_other": HANDOVER,
    "to_case": REFERRAL_CASE,
    "to_judiciary": REFERRAL_JUDICIAL,
}


class FollowUpError(OperationError):
    """A refused write: 422 (bad input), 403 (not yours) or 409 (not in this state)."""


class FollowUpForbidden(FollowUpError):
    status = 403


class FollowUpConflict(FollowUpError):
    status = 409


def _audit(session, actor, action, obj, object_type, **details) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=obj.id,
        state=obj.audit_state(),
        details=details,
    )


def _lock(session: Session, model, obj) -> None:
    """Lock the row (PostgreSQL; SQLite has one writer) and re-read its state."""
    session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    session.refresh(obj)


def _not_future(day: dt.date, field: str, today: dt.date) -> None:
    if day > today:
        raise FollowUpError(N_("日期不能晚于今天"), field)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def _local_day(moment: dt.datetime | None) -> dt.date:
    if moment is None:
        return local_today()
    return moment.astimezone(SHANGHAI).date()


# ---------------------------------------------------------------- opening


def open_for_sheet(session: Session, actor: Actor, sheet: ResultSheet) -> list[FollowUp]:
    """Open a follow-up for every measure of an approved sheet that needs one; idempotent.

    A measure already open for the same section, item and code (an earlier version of the
    result) keeps its follow-up, which then points at this version. Returns the new ones.
    """
    if sheet.state != APPROVED or not sheet.is_current:
        return []
    visit = session.get(Visit, sheet.visit_id)
    existing = {
        (f.item_id, f.code): f
        for f in session.scalars(
            select(FollowUp).where(
                FollowUp.visit_id == sheet.visit_id, FollowUp.task_id == sheet.task_id
            )
        )
    }
    opened_on = _local_day(sheet.reviewed_at)
    created = []
    for line in sheet.lines:
        for measure in line.followups or []:
            code = measure.get("code")
            if not code or code == NO_FOLLOWUP:
                continue
            known = existing.get((line.item_id, code))
            if known is not None:
                if known.sheet_id != sheet.id:
                    known.sheet_id, known.line_id = sheet.id, line.id
                    session.flush()
                    _audit(
                        session, actor, "followup.repoint", known, "followup", version=sheet.version
                    )
                continue
            closed = measure.get("status") == CLOSED and measure.get("closed_on")
            followup = FollowUp(
                sheet_id=sheet.id,
                line_id=line.id,
                visit_id=sheet.visit_id,
                task_id=sheet.task_id,
                item_id=line.item_id,
                subject_id=visit.subject_id,
                department_id=sheet.task.department_id,
                code=code,
                status=CLOSED if closed else OPEN,
                opened_on=opened_on,
                closed_on=dt.date.fromisoformat(measure["closed_on"]) if closed else None,
            )
            session.add(followup)
            session.flush()
            existing[(line.item_id, code)] = followup
            created.append(followup)
            _audit(
                session,
                actor,
                "followup.open",
                followup,
                "followup",
                task=sheet.task.number,
                version=sheet.version,
            )
    return created


def open_missing(session: Session, actor: Actor) -> int:
    """Open the follow-ups of every current approved sheet (sheets approved before the hook);
    idempotent. Returns how many were opened."""
    stmt = select(ResultSheet).where(
        ResultSheet.is_current.is_(True), ResultSheet.state == APPROVED
    )
    return sum(len(open_for_sheet(session, actor, s)) for s in session.scalars(stmt))


# ---------------------------------------------------------------- handling


def _handled(user, followup: FollowUp) -> None:
    if not access.may_handle(user, followup):
        raise FollowUpForbidden(N_("只有任务所属科室的业务人员或负责人可以办理后续处置"))


def _open(session: Session, followup: FollowUp) -> None:
    _lock(session, FollowUp, followup)
    if followup.status != OPEN:
        raise FollowUpConflict(N_("该后续处置已办结，不能再办理"))


def add_entry(session, *, actor, user, followup, happened_on: dt.date, text: str) -> FollowUpEntry:
    """A line of the handling log (what was done, on which day)."""
    _handled(user, followup)
    text = (text or "").strip()
    if not text:
        raise FollowUpError(N_("请填写处置情况"), "text")
    _not_future(happened_on, "happened_on", local_today())
    _open(session, followup)
    entry = FollowUpEntry(
        followup_id=followup.id, happened_on=happened_on, text=text, user_id=user.id
    )
    session.add(entry)
    session.flush()
    _audit(session, actor, "followup.log", followup, "followup", happened_on=happened_on, text=text)
    return entry


def set_due(session, *, actor, user, followup, due_on: dt.date | None) -> FollowUp:
    """The deadline of the measure (e.g. 责令限期整改); None removes it."""
    _handled(user, followup)
    _open(session, followup)
    if due_on is not None and due_on < followup.opened_on:
        raise FollowUpError(N_("期限不能早于立项日期"), "due_on")
    followup.due_on = due_on
    session.flush()
    _audit(session, actor, "followup.due", followup, "followup")
    return followup


def close(session, *, actor, user, followup, closed_on: dt.date, note: str | None) -> FollowUp:
    """Close the follow-up on a date (办结); final."""
    _handled(user, followup)
    _not_future(closed_on, "closed_on", local_today())
    if closed_on < followup.opened_on:
        raise FollowUpError(N_("办结日期不能早于立项日期"), "closed_on")
    _open(session, followup)
    note = (note or "").strip() or None
    followup.status, followup.closed_on = CLOSED, closed_on
    followup.closing_note, followup.closed_by_id = note, user.id
    session.add(
        FollowUpEntry(
            followup_id=followup.id,
            happened_on=closed_on,
            text=note or "办结",
            user_id=user.id,
        )
    )
    session.flush()
    _audit(session, actor, "followup.close", followup, "followup")
    return followup


# ---------------------------------------------------------------- transfers


def create_transfer(session, *, actor, user, followup, data: dict) -> Transfer:
    """A draft transfer of an open follow-up (TransferArgs output)."""
    _handled(user, followup)
    _open(session, followup)
    recipient = data.get("recipient_department_id")
    if recipient is not None:
        if session.get(Department, recipient) is None:
            raise FollowUpError(N_("接收科室不存在"), "recipient_department_id")
        if recipient == followup.department_id:
            raise FollowUpError(N_("不能移交给本科室"), "recipient_department_id")
    transfer = Transfer(
        followup_id=followup.id,
        department_id=followup.department_id,
        kind=data.get("kind") or KIND_OF_CODE.get(followup.code, HANDOVER),
        recipient_name=data["recipient_name"],
        recipient_department_id=recipient,
        clue_summary=data["clue_summary"],
        status=T_DRAFT,
        created_by_id=user.id,
    )
    session.add(transfer)
    session.flush()
    _audit(session, actor, "transfer.create", transfer, "transfer")
    return transfer


def _sender(user, transfer) -> None:
    if not access.is_sender(user, transfer):
        raise FollowUpForbidden(N_("只有移出科室的业务人员或负责人可以办理"))


def _state(session, transfer, *allowed: str, message: str) -> None:
    _lock(session, Transfer, transfer)
    if transfer.status not in allowed:
        raise FollowUpConflict(message)


def add_document(
    session, storage: Storage, *, actor, user, transfer, filename: str, data: bytes, max_bytes: int
) -> TransferDocument:
    """Attach a PDF/JPEG/PNG (type sniffed from the bytes, at most `max_bytes`) to a draft."""
    _sender(user, transfer)
    if not data:
        raise FollowUpError(N_("请选择文件"), "file")
    if len(data) > max_bytes:
        raise FollowUpError(N_("文件不能超过 %(size)s"), "file", size=_size(max_bytes))
    sniffed = sniff.sniff(data[: sniff.HEAD_BYTES])
    if sniffed is None or sniffed[1] not in DOCUMENT_TYPES:
        raise FollowUpError(N_("只能上传 PDF、JPEG 或 PNG 文件"), "file")
    _state(session, transfer, T_DRAFT, message=N_("已发出的移交不能再添加材料"))
    key = new_key("transfer-document")
    storage.put(key, data, content_type=sniffed[1])
    document = TransferDocument(
        transfer_id=transfer.id,
        filename=(filename or "").strip()[:255] or "file",
        mime=sniffed[1],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=user.id,
    )
    session.add(document)
    session.flush()
    session.refresh(transfer, ["documents"])
    _audit(
        session,
        actor,
        "transfer.document",
        transfer,
        "transfer",
        sha256=document.sha256,
        filename=document.filename,
    )
    return document


def send(session, *, actor, user, transfer, sent_on: dt.date) -> Transfer:
    """draft → sent. The letter (PDF of the transfer as sent) is made by a background job."""
    _sender(user, transfer)
    _not_future(sent_on, "sent_on", local_today())
    _state(session, transfer, T_DRAFT, message=N_("只有草稿状态的移交可以发出"))
    if transfer.followup.status != OPEN:
        raise FollowUpConflict(N_("该后续处置已办结，不能再移交"))
    transfer.status, transfer.sent_on, transfer.sent_by_id = T_SENT, sent_on, user.id
    session.flush()
    _audit(session, actor, "transfer.send", transfer, "transfer")
    from server.jobs.queue import enqueue  # jobs find their handlers through the app

    enqueue(session, "transfer.letter", {"transfer_id": str(transfer.id)})
    return transfer


def store_letter(session, storage: Storage, *, transfer, body: bytes) -> Transfer:
    """Keep the letter of a sent transfer, once (the job's work; flush only)."""
    if transfer.letter_key:
        return transfer
    # One key per transfer: a job that ran twice (a crash before its commit) overwrites, no orphan.
    sent = transfer.sent_on or local_today()
    key = check_key(f"transfer-letter/{sent:%Y}/{sent:%m}/{transfer.id.hex}.pdf")
    storage.put(key, body, content_type="application/pdf")
    transfer.letter_key, transfer.letter_sha256 = key, hashlib.sha256(body).hexdigest()
    session.flush()
    _audit(session, SYSTEM, "transfer.letter", transfer, "transfer")
    return transfer


def may_receive(user, transfer) -> bool:
    """An internal recipient records its own receipt; for an outside body, the sender does."""
    if transfer.recipient_department_id is not None:
        return access.is_recipient(user, transfer)
    return access.is_sender(user, transfer)


def receive(session, *, actor, user, transfer, received_on: dt.date, note: str | None):
    """sent → received."""
    if not may_receive(user, transfer):
        raise FollowUpForbidden(N_("只有接收科室可以签收该移交"))
    _not_future(received_on, "received_on", local_today())
    _state(session, transfer, T_SENT, message=N_("只有已发出的移交可以签收"))
    if received_on < transfer.sent_on:
        raise FollowUpError(N_("签收日期不能早于发出日期"), "received_on")
    transfer.status, transfer.received_on = T_RECEIVED, received_on
    transfer.receipt_note, transfer.received_by_id = (note or "").strip() or None, user.id
    session.flush()
    _audit(session, actor, "transfer.receive", transfer, "transfer")
    return transfer


def close_transfer(session, *, actor, user, transfer, closed_on: dt.date, outcome: str):
    """received → closed with the outcome (结果反馈), by the sender or the recipient."""
    if not (access.is_sender(user, transfer) or access.is_recipient(user, transfer)):
        raise FollowUpForbidden(N_("只有移出或接收科室可以办结该移交"))
    outcome = (outcome or "").strip()
    if not outcome:
        raise FollowUpError(N_("请填写办理结果"), "outcome")
    _not_future(closed_on, "closed_on", local_today())
    _state(session, transfer, T_RECEIVED, message=N_("只有已签收的移交可以办结"))
    if closed_on < transfer.received_on:
        raise FollowUpError(N_("办结日期不能早于签收日期"), "closed_on")
    transfer.status, transfer.closed_on = T_CLOSED, closed_on
    transfer.outcome, transfer.closed_by_id = outcome, user.id
    session.flush()
    _audit(session, actor, "transfer.close", transfer, "transfer")
    return transfer
