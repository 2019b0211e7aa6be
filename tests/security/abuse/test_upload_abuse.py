"""Hostile uploads through the real tus endpoints, and what they leave behind.

tests/uploads/test_tus.py already covers the protocol and the first line of each attack (a PNG
bomb, a PNG/PDF/HTML lying about its type, "../../../etc/passwd" as a file name, a length over
the photo limit, a wrong PATCH Content-Type). Here each attack is varied and, after the answer,
the state is checked as an attacker would probe it: no Media row, nothing in the evidence
store, no partial file, the upload failed with its reason; and for images that are accepted,
derived copies (made by the "media.derive" job after the request) that carry no metadata and
are bounded in size whatever the original carried.
"""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.uploads.views import settings, storage
from sync.models import Media, Upload
from tests.uploads.conftest import field  # noqa: F401 - fixture
from tests.uploads.support import (
    HTML,
    PDF,
    WEBM,
    _chunk,
    jpeg_with_exif,
    png,
    png_bomb,
)

KEY_PREFIX = "photo/"
GPS_WITNESS = (37.0, 30.0, 12.5)  # jpeg_with_exif's latitude, in its EXIF


# ---- hostile files -------------------------------------------------------------------------


def jpeg_bomb(width: int = 65_500, height: int = 65_500) -> bytes:
    """A real little JPEG whose frame header (SOF) is rewritten to claim width × height."""
    data = bytearray(jpeg_with_exif((16, 16)))
    i = 2
    while data[i + 1] not in (0xC0, 0xC1, 0xC2):
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    data[i + 5 : i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def zip_payload() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", HTML)
    return out.getvalue()


def jpeg_with_big_app_segments(megabytes: int = 3) -> bytes:
    """A photo with EXIF GPS and `megabytes` of APP2 segments (each at most 64 KiB)."""
    photo = jpeg_with_exif((400, 300))
    segment = b"\xff\xe2" + struct.pack(">H", 65535) + b"M" * 65533
    return photo[:2] + segment * (megabytes * 16) + photo[2:]


def png_with_text(data: bytes, kind: bytes = b"tEXt") -> bytes:
    """A small PNG with one text chunk (`Comment`) inserted after its header."""
    image = png((64, 48))
    return image[:33] + _chunk(kind, data) + image[33:]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04" + bytes(20)


# ---- what an attack leaves behind ----------------------------------------------------------


def stored_files() -> list[str]:
    root = storage().root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def partial_files() -> list[str]:
    folder = settings().partial_dir
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


def uploads(db) -> list[Upload]:
    db.session.expire_all()
    return list(db.session.scalars(select(Upload)))


def assert_refused_without_a_trace(db, media_id, location, reason: str) -> None:
    """A 460: the upload is failed with its reason and audited; nothing of the file remains."""
    db.session.expire_all()
    assert db.session.get(Media, media_id) is None
    row = db.session.get(Upload, uuid.UUID(location.rsplit("/", 1)[1]))
    assert (row.state, row.failure, row.offset) == ("failed", reason, 0)
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.details["reason"]) == ("upload.fail", reason)
    assert stored_files() == []
    assert partial_files() == []


def assert_no_upload_started(db) -> None:
    assert uploads(db) == []
    assert db.session.scalar(select(func.count()).select_from(Media)) == 0
    assert stored_files() == [] and partial_files() == []


def derived_copies(db, media_id) -> tuple[bytes, bytes]:
    """The thumbnail and preview of an accepted photo, as stored.

    They are made by the "media.derive" background job, which runs in process right after the
    request that committed the upload (no REDIS_URL in tests), so they exist once it returned.
    """
    db.session.expire_all()
    media = db.session.get(Media, media_id)
    assert media.thumb_key and media.preview_key, "derived copies missing after the request"
    assert media.thumb_key.startswith(media.storage_key) and media.thumb_key.endswith(".jpg")
    return storage().read(media.thumb_key), storage().read(media.preview_key)


def assert_clean_and_bounded(data: bytes, box: int, max_bytes: int) -> None:
    """A JPEG with pixels only: no EXIF/GPS, no comments, no foreign payload, bounded size."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert max(image.size) <= box
    assert len(data) <= max_bytes
    assert not image.getexif()
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    for marker in (b"Exif", b"GPS", b"PK\x03\x04", b"<script", b"TestCam", b"%PDF"):
        assert marker not in data, marker
    # No APP segment but JFIF's APP0, no comment: the original's APP1 (EXIF), APP2… are gone.
    assert {m for m in jpeg_markers(data) if 0xE0 <= m <= 0xEF or m == 0xFE} <= {0xE0}


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of the scan."""
    markers, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF and data[i + 1] != 0xDA:
        markers.append(data[i + 1])
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return markers


# ---- decompression bombs and giant pictures -----------------------------------------------


@pytest.mark.parametrize(
    ("bomb", "declared"),
    [
        (jpeg_bomb(), "image/jpeg"),  # 65 500 × 65 500 in an 800-byte JPEG
        (png_bomb(8_001, 8_000), "image/png"),  # just over the 64-megapixel limit, by header
        (png_bomb(1, 2**31 - 1), "image/png"),  # one column, two billion rows
    ],
)
def test_a_bomb_is_460_too_many_pixels_and_leaves_nothing(db, field, bomb, declared):  # noqa: F811
    tus = field()
    media_id = uuid.uuid4()
    location, response = tus.upload(bomb, media_id=media_id, content_type=declared)
    assert response.status_code == 460
    assert response.json["reason"] == "too_many_pixels"
    assert response.json["message"] == "图片像素过多，无法安全处理"
    assert_refused_without_a_trace(db, media_id, location, "too_many_pixels")


def test_real_pixels_over_the_configured_limit_are_refused_and_at_the_limit_accepted(
    app,
    db,
    field,  # noqa: F811
    monkeypatch,
):
    # Pillow's guard is a process-wide setting that each upload sets from the configuration:
    # put it back afterwards, or later tests would inherit this small limit.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)
    app.config["UPLOAD_MAX_PIXELS"] = 250_000  # read when the first upload builds its settings
    tus = field()
    over = png((501, 500))  # real pixels: 250 500
    media_id = uuid.uuid4()
    location, response = tus.upload(over, media_id=media_id, content_type="image/png")
    assert response.status_code == 460 and response.json["reason"] == "too_many_pixels"
    assert_refused_without_a_trace(db, media_id, location, "too_many_pixels")

    at_limit = png((500, 500))
    media_id = uuid.uuid4()
    _, response = tus.upload(at_limit, media_id=media_id, content_type="image/png")
    assert response.status_code == 204, response.get_data(as_text=True)
    media = db.session.get(Media, media_id)
    assert (media.width, media.height) == (500, 500)
    thumb, preview = derived_copies(db, media_id)
    assert_clean_and_bounded(thumb, 320, 64 * 1024)
    assert_clean_and_bounded(preview, 1600, 1024 * 1024)


def test_a_png_whose_text_chunk_inflates_to_megabytes_is_460_undecodable(db, field):  # noqa: F811
    # zTXt: a few kilobytes that inflate to 8 MiB of "comment" (Pillow caps text chunks).
    bomb = png_with_text(b"Comment\x00\x00" + zlib.compress(b"A" * (8 * 1024 * 1024), 9), b"zTXt")
    assert len(bomb) < 20_000
    tus = field()
    media_id = uuid.uuid4()
    location, response = tus.upload(bomb, media_id=media_id, content_type="image/png")
    assert response.status_code == 460 and response.json["reason"] == "undecodable"
    assert_refused_without_a_trace(db, media_id, location, "undecodable")


# ---- polyglots and lying types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (jpeg_with_exif((200, 100)) + zip_payload(), "image/jpeg"),  # JPEG, then a zip
        (png((60, 40)) + HTML, "image/png"),  # PNG, then a web page
        (jpeg_with_exif((200, 100)) + PDF, "image/jpeg"),  # JPEG, then a PDF
    ],
)
def test_a_picture_carrying_a_payload_is_kept_as_sent_but_its_copies_carry_none(
    db,
    field,  # noqa: F811
    data,
    declared,
):
    tus = field()
    media_id = uuid.uuid4()
    _, response = tus.upload(data, media_id=media_id, content_type=declared)
    assert response.status_code == 204, response.get_data(as_text=True)
    media = db.session.get(Media, media_id)
    assert (media.kind, media.mime) == ("photo", declared)
    # Evidence is stored exactly as received (its SHA-256 is what the record signed) …
    assert storage().read(media.storage_key) == data
    # … while what the console shows is re-encoded from pixels alone.
    thumb, preview = derived_copies(db, media_id)
    assert_clean_and_bounded(thumb, 320, 64 * 1024)
    assert_clean_and_bounded(preview, 1600, 1024 * 1024)


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (b"\xff\xd8\xff\xe0" + HTML, "image/jpeg", "undecodable"),  # JPEG magic, then a page
        (b"\x89PNG\r\n\x1a\n" + zip_payload(), "image/png", "undecodable"),
        (HTML, "image/png", "type_unknown"),
        (SVG, "image/png", "type_unknown"),  # script in an image's clothing
        (GIF, "image/png", "type_unknown"),
        (zip_payload(), "application/pdf", "type_unknown"),
        (PDF, "image/png", "type_mismatch"),  # %PDF head declared as a photo
        (jpeg_with_exif((40, 30)), "image/png", "type_mismatch"),
        (png(), "image/jpeg", "type_mismatch"),
        (WEBM, "image/jpeg", "type_mismatch"),  # a video passed off as a photo
        (PDF, "video/mp4", "type_mismatch"),
    ],
)
def test_bytes_that_are_not_what_was_declared_are_460_and_leave_nothing(
    db,
    field,  # noqa: F811
    data,
    declared,
    reason,
):
    tus = field()
    media_id = uuid.uuid4()
    location, response = tus.upload(data, media_id=media_id, content_type=declared)
    assert response.status_code == 460
    assert response.json["reason"] == reason
    assert response.json["message"]  # in Chinese, for the inspector
    assert_refused_without_a_trace(db, media_id, location, reason)


@pytest.mark.parametrize(
    "declared",
    ["image/svg+xml", "image/gif", "text/html", "application/zip", "application/x-msdownload", ""],
)
def test_a_type_never_accepted_is_415_before_any_byte(db, field, declared):  # noqa: F811
    response = field().create(SVG, content_type=declared)
    assert response.status_code == 415
    assert response.json["reason"] == "type_not_allowed"
    assert_no_upload_started(db)


# ---- metadata: huge, and private -----------------------------------------------------------


def test_megabytes_of_app_segments_and_exif_gps_never_reach_the_copies(db, field):  # noqa: F811
    data = jpeg_with_big_app_segments(3)
    assert len(data) > 3 * 1024 * 1024
    tus = field()
    media_id = uuid.uuid4()
    _, response = tus.upload(data, media_id=media_id, chunk=1024 * 1024)
    assert response.status_code == 204, response.get_data(as_text=True)
    media = db.session.get(Media, media_id)
    original = Image.open(io.BytesIO(storage().read(media.storage_key)))
    assert original.getexif().get_ifd(0x8825)[2] == GPS_WITNESS  # the original still has it
    assert (media.width, media.height) == (300, 400)  # upright: EXIF said "rotate 90°"
    thumb, preview = derived_copies(db, media_id)
    assert_clean_and_bounded(thumb, 320, 64 * 1024)
    assert_clean_and_bounded(preview, 1600, 1024 * 1024)
    assert Image.open(io.BytesIO(thumb)).size == (240, 320)


def test_megabytes_of_png_text_never_reach_the_copies(db, field):  # noqa: F811
    data = png_with_text(b"Comment\x00" + b"13800138000 " * 350_000)  # ~4 MiB, a phone number
    tus = field()
    media_id = uuid.uuid4()
    _, response = tus.upload(data, media_id=media_id, content_type="image/png", chunk=2**20)
    assert response.status_code == 204, response.get_data(as_text=True)
    thumb, preview = derived_copies(db, media_id)
    for copy in (thumb, preview):
        assert_clean_and_bounded(copy, 1600, 256 * 1024)
        assert b"13800138000" not in copy and b"Comment" not in copy


# ---- file names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "kept"),
    [
        ("/etc/passwd", "/etc/passwd"),
        ("..\\..\\windows\\win.ini", "..\\..\\windows\\win.ini"),
        ("照片\u202egpj.exe", "照片\u202egpj.exe"),  # right-to-left override: "exe.jpg"
        ("a" * 5000 + ".jpg", "a" * 255),  # kept to the column's 255 characters
        ("x.jpg\r\nX-Injected: 1", "x.jpg\r\nX-Injected: 1"),
    ],
)
def test_a_hostile_file_name_is_metadata_only_and_never_a_path(
    db,
    field,  # noqa: F811
    tmp_path,
    filename,
    kept,
):
    tus = field()
    data = jpeg_with_exif((40, 30))
    media_id = uuid.uuid4()
    _, response = tus.upload(data, media_id=media_id, filename=filename)
    assert response.status_code == 204, response.get_data(as_text=True)
    media = db.session.get(Media, media_id)
    assert media.filename == kept
    assert media.storage_key.startswith(KEY_PREFIX) and "." not in media.storage_key
    assert stored_files() == sorted([media.storage_key, media.thumb_key, media.preview_key])
    names = [p.name for p in tmp_path.rglob("*")]
    assert not any(n in ("passwd", "win.ini") or "gpj" in n or "aaaa" in n for n in names)


def test_a_nul_in_the_file_name_is_refused_or_dropped_never_a_server_error(db, field):  # noqa: F811
    # PostgreSQL text cannot hold U+0000: taken as is it fails the INSERT (a 500) there, while
    # SQLite keeps it; either way not a name to show anyone.
    tus = field()
    data = jpeg_with_exif((40, 30))
    media_id = uuid.uuid4()
    response = tus.create(data, media_id=media_id, filename="a\x00b.jpg")
    assert response.status_code in (201, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert_no_upload_started(db)
        return
    assert tus.patch(response.headers["Location"], 0, data).status_code == 204
    media = db.session.get(Media, media_id)
    assert media.filename is None or "\x00" not in media.filename


# ---- declared lengths ----------------------------------------------------------------------


def test_a_length_over_the_kinds_configured_limit_is_413_at_creation(app, db, field):  # noqa: F811
    app.config["UPLOAD_MAX_BYTES"] = {**app.config["UPLOAD_MAX_BYTES"], "photo": 2000}
    tus = field()
    data = png((30, 20))
    assert len(data) < 2000
    response = tus.create(data, content_type="image/png", length=2001)
    assert response.status_code == 413 and response.json["reason"] == "too_large"
    assert_no_upload_started(db)
    # A PDF may be larger than a photo: the limit is the declared kind's, not the largest.
    response = tus.create(PDF, content_type="application/pdf", length=2001)
    assert response.status_code == 201
    # At the limit exactly a photo is accepted, and verified on its last byte.
    padded = data + b"\x00" * (2000 - len(data))
    media_id = uuid.uuid4()
    _, response = tus.upload(padded, media_id=media_id, content_type="image/png")
    assert response.status_code == 204, response.get_data(as_text=True)
    assert db.session.get(Media, media_id).size == 2000


@pytest.mark.parametrize(
    "length",
    ["-1", "-0", "abc", "1e6", "0x10", "+5", " 12 3", "１２３", "12.0", "9" * 19, "", "٣"],
)
def test_an_upload_length_that_is_not_a_plain_number_is_400(db, field, length):  # noqa: F811
    tus = field()
    response = tus.client.post(
        "/api/v1/uploads/",
        headers=tus.headers(
            **{
                "Upload-Length": length,
                "Upload-Metadata": f"media_id {_b64(uuid.uuid4())},sha256 {_b64('a' * 64)},"
                f"content_type {_b64('image/png')}",
            }
        ),
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["reason"] == "header"
    assert response.json["message"] == "缺少或无效的请求头 Upload-Length"
    assert_no_upload_started(db)


def test_an_upload_length_of_zero_is_422(db, field):  # noqa: F811
    response = field().create(b"", content_type="image/png")
    assert response.status_code == 422 and response.json["reason"] == "empty"
    assert_no_upload_started(db)


def _b64(value) -> str:
    import base64

    return base64.b64encode(str(value).encode()).decode()


# ---- offsets and content types on PATCH ----------------------------------------------------


@pytest.fixture
def half_sent(db, field):  # noqa: F811
    """(tus, location, data): a PNG upload with its first 100 bytes received."""
    tus = field()
    data = png((80, 60))
    location = tus.create(data, content_type="image/png").headers["Location"]
    assert tus.patch(location, 0, data[:100]).status_code == 204
    return tus, location, data


def assert_still_at_100(tus, location) -> None:
    head = tus.head(location)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "100"
    assert settings().partial_path(uuid.UUID(location.rsplit("/", 1)[1])).stat().st_size == 100
    assert stored_files() == []


@pytest.mark.parametrize("offset", ["-1", "abc", "1e2", "0x64", "9" * 19, "", "100x"])
def test_an_upload_offset_that_is_not_a_plain_number_is_400(half_sent, offset):
    tus, location, data = half_sent
    headers = {"Upload-Offset": offset, "Content-Type": "application/offset+octet-stream"}
    response = tus.client.patch(location, data=data[100:], headers=tus.headers(**headers))
    assert response.status_code == 400 and response.json["reason"] == "header"
    assert_still_at_100(tus, location)


@pytest.mark.parametrize("offset", [0, 50, 101, 200, 10**6])
def test_an_upload_offset_other_than_the_current_one_is_409_with_the_current(half_sent, offset):
    tus, location, data = half_sent
    response = tus.patch(location, offset, data[100:])
    assert response.status_code == 409 and response.json["reason"] == "offset"
    assert response.headers["Upload-Offset"] == "100"
    assert_still_at_100(tus, location)


def test_an_empty_patch_at_the_right_offset_changes_nothing(half_sent):
    tus, location, _ = half_sent
    response = tus.patch(location, 100, b"")
    assert response.status_code == 204 and response.headers["Upload-Offset"] == "100"
    assert_still_at_100(tus, location)


def test_a_patch_after_completion_cannot_append_or_rewrite(db, half_sent):
    tus, location, data = half_sent
    assert tus.patch(location, 100, data[100:]).status_code == 204
    stored = stored_files()
    for offset in (0, len(data)):
        response = tus.patch(location, offset, b"MORE")
        assert response.status_code == 409
        assert response.headers["Upload-Offset"] == str(len(data))
    media = db.session.scalars(select(Media)).one()
    assert storage().read(media.storage_key) == data
    assert stored_files() == stored


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/octet-stream",
        "image/png",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/offset+octet-stream-x",
    ],
)
def test_a_patch_without_the_tus_content_type_is_415_and_writes_nothing(half_sent, content_type):
    tus, location, data = half_sent
    headers = tus.headers(**{"Upload-Offset": "100"})
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = tus.client.patch(location, data=data[100:], headers=headers)
    assert response.status_code == 415
    assert response.json["reason"] == "content_type"
    assert_still_at_100(tus, location)
