"""Resumable evidence uploads (tus 1.0 core + creation + termination), without Flask.

The web layer parses headers and maps `UploadError.status` to a response; everything else is
here. Writes only flush: the caller commits. Two outcomes need the caller's attention:

- `UploadFailed` (460): the failure (state "failed", audit event) is flushed and must be
  committed although the answer is an error; then the partial file is discarded.
- `append` returning a finished upload: commit, then discard the partial file.

The SHA-256 is checked at the end, before anything is stored. Normally it is the running hash
of the bytes as they were written, kept in this process between the PATCHes of one upload
(`_RunningDigests`; a phone's PATCHes come one after another on one connection, so to one
worker). The running hash is only used for the exact committed state it was made for (offset
and the stamp each committed PATCH writes); after a server restart, on another worker, or
after a PATCH whose commit failed, the end is one streaming pass over the partial file instead.
Either way nothing but the partial file is needed to resume.

A photo's header is checked here (a decompression bomb or a non-image is refused with 460);
its thumbnail and preview are made afterwards by a background job ("media.derive").
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from server.audit.operations import Actor, record
from server.i18n import N_
from server.orm import utcnow
from sync import derive, sniff
from sync.models import Media, Upload
from sync.storage import Storage, upload_key

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = ("creation", "termination")
READ_BUFFER = 1024 * 1024  # per read of a request body: the memory a PATCH costs
MIB = 1024 * 1024

DEFAULT_MAX_BYTES = {
    "photo": 30 * MIB,
    "audio": 200 * MIB,
    "video": 1024 * MIB,
    "document": 50 * MIB,
}
DEFAULT_ALLOWED_TYPES = {
    "photo": ["image/jpeg", "image/png", "image/heic", "image/heif"],
    "audio": ["audio/webm", "audio/ogg", "audio/mp4"],
    "video": ["video/webm", "video/mp4", "video/quicktime"],
    "document": ["application/pdf"],
}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_METADATA_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Settings:
    partial_dir: Path
    max_bytes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_BYTES))
    allowed_types: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {k: tuple(v) for k, v in DEFAULT_ALLOWED_TYPES.items()}
    )
    max_pixels: int = derive.DEFAULT_MAX_PIXELS
    thumb_px: int = derive.THUMB_PX
    preview_px: int = derive.PREVIEW_PX
    expire_after: dt.timedelta = dt.timedelta(days=7)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str | os.PathLike) -> Settings:
        partial = config.get("UPLOAD_PARTIAL_DIR") or Path(instance_path) / "uploads"
        return cls(
            partial_dir=Path(partial),
            max_bytes={k: int(v) for k, v in config["UPLOAD_MAX_BYTES"].items()},
            allowed_types={
                k: tuple(sniff.normalise(t) for t in v)
                for k, v in config["UPLOAD_ALLOWED_TYPES"].items()
            },
            max_pixels=int(config["UPLOAD_MAX_PIXELS"]),
            thumb_px=int(config["UPLOAD_THUMB_PX"]),
            preview_px=int(config["UPLOAD_PREVIEW_PX"]),
            expire_after=dt.timedelta(hours=float(config["UPLOAD_EXPIRE_HOURS"])),
        )

    @property
    def max_size(self) -> int:
        """Tus-Max-Size: the largest file of any kind."""
        return max(self.max_bytes.values())

    def partial_path(self, upload_id: uuid.UUID) -> Path:
        return self.partial_dir / f"{uuid.UUID(str(upload_id)).hex}.part"


class UploadError(Exception):
    """A refused request: HTTP `status`, a machine `reason`, a Chinese `message` (N_-marked)."""

    def __init__(self, status: int, reason: str, message: str, *, offset: int | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.message = message
        self.offset = offset


class UploadFailed(UploadError):
    """460: the finished file does not match what was declared; the upload is now "failed"."""

    def __init__(self, upload: Upload, reason: str, message: str):
        super().__init__(460, reason, message, offset=0)
        self.upload = upload


FAILURE_MESSAGES = {
    "size_mismatch": N_("收到的字节数与声明的文件大小不符，请重新上传"),
    "sha256_mismatch": N_("文件校验值（SHA-256）不符，请重新上传"),
    "type_unknown": N_("无法识别文件类型，仅接受 JPEG、PNG、HEIC、WebM、Ogg、MP4 与 PDF"),
    "type_mismatch": N_("文件内容与声明的类型不符"),
    "type_not_allowed": N_("不接受该类型的文件"),
    "too_large": N_("文件超过该类证据的大小上限"),
    "too_many_pixels": N_("图片像素过多，无法安全处理"),
    "undecodable": N_("图片已损坏，无法读取"),
    "partial_lost": N_("服务器上的已传数据丢失，请重新上传"),
}


# ---- headers -----------------------------------------------------------------------------


def parse_metadata(header: str | None) -> dict[str, str]:
    """`Upload-Metadata: key base64,key2 base64` → {key: text}; UploadError(400) if malformed."""
    result: dict[str, str] = {}
    if not header or not header.strip():
        return result
    if len(header) > 8192:
        raise UploadError(400, "metadata", N_("Upload-Metadata 过长"))
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not _METADATA_KEY.match(parts[0]) or parts[0] in result:
            raise UploadError(400, "metadata", N_("Upload-Metadata 格式不正确"))
        try:
            value = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
            result[parts[0]] = value.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as bad:
            raise UploadError(400, "metadata", N_("Upload-Metadata 的值不是有效的 Base64")) from bad
    return result


HEADER_MESSAGES = {
    "Upload-Length": N_("缺少或无效的请求头 Upload-Length"),
    "Upload-Offset": N_("缺少或无效的请求头 Upload-Offset"),
}
METADATA_MESSAGES = {
    "media_id_missing": N_("缺少元数据 media_id"),
    "media_id_invalid": N_("元数据 media_id 不是有效的 UUID"),
    "record_id_missing": N_("缺少元数据 record_id"),
    "record_id_invalid": N_("元数据 record_id 不是有效的 UUID"),
}


def parse_int_header(value: str | None, name: str) -> int:
    """A non-negative integer header (Upload-Length, Upload-Offset); 400 otherwise."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise UploadError(400, "header", HEADER_MESSAGES[name])
    return int(text)


def _uuid(value: str | None, field_name: str, *, required: bool) -> uuid.UUID | None:
    if not value:
        if required:
            reason = f"{field_name}_missing"
            raise UploadError(422, reason, METADATA_MESSAGES[reason])
        return None
    try:
        return uuid.UUID(value)
    except ValueError as bad:
        reason = f"{field_name}_invalid"
        raise UploadError(422, reason, METADATA_MESSAGES[reason]) from bad


# ---- creation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """POST's outcome: a new (or resumed) upload, or the media a finished one produced."""

    upload: Upload | None  # None only for media that arrived without an upload
    media: Media | None = None
    new: bool = True


def create(
    session: Session,
    *,
    user_id: uuid.UUID,
    device_id: uuid.UUID,
    actor: Actor,
    length: int,
    metadata: Mapping[str, str],
    settings: Settings,
    now: dt.datetime | None = None,
) -> Created:
    """Start an upload, or answer a retry of the same media id (free for the client)."""
    now = now or utcnow()
    media_id = _uuid(metadata.get("media_id"), "media_id", required=True)
    record_id = _uuid(metadata.get("record_id"), "record_id", required=False)
    sha256 = (metadata.get("sha256") or "").strip().lower()
    if not _SHA256.match(sha256):
        raise UploadError(422, "sha256_invalid", N_("元数据 sha256 应为 64 位十六进制"))
    declared = sniff.normalise(metadata.get("content_type"))
    mime = sniff.canonical(declared)
    kind = sniff.kind_of(mime) if mime else None
    if kind is None or mime not in settings.allowed_types.get(kind, ()):
        raise UploadError(415, "type_not_allowed", FAILURE_MESSAGES["type_not_allowed"])
    if length < 1:
        raise UploadError(422, "empty", N_("文件为空"))
    if length > settings.max_bytes.get(kind, 0):
        raise UploadError(413, "too_large", FAILURE_MESSAGES["too_large"])
    # Metadata only, never a path; U+0000 dropped (PostgreSQL text cannot hold it).
    filename = (metadata.get("filename") or "").replace("\x00", "")[:255] or None

    existing = _existing(session, media_id, user_id=user_id, sha256=sha256, length=length)
    if existing is not None and (existing.upload is None or existing.upload.state != "failed"):
        return existing
    if existing is not None:
        # A failed upload starts again from zero under the same id (its data was discarded).
        upload, restarted = existing.upload, True
    else:
        upload, restarted = Upload(id=uuid.uuid4(), media_id=media_id, user_id=user_id), False
    upload.device_id = device_id
    upload.length = length
    upload.offset = 0
    upload.sha256 = sha256
    upload.content_type = declared
    upload.record_id = record_id
    upload.filename = filename
    upload.state = "receiving"
    upload.failure = None
    upload.expires_at = now + settings.expire_after
    if not restarted:
        try:
            with session.begin_nested():
                session.add(upload)
                session.flush()
        except IntegrityError:
            # The same POST retried while the first was still running: answer as a retry.
            # (The savepoint's rollback has already taken the pending row out of the session.)
            existing = _existing(session, media_id, user_id=user_id, sha256=sha256, length=length)
            if existing is None:
                raise
            return existing
    session.flush()
    record(
        session,
        actor=actor,
        action="upload.create",
        object_type="upload",
        object_id=upload.id,
        state=upload.audit_state(),
        details={"restarted": restarted},
    )
    return Created(upload)


def _existing(
    session: Session, media_id: uuid.UUID, *, user_id: uuid.UUID, sha256: str, length: int
) -> Created | None:
    """What a retried POST gets: the upload in progress, or the media it already produced."""
    upload = session.scalars(
        select(Upload).where(Upload.media_id == media_id).with_for_update()
    ).first()
    media = session.get(Media, media_id)
    if upload is None and media is None:
        return None
    owner = media.user_id if media is not None else upload.user_id
    _check_owner(owner, user_id)
    same = (
        (media.sha256, media.size) == (sha256, length)
        if media is not None
        else (upload.sha256, upload.length) == (sha256, length)
    )
    # A failed upload may start again with other bytes; anything else keeps its content.
    if not same and (upload is None or upload.state != "failed"):
        raise UploadError(409, "media_id_taken", N_("该媒体编号已用于另一个文件"))
    return Created(upload, media, new=False)


def _check_owner(owner_id: uuid.UUID, user_id: uuid.UUID) -> None:
    if owner_id != user_id:
        raise UploadError(403, "forbidden", N_("这不是您的上传"))


def get_upload(session: Session, upload_id: str, *, user_id: uuid.UUID) -> Upload:
    """The caller's upload; 404 if unknown (or expired), 403 if someone else's."""
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        key = None
    upload = session.get(Upload, key) if key else None
    if upload is None:
        raise UploadError(404, "not_found", N_("找不到该上传（可能已过期），请重新开始"))
    _check_owner(upload.user_id, user_id)
    return upload


# ---- appending ---------------------------------------------------------------------------


@contextlib.contextmanager
def _locked_partial(path: Path, offset: int) -> Iterator[BinaryIO]:
    """The partial file, opened for writing and locked against a concurrent PATCH."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    stream = os.fdopen(fd, "r+b")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as busy:
            if busy.errno in {errno.EAGAIN, errno.EACCES}:
                message = N_("该文件正在另一请求中上传，请稍后重试")
                raise UploadError(409, "busy", message, offset=offset) from busy
            raise
        yield stream
    finally:
        stream.close()  # closing releases the lock


def append(
    session: Session,
    upload: Upload,
    *,
    offset: int,
    body: BinaryIO,
    content_length: int | None,
    actor: Actor,
    settings: Settings,
    storage: Storage,
    now: dt.datetime | None = None,
) -> Upload:
    """Append the body at `offset`; on the last byte verify, store and derive (see module)."""
    now = now or utcnow()
    _check_receiving(upload)
    if offset != upload.offset:
        raise _offset_conflict(upload)
    path = settings.partial_path(upload.id)
    with _locked_partial(path, upload.offset) as partial:
        # Under the lock, re-read: another request may have appended meanwhile. (The few
        # columns that change; the whole row again only if one did.)
        now_state = session.execute(
            select(Upload.offset, Upload.state, Upload.expires_at)
            .where(Upload.id == upload.id)
            .with_for_update()
        ).one()
        if tuple(now_state) != (upload.offset, upload.state, upload.expires_at):
            session.refresh(upload)
        _check_receiving(upload)
        if offset != upload.offset:
            raise _offset_conflict(upload)
        remaining = upload.length - upload.offset
        if content_length is not None and content_length > remaining:
            _fail(session, upload, "size_mismatch", actor)
        if os.fstat(partial.fileno()).st_size < upload.offset:
            _fail(session, upload, "partial_lost", actor)
        # Bytes past the committed offset are from a request that never committed: drop them.
        partial.truncate(upload.offset)
        partial.seek(upload.offset)
        if upload.offset == 0:
            digest = hashlib.sha256()
        else:
            digest = _RUNNING.take(upload.id, upload.offset, upload.expires_at)
        written = _copy_bounded(body, partial, remaining, digest)
        if written > remaining:
            _fail(session, upload, "size_mismatch", actor)
        # No fsync per chunk: if a power cut loses bytes the database counted, the partial
        # file comes back short ("partial_lost") or its hash fails at the end; either way 460
        # and the phone, which still has the file, sends it again. Nothing wrong is stored.
        partial.flush()
        offset, stamp = upload.offset + written, now + settings.expire_after
        if offset < upload.length:
            # The common PATCH: two columns, one UPDATE, no unit of work (an upload of 50 MiB
            # is 50 of these).
            session.execute(
                update(Upload)
                .where(Upload.id == upload.id)
                .values(offset=offset, expires_at=stamp),
                execution_options={"synchronize_session": False},
            )
            set_committed_value(upload, "offset", offset)
            set_committed_value(upload, "expires_at", stamp)
        else:
            upload.offset, upload.expires_at = offset, stamp
        if upload.offset == upload.length:
            partial.seek(0)
            sha256 = digest.hexdigest() if digest is not None else None
            _finish(
                session, upload, partial, actor=actor, settings=settings, storage=storage,
                sha256=sha256,
            )  # fmt: skip
        elif digest is not None:
            _RUNNING.keep(upload.id, upload.offset, upload.expires_at, digest)
        session.flush()
    return upload


def _check_receiving(upload: Upload) -> None:
    if upload.state == "failed":
        raise UploadError(
            410, upload.failure or "failed", FAILURE_MESSAGES.get(upload.failure or "", "")
        )
    if upload.state == "complete":
        raise _offset_conflict(upload)


def _offset_conflict(upload: Upload) -> UploadError:
    return UploadError(
        409, "offset", N_("上传位置不一致，请先查询当前位置再继续"), offset=upload.offset
    )


def _copy_bounded(source: BinaryIO, target: BinaryIO, limit: int, digest=None) -> int:
    """Copy at most `limit` + 1 bytes (one more reveals a body longer than the file); what is
    written is also fed to `digest` when given."""
    copied = 0
    while copied <= limit:
        chunk = source.read(min(READ_BUFFER, limit + 1 - copied))
        if not chunk:
            break
        if copied + len(chunk) > limit:
            return copied + len(chunk)  # too long: nothing past the limit is written
        target.write(chunk)
        if digest is not None:
            digest.update(chunk)
        copied += len(chunk)
    return copied


class _RunningDigests:
    """SHA-256 so far of the uploads this process is receiving, by upload id.

    An entry is valid only for the committed state it was made for: the offset and the
    `expires_at` stamp its PATCH wrote. A PATCH whose commit failed, one taken by another
    worker, or a restart leaves no matching entry, and the end hashes the partial file.
    """

    def __init__(self, size: int = 256):
        self.size = size
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def take(self, upload_id: uuid.UUID, offset: int, stamp) -> Any | None:
        with self._lock:
            entry = self._entries.pop(upload_id, None)
        if entry is None or entry[0] != offset or entry[1] != stamp:
            return None
        return entry[2]

    def keep(self, upload_id: uuid.UUID, offset: int, stamp, digest) -> None:
        with self._lock:
            self._entries[upload_id] = (offset, stamp, digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_RUNNING = _RunningDigests()


def _fail(session: Session, upload: Upload, reason: str, actor: Actor) -> None:
    upload.state = "failed"
    upload.failure = reason
    upload.offset = 0
    session.flush()
    record(
        session,
        actor=actor,
        action="upload.fail",
        object_type="upload",
        object_id=upload.id,
        state=upload.audit_state(),
        details={"reason": reason},
    )
    raise UploadFailed(upload, reason, FAILURE_MESSAGES[reason])


def _sha256_of(stream: BinaryIO) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(MIB):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _finish(
    session: Session,
    upload: Upload,
    partial: BinaryIO,
    *,
    actor: Actor,
    settings: Settings,
    storage: Storage,
    sha256: str | None = None,
) -> None:
    """Verify the whole file, then store it, its derived copies and the Media row.

    `sha256`: the running hash of the bytes written (None: hash the partial file now)."""
    head = partial.read(sniff.HEAD_BYTES)
    sniffed = sniff.sniff(head, upload.content_type)
    if sniffed is None:
        _fail(session, upload, "type_unknown", actor)
    kind, mime = sniffed
    if not sniff.agrees(upload.content_type, mime):
        _fail(session, upload, "type_mismatch", actor)
    if mime not in settings.allowed_types.get(kind, ()):
        _fail(session, upload, "type_not_allowed", actor)
    if upload.length > settings.max_bytes.get(kind, 0):
        _fail(session, upload, "too_large", actor)
    if (sha256 or _sha256_of(partial)) != upload.sha256:
        _fail(session, upload, "sha256_mismatch", actor)

    size = None
    if mime in derive.DERIVABLE:
        # Only the header here (bombs and non-images refused now, with 460); the thumbnail and
        # preview are made by a background job (server/uploads/jobs.py) after the commit.
        try:
            size = derive.inspect(partial, max_pixels=settings.max_pixels)
        except derive.ImageRefused as refused:
            _fail(session, upload, refused.reason, actor)
        partial.seek(0)

    key = upload_key(kind, upload.id, created=upload.created_at)
    # Locally a rename of the partial file: if it fails, the partial stays for the retried PATCH.
    storage.put_file(key, settings.partial_path(upload.id), content_type=mime)

    now = utcnow()
    media = Media(
        media_id=upload.media_id,
        user_id=upload.user_id,
        device_id=upload.device_id,
        record_id=upload.record_id,
        kind=kind,
        mime=mime,
        size=upload.length,
        sha256=upload.sha256,
        filename=upload.filename,
        storage_key=key,
        width=size[0] if size else None,
        height=size[1] if size else None,
        verified_at=now,
    )
    session.add(media)
    upload.state = "complete"
    upload.completed_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="media.verify",
        object_type="media",
        object_id=media.media_id,
        state=media.audit_state(),
        details={"upload_id": str(upload.id)},
    )
    # --- sync v1 push hook: records awaiting this file may now be complete -----------------
    # (Imported here: record_models in turn reads verified_media from this module.)
    from server.visits.record_models import media_verified

    media_verified(session, media, actor)
    # --- end of push hook ---------------------------------------------------------------
    if size is not None:
        from server.jobs.queue import enqueue  # server side; sync/ itself has no Flask

        enqueue(session, "media.derive", {"media_id": str(media.media_id)})


def discard_partial(settings: Settings, upload_id: uuid.UUID) -> None:
    """Remove an upload's partial file (call after the commit that made it useless)."""
    settings.partial_path(upload_id).unlink(missing_ok=True)


# ---- termination and expiry --------------------------------------------------------------


def terminate(session: Session, upload: Upload, *, actor: Actor) -> None:
    """The client abandons an unfinished upload. Verified evidence is never deleted this way."""
    if upload.state == "complete":
        raise UploadError(409, "complete", N_("已完成校验的文件不能删除"))
    record(
        session,
        actor=actor,
        action="upload.terminate",
        object_type="upload",
        object_id=upload.id,
        state=upload.audit_state(),
        details={"offset": upload.offset},
    )
    session.delete(upload)
    session.flush()


def expire(
    session: Session, *, actor: Actor, settings: Settings, now: dt.datetime | None = None
) -> list[uuid.UUID]:
    """Delete unfinished uploads past their expiry (receiving or failed); returns their ids.

    The caller commits, then calls `sweep_partials` to remove their files (and any orphan).
    """
    now = now or utcnow()
    stale = session.scalars(
        select(Upload)
        .where(Upload.state.in_(("receiving", "failed")), Upload.expires_at < now)
        .order_by(Upload.expires_at)
        .with_for_update()
    ).all()
    for upload in stale:
        record(
            session,
            actor=actor,
            action="upload.expire",
            object_type="upload",
            object_id=upload.id,
            state=upload.audit_state(),
            details={"offset": upload.offset, "expires_at": upload.expires_at},
        )
        session.delete(upload)
    session.flush()
    return [upload.id for upload in stale]


def sweep_partials(
    session: Session, settings: Settings, *, grace: dt.timedelta = dt.timedelta(hours=1)
) -> int:
    """Remove partial files of no upload still receiving (orphans of a crash); returns how many.

    Only files untouched for `grace`: a PATCH racing with the sweep never loses its file.
    """
    if not settings.partial_dir.is_dir():
        return 0
    live = {
        upload_id.hex
        for upload_id in session.scalars(select(Upload.id).where(Upload.state == "receiving"))
    }
    cutoff = (utcnow() - grace).timestamp()
    removed = 0
    for path in settings.partial_dir.glob("*.part"):
        with contextlib.suppress(FileNotFoundError):
            if path.stem not in live and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


def verified_media(session: Session, media_ids: list[uuid.UUID]) -> dict[uuid.UUID, Media]:
    """The verified media among `media_ids` (for records awaiting their evidence)."""
    if not media_ids:
        return {}
    rows = session.scalars(select(Media).where(Media.media_id.in_(media_ids)))
    return {media.media_id: media for media in rows}
