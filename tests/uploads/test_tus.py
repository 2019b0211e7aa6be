"""tus 1.0 uploads of evidence: resumable, verified at the last byte, refused when they lie."""

from __future__ import annotations

import io
import random
import re
import resource
import uuid

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.exceptions import ClientDisconnected

from server.audit.models import AuditEvent
from server.uploads.views import settings, storage
from sync.models import Media, Upload
from tests.uploads.support import (
    HTML,
    PDF,
    TUS,
    jpeg_with_exif,
    png,
    png_bomb,
    sha256,
)

KEY = re.compile(r"^photo/\d{4}/\d{2}/[0-9a-f]{32}$")


def upload_row(db, location: str) -> Upload | None:
    db.session.expire_all()
    return db.session.get(Upload, uuid.UUID(location.rsplit("/", 1)[1]))


def partial_file(location: str):
    return settings().partial_path(uuid.UUID(location.rsplit("/", 1)[1]))


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_options_announce_version_extensions_and_limits(app):
    response = app.test_client().open("/api/v1/uploads/", method="OPTIONS")
    assert response.status_code == 200
    assert response.headers["Tus-Resumable"] == TUS
    assert response.headers["Tus-Version"] == TUS
    assert response.headers["Tus-Extension"] == "creation,termination"
    assert int(response.headers["Tus-Max-Size"]) == max(app.config["UPLOAD_MAX_BYTES"].values())
    assert response.json["kinds"]["photo"]["types"][0] == "image/jpeg"


def test_a_photo_uploaded_in_chunks_is_verified_stored_as_sent_and_thumbnailed(db, field):
    tus = field()
    data = jpeg_with_exif()
    media_id, record_id = uuid.uuid4(), uuid.uuid4()
    created = tus.create(data, media_id=media_id, record_id=record_id)
    assert created.status_code == 201
    assert created.headers["Tus-Resumable"] == TUS
    location = created.headers["Location"]
    assert location.startswith("/api/v1/uploads/")

    offset = 0
    for start in range(0, len(data), 1000):
        head = tus.head(location)
        assert head.status_code == 200
        assert head.headers["Upload-Offset"] == str(offset)
        assert head.headers["Upload-Length"] == str(len(data))
        assert head.headers["Cache-Control"] == "no-store"
        response = tus.patch(location, offset, data[start : start + 1000])
        assert response.status_code == 204, response.get_data(as_text=True)
        assert response.headers["Tus-Resumable"] == TUS
        offset = int(response.headers["Upload-Offset"])
    assert offset == len(data)
    assert response.headers["Upload-Verified-SHA256"] == sha256(data)

    media = db.session.get(Media, media_id)
    assert (media.kind, media.mime, media.size, media.sha256) == (
        "photo",
        "image/jpeg",
        len(data),
        sha256(data),
    )
    assert media.record_id == record_id and media.verified_at is not None
    assert KEY.match(media.storage_key)
    assert storage().read(media.storage_key) == data  # exactly as received
    thumb = Image.open(io.BytesIO(storage().read(media.thumb_key)))
    preview = Image.open(io.BytesIO(storage().read(media.preview_key)))
    # 800 × 400 with "rotate 90°": upright it is 400 × 800.
    assert thumb.size == (160, 320) and preview.size == (400, 800)
    assert not thumb.getexif() and not preview.getexif()
    assert upload_row(db, location).state == "complete"
    assert not partial_file(location).exists()
    # The thumbnail and preview were made by the background job right after the request.
    assert actions(db)[-3:] == ["upload.create", "media.verify", "media.derive"]
    # The phone may now ask again and learns the file is safe.
    head = tus.head(location)
    assert head.headers["Upload-Offset"] == str(len(data))
    assert head.headers["Upload-Verified-SHA256"] == sha256(data)


class DroppingStream(io.BytesIO):
    """A request body whose connection drops after `keep` bytes."""

    def __init__(self, data: bytes, keep: int) -> None:
        super().__init__(data)
        self.keep = keep

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.keep:
            raise ClientDisconnected()
        if size is None or size < 0:
            size = self.keep - self.tell()
        return super().read(min(size, self.keep - self.tell()))

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_interrupted_at_random_offsets_and_resumed_after_a_restart(db, field, restarted, seed):
    rng = random.Random(seed)
    data = rng.randbytes(50_000)
    data = png((300, 200)) + data  # a real PNG head, then noise: still a PNG to the sniffer
    digest = sha256(data)
    tus = field()
    media_id = uuid.uuid4()
    created = tus.create(data, media_id=media_id, content_type="image/png")
    location = created.headers["Location"]

    def send_some(tus, offset: int) -> int:
        size = rng.randint(1, 9000)
        chunk = data[offset : offset + size]
        if rng.random() < 0.5:
            # The connection drops part-way: nothing of it counts, the next PATCH resumes.
            body = DroppingStream(chunk, rng.randint(0, len(chunk)))
            response = tus.client.patch(
                location,
                input_stream=body,
                headers=tus.headers(
                    **{
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream",
                        "Content-Length": str(len(chunk)),
                    }
                ),
            )
            assert response.status_code == 400
        else:
            response = tus.patch(location, offset, chunk)
            assert response.status_code == 204, response.get_data(as_text=True)
        head = tus.head(location)
        return int(head.headers["Upload-Offset"])

    offset = 0
    while offset < len(data) // 2:
        offset = send_some(tus, offset)
    # The server restarts: a new process on the same database and instance folder.
    with restarted() as app2:
        tus2 = type(tus)(app2.test_client(), tus.token)
        assert int(tus2.head(location).headers["Upload-Offset"]) == offset
        while offset < len(data):
            offset = send_some(tus2, offset)
    media = db.session.get(Media, media_id)
    assert media.sha256 == digest
    assert storage().read(media.storage_key) == data


def test_a_wrong_offset_is_409_with_the_current_offset(field):
    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png").headers["Location"]
    assert tus.patch(location, 0, data[:100]).status_code == 204
    response = tus.patch(location, 50, data[50:150])
    assert response.status_code == 409
    assert response.headers["Upload-Offset"] == "100"
    assert response.headers["Tus-Resumable"] == TUS
    assert tus.patch(location, 0, data[:100]).status_code == 409


def test_a_wrong_hash_is_460_the_partial_is_discarded_and_a_retry_starts_again(db, field):
    tus = field()
    data = png()
    media_id = uuid.uuid4()
    location, response = tus.upload(
        data, media_id=media_id, content_type="image/png", digest=sha256(b"other"), chunk=100
    )
    assert response.status_code == 460
    assert response.json["reason"] == "sha256_mismatch"
    assert "SHA-256" in response.json["message"]
    assert response.headers["Tus-Resumable"] == TUS
    assert not partial_file(location).exists()
    assert upload_row(db, location).state == "failed"
    assert db.session.get(Media, media_id) is None
    assert actions(db)[-1] == "upload.fail"
    assert tus.head(location).status_code == 410
    assert tus.patch(location, 0, data).status_code == 410
    # The phone kept its copy and starts again with the right hash, under the same media id.
    again = tus.create(data, media_id=media_id, content_type="image/png")
    assert again.status_code == 201 and again.headers["Upload-Offset"] == "0"
    assert tus.patch(again.headers["Location"], 0, data).status_code == 204
    assert db.session.get(Media, media_id).sha256 == sha256(data)


def test_more_bytes_than_declared_is_460_size_mismatch(db, field):
    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png", length=len(data) - 10).headers["Location"]
    response = tus.patch(location, 0, data)
    assert response.status_code == 460 and response.json["reason"] == "size_mismatch"
    assert not partial_file(location).exists()
    assert upload_row(db, location).state == "failed"


def test_a_chunked_body_longer_than_the_file_is_460_without_reading_it_all(db, field):
    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png").headers["Location"]
    # No Content-Length (chunked): the server reads at most one byte past the declared end.
    body = io.BytesIO(data + b"x" * 10_000_000)
    response = tus.client.patch(
        location,
        input_stream=body,
        headers=tus.headers(
            **{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        ),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 460 and response.json["reason"] == "size_mismatch"
    assert body.tell() <= len(data) + 64 * 1024


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (png(), "application/pdf", "type_mismatch"),  # a PNG that says it is a PDF
        (PDF, "image/jpeg", "type_mismatch"),
        (HTML, "image/jpeg", "type_unknown"),  # a web page that says it is a photo
    ],
)
def test_a_file_that_lies_about_its_type_is_refused(db, field, data, declared, reason):
    tus = field()
    media_id = uuid.uuid4()
    location, response = tus.upload(data, media_id=media_id, content_type=declared)
    assert response.status_code == 460 and response.json["reason"] == reason
    assert db.session.get(Media, media_id) is None
    assert not partial_file(location).exists()


def test_a_type_not_accepted_is_refused_at_creation(field):
    tus = field()
    response = tus.create(HTML, content_type="text/html")
    assert response.status_code == 415 and response.json["reason"] == "type_not_allowed"


def test_a_file_over_its_kind_limit_is_refused_at_creation(app, field):
    tus = field()
    limit = app.config["UPLOAD_MAX_BYTES"]["photo"]
    response = tus.create(b"x", content_type="image/jpeg", length=limit + 1)
    assert response.status_code == 413
    response = tus.create(b"x", content_type="application/pdf", length=10**15)
    assert response.status_code == 413


def test_a_decompression_bomb_is_refused_without_decoding_it(db, field):
    tus = field()
    bomb = png_bomb()  # a few hundred bytes claiming 10 000 000 000 pixels
    media_id = uuid.uuid4()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    location, response = tus.upload(bomb, media_id=media_id, content_type="image/png")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert response.status_code == 460 and response.json["reason"] == "too_many_pixels"
    assert grown_kib < 100 * 1024
    assert db.session.get(Media, media_id) is None
    assert not partial_file(location).exists()


def test_a_path_like_filename_is_kept_as_metadata_only(app, db, field, tmp_path):
    tus = field()
    data = jpeg_with_exif((40, 30))
    media_id = uuid.uuid4()
    _, response = tus.upload(data, media_id=media_id, filename="../../../etc/passwd")
    assert response.status_code == 204
    media = db.session.get(Media, media_id)
    assert media.filename == "../../../etc/passwd"
    assert KEY.match(media.storage_key)
    root = storage().root
    stored = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert stored == sorted([media.storage_key, media.thumb_key, media.preview_key]), stored
    assert not any("passwd" in p.name for p in tmp_path.rglob("*"))


def test_someone_elses_upload_is_403(db, field):
    owner, other = field(), field()
    data = png()
    media_id = uuid.uuid4()
    location = owner.create(data, media_id=media_id, content_type="image/png").headers["Location"]
    assert other.head(location).status_code == 403
    assert other.patch(location, 0, data).status_code == 403
    assert other.delete(location).status_code == 403
    assert other.create(data, media_id=media_id, content_type="image/png").status_code == 403
    assert upload_row(db, location).offset == 0
    # Also once verified: another user cannot learn of, or claim, the media.
    assert owner.patch(location, 0, data).status_code == 204
    assert other.create(data, media_id=media_id, content_type="image/png").status_code == 403


def test_a_revoked_token_is_401(db, field):
    from server.auth.models import Device
    from server.orm import utcnow

    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png").headers["Location"]
    device = db.session.scalars(select(Device).where(Device.user_id == tus.user.id)).one()
    device.revoked_at = utcnow()
    db.session.commit()
    response = tus.patch(location, 0, data)
    assert response.status_code == 401
    assert response.headers["Tus-Resumable"] == TUS
    assert tus.create(data, content_type="image/png").status_code == 401
    assert upload_row(db, location).offset == 0


def test_a_duplicate_post_returns_the_existing_upload_then_the_media(db, field):
    tus = field()
    data = png()
    media_id = uuid.uuid4()
    first = tus.create(data, media_id=media_id, content_type="image/png")
    location = first.headers["Location"]
    assert tus.patch(location, 0, data[:100]).status_code == 204
    again = tus.create(data, media_id=media_id, content_type="image/png")
    assert again.status_code == 201
    assert again.headers["Location"] == location
    assert again.headers["Upload-Offset"] == "100"
    assert tus.patch(location, 100, data[100:]).status_code == 204
    done = tus.create(data, media_id=media_id, content_type="image/png")
    assert done.status_code == 200
    assert done.json["media_id"] == str(media_id)
    assert done.json["sha256"] == sha256(data) and done.json["verified"] is True
    # The same media id for different bytes is a conflict, never a silent overwrite.
    other = tus.create(png((10, 10)), media_id=media_id, content_type="image/png")
    assert other.status_code == 409
    assert db.session.scalars(select(Upload).where(Upload.media_id == media_id)).one()


def test_termination_discards_the_upload_but_never_verified_evidence(db, field):
    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png").headers["Location"]
    assert tus.patch(location, 0, data[:50]).status_code == 204
    assert partial_file(location).exists()
    response = tus.delete(location)
    assert response.status_code == 204 and response.headers["Tus-Resumable"] == TUS
    assert tus.head(location).status_code == 404
    assert not partial_file(location).exists()
    assert actions(db)[-1] == "upload.terminate"
    location, response = tus.upload(data, content_type="image/png")
    assert response.status_code == 204
    assert tus.delete(location).status_code == 409


def test_stale_uploads_expire_from_the_command_line(app, db, field):
    import datetime as dt

    tus = field()
    data = png()
    stale = tus.create(data, content_type="image/png").headers["Location"]
    fresh = tus.create(data, content_type="image/png").headers["Location"]
    assert tus.patch(stale, 0, data[:50]).status_code == 204
    assert tus.patch(fresh, 0, data[:50]).status_code == 204
    row = upload_row(db, stale)
    row.expires_at = row.expires_at - dt.timedelta(days=30)
    db.session.commit()
    orphan = settings().partial_dir / f"{uuid.uuid4().hex}.part"
    orphan.write_bytes(b"left by a crash")
    import os

    os.utime(orphan, (0, 0))
    result = app.test_cli_runner().invoke(args=["uploads", "expire"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expired=1 orphans=1"
    assert tus.head(stale).status_code == 404
    assert not partial_file(stale).exists() and not orphan.exists()
    assert tus.head(fresh).headers["Upload-Offset"] == "50"
    assert partial_file(fresh).exists()
    assert actions(db)[-1] == "upload.expire"


def test_protocol_errors(field):
    tus = field()
    data = png()
    location = tus.create(data, content_type="image/png").headers["Location"]
    # Missing or wrong Tus-Resumable: 412, with the version the server speaks.
    response = tus.client.head(location, headers={"Authorization": f"Bearer {tus.token}"})
    assert response.status_code == 412 and response.headers["Tus-Version"] == TUS
    response = tus.patch(location, 0, data, **{"Tus-Resumable": "0.2.2"})
    assert response.status_code == 412
    # PATCH must say application/offset+octet-stream.
    response = tus.client.patch(
        location,
        data=data,
        headers=tus.headers(**{"Upload-Offset": "0", "Content-Type": "image/png"}),
    )
    assert response.status_code == 415
    # Upload-Length missing; metadata not base64; no media id; unknown upload.
    response = tus.client.post("/api/v1/uploads/", headers=tus.headers())
    assert response.status_code == 400
    response = tus.client.post(
        "/api/v1/uploads/",
        headers=tus.headers(**{"Upload-Length": "10", "Upload-Metadata": "media_id !!!"}),
    )
    assert response.status_code == 400
    assert tus.create(data, content_type="image/png", media_id=None).status_code == 201
    response = tus.client.post(
        "/api/v1/uploads/",
        headers=tus.headers(**{"Upload-Length": "10", "Upload-Metadata": "sha256 " + "YQ=="}),
    )
    assert response.status_code == 422
    assert tus.head("/api/v1/uploads/" + str(uuid.uuid4())).status_code == 404
    assert tus.head("/api/v1/uploads/not-a-uuid").status_code == 404


def test_uploads_are_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    assert {"options", "post"} <= set(paths["/api/v1/uploads/"])
    assert {"head", "patch", "delete"} <= set(paths["/api/v1/uploads/{upload_id}"])


def test_partial_data_lost_on_the_server_is_460_and_the_phone_starts_again(db, field):
    tus = field()
    data = png()
    media_id = uuid.uuid4()
    location = tus.create(data, media_id=media_id, content_type="image/png").headers["Location"]
    assert tus.patch(location, 0, data[:100]).status_code == 204
    partial_file(location).unlink()  # e.g. a disk replaced between two chunks
    response = tus.patch(location, 100, data[100:])
    assert response.status_code == 460 and response.json["reason"] == "partial_lost"
    again = tus.create(data, media_id=media_id, content_type="image/png")
    assert again.status_code == 201 and again.headers["Upload-Offset"] == "0"
    assert tus.patch(location, 0, data).status_code == 204
    assert db.session.get(Media, media_id).size == len(data)


def test_a_patch_larger_than_the_form_limit_is_accepted(db, field, restarted):
    """MAX_CONTENT_LENGTH guards console forms; a tus PATCH is bounded by the upload's length."""
    data = png((300, 200)) + random.Random(7).randbytes(2 * 1024 * 1024)
    with restarted(MAX_CONTENT_LENGTH=1024 * 1024) as small:
        tus = field(client_app=small)
        created = tus.create(data, media_id=uuid.uuid4(), content_type="image/png")
        assert created.status_code == 201
        response = tus.patch(created.headers["Location"], 0, data)  # one 2 MiB body
        assert response.status_code == 204, response.get_data(as_text=True)
        assert response.headers["Upload-Offset"] == str(len(data))


def test_the_last_patch_uses_the_running_hash_or_reads_the_file_when_it_has_none(
    db, field, monkeypatch
):
    """The SHA-256 is normally the hash kept while the PATCHes arrive; a process that did not
    see them (a restart, another worker) hashes the partial file instead. Both verify."""
    import sync.uploads as tus_module

    reads = []
    whole_file = tus_module._sha256_of
    monkeypatch.setattr(
        tus_module, "_sha256_of", lambda stream: reads.append(1) or whole_file(stream)
    )
    tus = field()
    for forget_midway in (False, True):
        data = png((120, 90)) + random.Random(7).randbytes(30_000)
        media_id = uuid.uuid4()
        location = tus.create(data, media_id=media_id, content_type="image/png").headers["Location"]
        for offset in range(0, len(data), 8000):
            if forget_midway and offset == 16_000:
                tus_module._RUNNING._entries.clear()  # as if the server had restarted
            assert tus.patch(location, offset, data[offset : offset + 8000]).status_code == 204
        assert db.session.get(Media, media_id).sha256 == sha256(data)
        assert storage().read(db.session.get(Media, media_id).storage_key) == data
        assert len(reads) == (1 if forget_midway else 0)


def test_a_patch_whose_commit_failed_leaves_no_hash_that_could_vouch_for_other_bytes(
    db, field, monkeypatch
):
    """A PATCH writes and hashes its bytes, then its transaction is rolled back. The worker that
    served it still holds that running hash. If the phone (or anyone with its token) sends other
    bytes for the same range through another worker, that stale hash must not be taken for the
    file's: the end hashes the file and finds the mismatch."""
    import server.uploads.views as views
    import sync.uploads as tus_module

    data = png((120, 90)) + random.Random(8).randbytes(30_000)
    first, second = data[10_000:20_000], bytes(reversed(data[10_000:20_000]))
    declared = sha256(data)  # the bytes of the attempt that was rolled back
    tus = field()
    media_id = uuid.uuid4()
    location = tus.create(data, media_id=media_id, content_type="image/png", digest=declared)
    location = location.headers["Location"]
    assert tus.patch(location, 0, data[:10_000]).status_code == 204

    real_append = tus_module.append

    def append_then_fail(*args, **kwargs):
        real_append(*args, **kwargs)
        raise tus_module.UploadError(503, "test", "the commit never happens")

    monkeypatch.setattr(views.tus, "append", append_then_fail)
    assert tus.patch(location, 10_000, first).status_code == 503  # rolled back
    monkeypatch.setattr(views.tus, "append", real_append)
    stale = dict(tus_module._RUNNING._entries)  # kept by "the other worker"
    assert stale, "the failed PATCH left its running hash"

    assert tus.patch(location, 10_000, second).status_code == 204
    tus_module._RUNNING._entries.update(stale)
    response = tus.patch(location, 20_000, data[20_000:])
    assert response.status_code == 460
    assert response.json["reason"] == "sha256_mismatch"
    assert db.session.get(Media, media_id) is None


def test_only_the_intermediate_patches_commit_without_waiting_for_the_disk(db, field, monkeypatch):
    """An intermediate PATCH commits just an offset (a lost one costs a resend); the last one
    commits verified evidence and waits for the disk as every other write does."""
    import server.uploads.views as views
    from server import durability

    relaxed = []
    real = durability.relax_this_commit

    def spy(session):
        real(session)
        if session.connection().dialect.name == "postgresql":
            setting = session.connection().exec_driver_sql("SHOW synchronous_commit").scalar()
            relaxed.append(setting)
        else:
            relaxed.append("sqlite: unchanged")

    monkeypatch.setattr(views, "relax_this_commit", spy)
    tus = field()
    data = png((120, 90)) + random.Random(9).randbytes(20_000)
    media_id = uuid.uuid4()
    location = tus.create(data, media_id=media_id, content_type="image/png").headers["Location"]
    for offset in range(0, len(data), 5000):
        assert tus.patch(location, offset, data[offset : offset + 5000]).status_code == 204
    patches = -(-len(data) // 5000)
    assert len(relaxed) == patches - 1  # not the last one
    expected = "off" if db.engine.dialect.name == "postgresql" else "sqlite: unchanged"
    assert set(relaxed) == {expected}
    assert db.session.get(Media, media_id).sha256 == sha256(data)
