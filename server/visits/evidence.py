"""The evidence of one visit record, as the review page shows it, with its integrity re-checked.

Nothing checked at submission is taken on trust: on every page view the record hash is
recomputed from the stored content (`record_hash(record.record)`), the device signature is
verified over the stored hash with the device's registered public key, and each evidence file's
SHA-256 is recomputed from the stored bytes (streamed, 1 MiB at a time) and compared with the
record's manifest and with the media list inside the signed record. Each check stands alone, so
a change to the stored content, the stored hash, a manifest entry or a file's bytes shows as a ✗
on exactly the check it breaks. Files above `VERIFY_CAP` bytes are not re-hashed unless the
reviewer asks (`verify_all`), so a page with an hour of video still opens at once.

Also: the answers by checklist question, notes and findings, the signatures, the witness, the
visit's timeline (phone events, file captures, the record's audit trail), the other versions of
the section and the review comments. No Flask: takes the Session and the Storage; the view
renders. Read only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.auth.models import Device, User
from server.privacy import mask_id_number
from server.tasks.models import ChecklistQuestion, Task
from server.visits.record_models import AWAITING_MEDIA, VisitEvent, VisitRecord
from server.visits.review_models import ReviewComment
from sync.integrity import IntegrityError, record_hash, verify_signature
from sync.models import Media
from sync.storage import Storage, StorageError

VERIFY_CAP = 50 * 1000 * 1000  # "50 MB": bigger files are re-hashed only on request
CHUNK = 1024 * 1024
PNG_DATA_URL = "data:image/png;base64,"
FINDINGS_NOTE = "_findings"  # the field app keeps the findings text among a draft's notes
# What the record's audit trail contributes to the timeline.
RECORD_ACTIONS = (
    "record.create",
    "record.submit",
    "record.complete",
    "record.return",
    "record.approve",
)

# File check outcomes: ok ✓; mismatch / missing ✗; skipped (over the cap) and pending (still
# being uploaded) are neither.
OK, MISMATCH, MISSING, SKIPPED, PENDING = "ok", "mismatch", "missing", "skipped", "pending"


# ---------------------------------------------------------------------------- integrity


@dataclasses.dataclass(frozen=True)
class HashCheck:
    stored: str | None
    computed: str | None
    ok: bool
    error: str | None = None  # msgid: the content has no canonical form


@dataclasses.dataclass(frozen=True)
class SignatureCheck:
    device: Device | None
    signature: str | None
    ok: bool


@dataclasses.dataclass(frozen=True)
class FileCheck:
    media_id: str
    expected: str  # the manifest's SHA-256
    signed: str | None  # the SHA-256 in the signed record's media list (None: not listed)
    media: Media | None
    computed: str | None
    status: str
    listed: dict  # the signed record's entry (kind, mime, size, captured_at) or {}

    @property
    def ok(self) -> bool | None:
        return {OK: True, MISMATCH: False, MISSING: False}.get(self.status)

    @property
    def kind(self) -> str | None:
        return self.media.kind if self.media else self.listed.get("kind")

    @property
    def size(self) -> int | None:
        return self.media.size if self.media else self.listed.get("size")


@dataclasses.dataclass(frozen=True)
class Integrity:
    record: HashCheck
    signature: SignatureCheck
    files: list[FileCheck]

    @property
    def ok(self) -> bool:
        """Every check that ran passed (skipped and pending files are reported separately)."""
        return self.record.ok and self.signature.ok and all(f.ok is not False for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.status == SKIPPED for f in self.files)


def check_record_hash(row: VisitRecord) -> HashCheck:
    if row.record is None:
        return HashCheck(row.record_hash, None, False)
    try:
        computed = record_hash(row.record)
    except IntegrityError as invalid:
        return HashCheck(row.record_hash, None, False, invalid.message)
    return HashCheck(row.record_hash, computed, computed == row.record_hash)


def check_signature(session: Session, row: VisitRecord) -> SignatureCheck:
    device = session.get(Device, row.device_id)
    ok = device is not None and verify_signature(
        device.public_key, row.record_hash, row.device_signature
    )
    return SignatureCheck(device, row.device_signature, ok)


def file_sha256(storage: Storage, key: str) -> str:
    """SHA-256 of a stored object, streamed (a 1 GiB video never sits in memory)."""
    digest = hashlib.sha256()
    stream = storage.open(key)
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    finally:
        stream.close()
    return digest.hexdigest()


def _signed_media(row: VisitRecord) -> dict[str, dict]:
    listed = (row.record or {}).get("media")
    if not isinstance(listed, list):
        return {}
    return {
        str(entry.get("media_id")): entry
        for entry in listed
        if isinstance(entry, dict) and entry.get("media_id")
    }


def check_files(
    session: Session, storage: Storage, row: VisitRecord, *, verify_all: bool = False
) -> list[FileCheck]:
    manifest = [e for e in row.media_manifest or [] if isinstance(e, dict)]
    ids = [_uuid(e.get("media_id")) for e in manifest]
    rows = {
        m.media_id: m
        for m in session.scalars(select(Media).where(Media.media_id.in_([i for i in ids if i])))
    }
    signed = _signed_media(row)
    checks = []
    for entry, key in zip(manifest, ids, strict=True):
        media_id, expected = str(entry.get("media_id")), str(entry.get("sha256"))
        listed = signed.get(media_id, {})
        media = rows.get(key) if key else None
        computed, status = None, MISMATCH
        if media is None:
            # Still uploading (the record waits for it) or, once submitted, gone from the table.
            status = PENDING if row.state == AWAITING_MEDIA else MISSING
        elif media.size > VERIFY_CAP and not verify_all:
            status = SKIPPED
        else:
            try:
                computed = file_sha256(storage, media.storage_key)
            except StorageError:
                status = MISSING
            else:
                agrees = listed.get("sha256", expected) == expected
                status = OK if computed == expected and agrees else MISMATCH
        checks.append(
            FileCheck(media_id, expected, listed.get("sha256"), media, computed, status, listed)
        )
    return checks


def integrity(
    session: Session, storage: Storage, row: VisitRecord, *, verify_all: bool = False
) -> Integrity:
    return Integrity(
        record=check_record_hash(row),
        signature=check_signature(session, row),
        files=check_files(session, storage, row, verify_all=verify_all),
    )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# ---------------------------------------------------------------------------- content


@dataclasses.dataclass(frozen=True)
class Answer:
    number: int
    question_id: str
    question: ChecklistQuestion | None  # None: an answer to no question of the checklist
    value: Any
    note: str | None


def signed_content(row: VisitRecord) -> dict:
    """What was signed; a draft (no signed content yet) shows its working answers."""
    if isinstance(row.record, dict):
        return row.record
    return {"answers": row.answers or {}, "notes": row.notes or {}}


def answers(task: Task | None, row: VisitRecord) -> list[Answer]:
    """The answers in checklist order, then any answer to an id the checklist does not have."""
    content = signed_content(row)
    given = content.get("answers") if isinstance(content.get("answers"), dict) else {}
    notes = content.get("notes") if isinstance(content.get("notes"), dict) else {}
    questions = list(task.checklist.questions) if task and task.checklist else []
    out, seen = [], set()
    for question in questions:
        key = str(question.id)
        seen.add(key)
        out.append(Answer(len(out) + 1, key, question, given.get(key), _text(notes.get(key))))
    for key in sorted(set(given) | set(notes)):
        if key in seen or key == FINDINGS_NOTE:
            continue
        out.append(Answer(len(out) + 1, key, None, given.get(key), _text(notes.get(key))))
    return out


def finished_at(row: VisitRecord) -> dt.datetime | None:
    """When the phone says the party signed (or refused): the signed record's `finished_at`."""
    return _aware(signed_content(row).get("finished_at"))


def findings(row: VisitRecord) -> str:
    content = signed_content(row)
    text = content.get("findings")
    if not text and isinstance(content.get("notes"), dict):
        text = content["notes"].get(FINDINGS_NOTE)
    return _text(text) or ""


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


@dataclasses.dataclass(frozen=True)
class Signing:
    refused: bool
    party_signer: str | None
    party_image: str | None
    refusal: str | None
    witness_name: str | None
    witness_id_masked: str | None
    witness_contact: str | None
    witness_image: str | None


def signing(row: VisitRecord) -> Signing:
    """Who signed (or refused), from the signed record and the signature images beside it.

    The witness's ID number is masked here already: the page never receives it whole.
    """
    sign = signed_content(row).get("sign")
    sign = sign if isinstance(sign, dict) else {}
    images = row.signatures or {}
    witness = sign.get("witness") if isinstance(sign.get("witness"), dict) else {}
    party_image = (images.get("party") or {}).get("image")
    witness_image = (images.get("witness") or {}).get("image")
    refusal = (images.get("refusal") or {}).get("note") or sign.get("note")
    return Signing(
        refused=bool(sign.get("refused")) or bool(images.get("refusal")),
        party_signer=sign.get("signer") or (images.get("party") or {}).get("signer"),
        party_image=_png(party_image),
        refusal=_text(refusal),
        witness_name=_text(witness.get("name")) or (images.get("witness") or {}).get("signer"),
        witness_id_masked=mask_id_number(_text(witness.get("id_number"))) or None,
        witness_contact=_text(witness.get("contact")),
        witness_image=_png(witness_image),
    )


def _png(value: Any) -> str | None:
    """Only a PNG data URL goes into an <img src>."""
    return value if isinstance(value, str) and value.startswith(PNG_DATA_URL) else None


# ---------------------------------------------------------------------------- timeline


@dataclasses.dataclass(frozen=True)
class Moment:
    at: dt.datetime | None
    kind: str  # a VisitEvent kind, "media.captured", "record.finished" or an audit action
    who: str | None = None
    gps: dict | None = None
    detail: str | None = None
    signed: bool = False  # notice.delivered with the party's signature


def _aware(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _gps(value: Any) -> dict | None:
    if isinstance(value, dict) and value.get("lat") is not None and value.get("lng") is not None:
        return value
    return None


def timeline(session: Session, row: VisitRecord, files: list[FileCheck]) -> list[Moment]:
    """The visit's phone events, the record's files captured and its server trail, by time."""
    events = list(session.scalars(select(VisitEvent).where(VisitEvent.visit_id == row.visit_id)))
    people = {e.user_id for e in events} | {f.media.user_id for f in files if f.media}
    people.add(row.user_id)
    stmt = select(User.id, User.display_name).where(User.id.in_(people))
    names = {user_id: name for user_id, name in session.execute(stmt)}
    moments = []
    for event in events:
        payload = event.payload or {}
        moments.append(
            Moment(
                at=_aware(event.at),
                kind=event.kind,
                who=names.get(event.user_id),
                gps=_gps(event.gps),
                detail=_text((payload.get("refusal") or {}).get("note")),
                signed=bool(payload.get("signature")),
            )
        )
    for check in files:
        if check.media is not None and check.media.captured_at is not None:
            moments.append(
                Moment(
                    at=_aware(check.media.captured_at),
                    kind="media.captured",
                    who=names.get(check.media.user_id),
                    gps=_gps(check.media.captured_gps),
                    detail=check.media_id,
                )
            )
    finished = finished_at(row)
    if finished is not None:
        moments.append(Moment(at=finished, kind="record.finished", who=names.get(row.user_id)))
    trail = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "visit_record",
            AuditEvent.object_id == str(row.id),
            AuditEvent.action.in_(RECORD_ACTIONS),
        )
    )
    for event in trail:
        moments.append(Moment(at=_aware(event.at), kind=event.action, who=event.actor_label))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(moments, key=lambda m: m.at or far)


# ---------------------------------------------------------------------------- versions


def versions(session: Session, row: VisitRecord) -> list[VisitRecord]:
    """Every version of the record's section (same visit and task), oldest first."""
    stmt = (
        select(VisitRecord)
        .where(VisitRecord.visit_id == row.visit_id, VisitRecord.task_id == row.task_id)
        .order_by(VisitRecord.version, VisitRecord.created_at)
    )
    return list(session.scalars(stmt))


def comments(session: Session, record_ids) -> list[ReviewComment]:
    stmt = (
        select(ReviewComment)
        .where(ReviewComment.record_id.in_(list(record_ids)))
        .order_by(ReviewComment.created_at)
    )
    return list(session.scalars(stmt))


# ---------------------------------------------------------------------------- media access


def records_with_media(session: Session, media: Media) -> list[VisitRecord]:
    """The records a file belongs to: the one it was uploaded for, and every record whose
    manifest or attachment declarations name it (a correction lists the same files again).

    The manifest and the declarations are JSON; matching the id in their text works on SQLite
    and PostgreSQL alike. A media id is a UUID, so the pattern holds no wildcard.
    """
    pattern = f"%{media.media_id}%"
    conditions = [
        cast(VisitRecord.media_manifest, String).like(pattern),
        cast(VisitRecord.attachments, String).like(pattern),
    ]
    if media.record_id is not None:
        conditions.append(VisitRecord.id == media.record_id)
    return list(session.scalars(select(VisitRecord).where(or_(*conditions))))
