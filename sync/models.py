"""Evidence uploads (tus) and the verified media they produce."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.orm import Base, Timestamps, UUIDPrimaryKey

UPLOAD_STATES = ("receiving", "complete", "failed")


class Upload(UUIDPrimaryKey, Timestamps, Base):
    """One resumable upload of one media file, named by the client's media id.

    The bytes received so far sit in a partial file under the instance folder named by this
    row's id (never by anything the client sent), so an upload survives a server restart.
    `offset` is the truth: a partial file longer than it (a crash between the write and the
    commit) is cut back to it before the next append.
    """

    __tablename__ = "uploads"

    media_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), index=True)
    length: Mapped[int] = mapped_column(BigInteger)
    # "offset" is an SQL keyword; the column gets a plain name.
    offset: Mapped[int] = mapped_column("received", BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[uuid.UUID | None]
    filename: Mapped[str | None] = mapped_column(String(255))  # metadata only, never a path
    state: Mapped[str] = mapped_column(String(20), default="receiving")
    failure: Mapped[str | None] = mapped_column(String(40))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    completed_at: Mapped[dt.datetime | None]

    def audit_state(self) -> dict:
        return {
            "media_id": self.media_id,
            "user_id": self.user_id,
            "device_id": self.device_id,
            "length": self.length,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "record_id": self.record_id,
            "filename": self.filename,
            "state": self.state,
            "failure": self.failure,
        }


class Media(Timestamps, Base):
    """A verified evidence file: its bytes hash to `sha256` and are stored under `storage_key`."""

    __tablename__ = "media"

    media_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # made by the phone
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    record_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # photo, audio, video, document
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    thumb_key: Mapped[str | None] = mapped_column(String(512))
    preview_key: Mapped[str | None] = mapped_column(String(512))
    width: Mapped[int | None]
    height: Mapped[int | None]
    verified_at: Mapped[dt.datetime]
    # Filled by the push mutation media.attach (captured_at, GPS) when it arrives.
    captured_at: Mapped[dt.datetime | None]
    captured_gps: Mapped[dict | None] = mapped_column(JSON)

    def audit_state(self) -> dict:
        return {
            "user_id": self.user_id,
            "record_id": self.record_id,
            "kind": self.kind,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
            "storage_key": self.storage_key,
            "thumb_key": self.thumb_key,
            "preview_key": self.preview_key,
            "verified_at": self.verified_at,
        }

    def as_json(self) -> dict:
        return {
            "media_id": str(self.media_id),
            "record_id": str(self.record_id) if self.record_id else None,
            "kind": self.kind,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
            "verified": True,
            "verified_at": self.verified_at.isoformat(),
            "has_thumbnail": self.thumb_key is not None,
        }
