"""Two requests for the same upload at once: neither corrupts it, the loser gets 409 or a retry."""

from __future__ import annotations

import fcntl
import uuid

from sqlalchemy import func, select

import sync.uploads
from server.uploads.views import settings
from sync.models import Upload
from tests.uploads.support import png


def test_a_patch_while_another_is_writing_is_409_and_changes_nothing(db, field):
    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png").headers["Location"]
    path = settings().partial_path(uuid.UUID(location.rsplit("/", 1)[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as other_request:
        fcntl.flock(other_request.fileno(), fcntl.LOCK_EX)
        response = tus.patch(location, 0, data)
    assert response.status_code == 409
    assert response.json["reason"] == "busy" and response.headers["Upload-Offset"] == "0"
    assert tus.patch(location, 0, data).status_code == 204


def test_a_post_racing_with_its_own_retry_answers_with_the_first_upload(db, field, monkeypatch):
    tus = field()
    data = png()
    media_id = uuid.uuid4()
    first = tus.create(data, media_id=media_id, content_type="image/png")
    # The retry looked before the first committed, so it saw nothing and inserts too.
    real, calls = sync.uploads._existing, []

    def looked_too_early(*args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(sync.uploads, "_existing", looked_too_early)
    retry = tus.create(data, media_id=media_id, content_type="image/png")
    assert retry.status_code == 201
    assert retry.headers["Location"] == first.headers["Location"]
    count = db.session.scalar(select(func.count()).where(Upload.media_id == media_id))
    assert count == 1
