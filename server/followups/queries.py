"""Reads of follow-ups and transfers: lookups, the department's list, the inbox, the letter."""

from __future__ import annotations

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from server.codes.reference import FOLLOWUP, RESULT
from server.followups import access
from server.followups.models import OPEN, FollowUp, Transfer, TransferDocument
from server.results import queries as result_queries
from server.results.models import ResultLine, ResultSheet
from server.results.queries import get_uuid
from server.visits.record_models import VisitRecord
from sync.models import Media


def get_followup(session: Session, followup_id) -> FollowUp | None:
    key = get_uuid(followup_id)
    return session.get(FollowUp, key) if key else None


def get_transfer(session: Session, transfer_id) -> Transfer | None:
    key = get_uuid(transfer_id)
    return session.get(Transfer, key) if key else None


def get_document(session: Session, transfer, document_id) -> TransferDocument | None:
    key = get_uuid(document_id)
    return next((d for d in transfer.documents if d.id == key), None) if key else None


def list_followups(user, *, code=None, status=None) -> Select:
    """The department's follow-ups: open first, the earliest deadline first, newest next."""
    stmt = (
        select(FollowUp)
        .where(access.visible_followups(user))
        .order_by(
            case((FollowUp.status == OPEN, 0), else_=1),
            case((FollowUp.due_on.is_(None), 1), else_=0),
            FollowUp.due_on,
            FollowUp.opened_on.desc(),
            FollowUp.id,
        )
    )
    if code is not None:
        stmt = stmt.where(FollowUp.code == code)
    if status is not None:
        stmt = stmt.where(FollowUp.status == status)
    return stmt


def inbox(session: Session, user, *, status=None) -> list[Transfer]:
    """Transfers sent to the user's department, the newest first."""
    stmt = select(Transfer).where(access.inbox(user))
    if status is not None:
        stmt = stmt.where(Transfer.status == status)
    return list(session.scalars(stmt.order_by(Transfer.sent_on.desc(), Transfer.id)).unique())


def followup_codes(session: Session) -> dict:
    return result_queries.codes(session, FOLLOWUP)


def evidence(session: Session, record_id) -> tuple[VisitRecord | None, list[dict]]:
    """The approved record a result rests on and its files ({kind, filename, sha256})."""
    record = session.get(VisitRecord, record_id) if record_id else None
    if record is None:
        return None, []
    manifest = list(record.media_manifest or [])
    ids = [get_uuid(m.get("media_id")) for m in manifest]
    media = {
        m.media_id: m
        for m in session.scalars(select(Media).where(Media.media_id.in_([i for i in ids if i])))
    }
    files = []
    for entry, key in zip(manifest, ids, strict=True):
        row = media.get(key)
        files.append(
            {
                "kind": row.kind if row else "",
                "filename": (row.filename if row else None) or str(key or ""),
                "sha256": entry.get("sha256") or (row.sha256 if row else ""),
            }
        )
    return record, files


def context(session: Session, followup: FollowUp) -> dict:
    """The facts behind a follow-up: the subject, the task, the result, the evidence."""
    sheet = session.get(ResultSheet, followup.sheet_id)
    line = session.get(ResultLine, followup.line_id)
    record, files = evidence(session, sheet.record_id if sheet else None)
    results = result_queries.codes(session, RESULT)
    followups = followup_codes(session)
    return {
        "followup": followup,
        "subject": followup.subject,
        "task": followup.task,
        "item": followup.item,
        "sheet": sheet,
        "line": line,
        "result_names": [
            results[c].name_zh if c in results else c for c in (line.result_codes if line else [])
        ],
        "measure": followups[followup.code].name_zh
        if followup.code in followups
        else followup.code,
        "record": record,
        "files": files,
    }


def letter(session: Session, transfer: Transfer, config) -> dict:
    """What the 移交函/移送函 says: the facts, the clue, the documents, the sender."""
    return {
        **context(session, transfer.followup),
        "transfer": transfer,
        "documents": transfer.documents,
        "bureau": config["BUREAU_NAME"],
        "contact": config.get("BUREAU_CONTACT_PHONE"),
    }
