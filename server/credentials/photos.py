"""The credential photo (执法证照片): uploaded by the directory keeper, shown on the phone's
e-credential and on the public check page.

Only JPEG and PNG, recognised from the bytes (sync/sniff.py), at most CREDENTIAL_PHOTO_MAX_BYTES.
The original is stored as received under a server-made key (like evidence); what is ever shown
is a derived copy at most CREDENTIAL_PHOTO_PX wide/high, upright, re-encoded without EXIF (GPS,
camera serial) by sync/derive.py. Operations flush, the request commits.
"""

from __future__ import annotations

import hashlib
import io

from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.directory.models import Inspector
from server.i18n import N_
from server.orm import utcnow
from sync import derive, sniff
from sync.storage import Storage, StorageError, derived_key, new_key

ACCEPTED = ("image/jpeg", "image/png")
VARIANT = "card"  # the derived copy beside the original: <key>.card.jpg
KEY_KIND = "credential-photo"


class PhotoRefused(ValueError):
    """An upload we do not store; the message is a catalog msgid (translate when shown)."""


def shown_key(photo_key: str) -> str:
    """The key of the copy that is shown (the original is kept, never served)."""
    return derived_key(photo_key, VARIANT)


def set_photo(
    session: Session,
    storage: Storage,
    *,
    actor: Actor,
    inspector: Inspector,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    box_px: int,
) -> str:
    """Store a new photo of the inspector and point the record at it; returns its key."""
    if not data:
        raise PhotoRefused(N_("请选择照片文件"))
    if len(data) > max_bytes:
        raise PhotoRefused(N_("照片不能超过 %(mb)s MB"))
    sniffed = sniff.sniff(data[: sniff.HEAD_BYTES])
    if sniffed is None or sniffed[1] not in ACCEPTED:
        raise PhotoRefused(N_("照片只能是 JPEG 或 PNG 图片"))
    try:
        shown = derive.derive(
            io.BytesIO(data), max_pixels=max_pixels, thumb_px=box_px, preview_px=box_px
        )
    except derive.ImageRefused as refused:
        if refused.reason == "too_many_pixels":
            raise PhotoRefused(N_("照片像素过多，请缩小后再上传")) from refused
        raise PhotoRefused(N_("照片文件已损坏或无法识别")) from refused
    key = new_key(KEY_KIND, now=utcnow())
    storage.put(key, data, content_type=sniffed[1])
    storage.put(shown_key(key), shown.preview, content_type="image/jpeg")
    previous = inspector.photo_key
    inspector.photo_key = key
    inspector.updated_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="inspector.photo_set",
        object_type="inspector",
        object_id=inspector.id,
        state={
            "photo_key": key,
            "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": sniffed[1],
            "bytes": len(data),
            "width": shown.width,
            "height": shown.height,
        },
        details={"previous_key": previous},
    )
    # The previous files stay: the audit trail names them (storage is append-only by habit).
    return key


def remove_photo(session: Session, *, actor: Actor, inspector: Inspector) -> bool:
    """Take the photo off the credential (the files stay, the trail names them)."""
    if inspector.photo_key is None:
        return False
    previous = inspector.photo_key
    inspector.photo_key = None
    inspector.updated_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="inspector.photo_remove",
        object_type="inspector",
        object_id=inspector.id,
        state={"photo_key": None},
        details={"previous_key": previous},
    )
    return True


def shown_bytes(storage: Storage, inspector: Inspector) -> bytes | None:
    """The JPEG shown for the inspector, or None without a photo (or a missing file)."""
    if inspector.photo_key is None:
        return None
    try:
        return storage.read(shown_key(inspector.photo_key))
    except (StorageError, FileNotFoundError):
        return None
