"""Background job of the evidence domain: a photo's thumbnail and preview ("media.derive").

The upload request has verified the bytes and checked the header; here the pixels are decoded
(Pillow, bomb guard on), turned upright, stripped of EXIF and GPS, and the two JPEGs stored
beside the original. Their keys follow from the original's (sync.storage.derived_key), so a
job run twice writes the same two objects, never orphans.
"""

from __future__ import annotations

import io
import uuid

from server.audit.operations import SYSTEM, record
from server.i18n import N_
from server.jobs.registry import Permanent, handler
from sync import derive
from sync.models import Media
from sync.storage import derived_key


@handler("media.derive", label=N_("照片缩略图"))
def derive_media(session, payload: dict) -> None:
    from server.uploads.views import settings, storage  # the app's cached backend

    media = session.get(Media, uuid.UUID(payload["media_id"]))
    if media is None:
        raise Permanent("media not found")
    if media.thumb_key and media.preview_key:
        return  # done by an earlier run whose commit happened
    config, store = settings(), storage()
    # Read whole (a photo is bounded by UPLOAD_MAX_BYTES): Pillow seeks, an S3 body cannot.
    original = io.BytesIO(store.read(media.storage_key))
    try:
        derived = derive.derive(
            original,
            max_pixels=config.max_pixels,
            thumb_px=config.thumb_px,
            preview_px=config.preview_px,
        )
    except derive.ImageRefused as refused:
        # The evidence stays as received; only its preview cannot be made.
        raise Permanent(f"image refused: {refused.reason}") from refused
    thumb_key = derived_key(media.storage_key, "thumb")
    preview_key = derived_key(media.storage_key, "preview")
    store.put(thumb_key, derived.thumb, content_type="image/jpeg")
    store.put(preview_key, derived.preview, content_type="image/jpeg")
    media.thumb_key, media.preview_key = thumb_key, preview_key
    media.width, media.height = derived.width, derived.height
    session.flush()
    record(
        session,
        actor=SYSTEM,
        action="media.derive",
        object_type="media",
        object_id=media.media_id,
        state=media.audit_state(),
    )
