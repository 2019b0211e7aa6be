"""What the field app writes through sync v1 "Push": visit records, visit events, and the
remembered outcome of every mutation (so a retried push gets the very same answer).

All ids of records and events are made on the phone (client UUIDs), so a retry can never create
a second row. A submitted record is immutable: a correction is a new record (`supersedes_id`,
`version` + 1, a reason).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.audit.operations import Actor, record
from server.orm import Base, Timestamps, UUIDPrimaryKey

DRAFT, AWAITING_MEDIA, SUBMITTED = "draft", "awaiting_media", "submitted"
# Sent back by the team lead or the back office with a comment (server/visits/review.py); the
# phone answers with a correction. Further review states come with results.
RETURNED = "returned"
# Accepted by the team lead or the department after reviewing the evidence (review.py).
APPROVED = "approved"
RECORD_STATES = (DRAFT, AWAITING_MEDIA, SUBMITTED, RETURNED, APPROVED)

VISIT_START, CREDENTIAL_SHOWN, NOTICE_DELIVERED = (
    "visit.start",
    "credential.shown",
    "notice.delivered",
)
EVENT_KINDS = (VISIT_START, CREDENTIAL_SHOWN, NOTICE_DELIVERED)

APPLIED, REJECTED = "applied", "rejected"


class VisitRecord(UUIDPrimaryKey, Timestamps, Base):
    """The inspection record of one task section of a visit, as written on the phone."""

    __tablename__ = "visit_records"
    __table_args__ = (Index("ix_visit_records_visit_task", "visit_id", "task_id"),)

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"))
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))  # the section
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    # Few records are ever awaiting media, so the upload hook finds them by this index.
    state: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[dict] = mapped_column(JSON, default=dict)
    # Filled by record.submit, never changed afterwards.
    record: Mapped[dict | None] = mapped_column(JSON)
    record_hash: Mapped[str | None] = mapped_column(String(64))
    device_signature: Mapped[str | None] = mapped_column(String(100))
    signatures: Mapped[dict | None] = mapped_column(JSON)  # party / witness / refusal
    media_manifest: Mapped[list | None] = mapped_column(JSON)  # [{media_id, sha256}]
    # media.attach declarations {media_id: {kind, sha256, size, mime, captured_at, gps}}, kept
    # until the file is verified (then copied onto its Media row).
    attachments: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit_records.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    user = relationship("User")  # loaded on use only (the push never needs it)

    @property
    def is_signed(self) -> bool:
        return self.state != DRAFT

    def audit_state(self) -> dict:
        return {
            "visit_id": self.visit_id,
            "task_id": self.task_id,
            "user_id": self.user_id,
            "device_id": self.device_id,
            "state": self.state,
            "record_hash": self.record_hash,
            "media_manifest": self.media_manifest,
            "submitted_at": self.submitted_at,
            "version": self.version,
            "supersedes_id": self.supersedes_id,
            "correction_reason": self.correction_reason,
        }


class VisitEvent(UUIDPrimaryKey, Timestamps, Base):
    """A moment of a visit recorded on the phone: arrival, credential shown, notice delivered."""

    __tablename__ = "visit_events"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime]
    gps: Mapped[dict | None] = mapped_column(JSON)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # notice signature or refusal
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))

    def audit_state(self) -> dict:
        return {
            "visit_id": self.visit_id,
            "kind": self.kind,
            "at": self.at,
            "gps": self.gps,
            "user_id": self.user_id,
            "device_id": self.device_id,
            # The signature image itself stays in the row; the audit keeps only its presence.
            "signed": bool(self.payload.get("signature")),
            "refusal": self.payload.get("refusal"),
        }


class MutationResult(UUIDPrimaryKey, Timestamps, Base):
    """The outcome of one applied (or rejected) mutation of one device, answered to retries."""

    __tablename__ = "mutation_results"
    __table_args__ = (UniqueConstraint("device_id", "seq"),)

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # applied / rejected
    error: Mapped[dict | None] = mapped_column(JSON)  # {code, message} when rejected


def media_verified(session: Session, media, actor: Actor) -> None:
    """A media file was just verified: fill its captured fields from a pending media.attach and
    promote every record awaiting media whose whole manifest is now on the server.

    Called by sync.uploads when it marks media verified, inside that transaction. Records awaiting
    media are few (only between a submit and its last upload), so they are read by state.
    """
    from sync.uploads import verified_media  # here: sync.uploads imports this module lazily

    key = str(media.media_id)
    waiting = list(
        session.scalars(
            select(VisitRecord)
            .where(VisitRecord.state == AWAITING_MEDIA)
            .order_by(VisitRecord.id)
            .with_for_update()
        )
    )
    # The declaration (capture time, GPS) sits on the record the upload names, or on a record
    # still waiting for this file.
    named = session.get(VisitRecord, media.record_id) if media.record_id else None
    for row in ([named] if named else []) + waiting:
        declared = (row.attachments or {}).get(key)
        if declared and media.captured_at is None and declared["sha256"] == media.sha256:
            fill_captured(media, declared)
    for row in waiting:
        manifest = row.media_manifest or []
        if key not in {entry["media_id"] for entry in manifest}:
            continue
        have = verified_media(session, [uuid.UUID(e["media_id"]) for e in manifest])
        if all(
            (m := have.get(uuid.UUID(e["media_id"]))) is not None and m.sha256 == e["sha256"]
            for e in manifest
        ):
            row.state = SUBMITTED
            session.flush()
            record(
                session,
                actor=actor,
                action="record.complete",
                object_type="visit_record",
                object_id=row.id,
                state=row.audit_state(),
                details={"media_id": key},
            )


def fill_captured(media, declared: dict) -> None:
    """Copy a media.attach declaration's capture time and place onto the verified Media."""
    media.captured_at = dt.datetime.fromisoformat(declared["captured_at"])
    media.captured_gps = declared.get("gps")
