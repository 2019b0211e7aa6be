"""The credential photo: uploaded by the directory keeper, sniffed, shrunk, stripped, audited,
served to the inspector's phone and sent with the credential in the pull."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.credentials import photos
from server.directory.models import Inspector
from server.uploads.views import storage
from tests.credentials.conftest import jpeg_bytes


@pytest.fixture
def keeper(console):
    return console("back_office", username="office_photo")


def upload(browser, inspector, data: bytes, filename: str = "photo.jpg"):
    return browser.post_form(
        f"/inspectors/{inspector.id}/photo",
        data={"photo": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_the_keeper_uploads_a_jpeg_which_is_shrunk_stripped_and_audited(
    db, keeper, make_inspector, photo_jpeg
):
    inspector = make_inspector()
    response = upload(keeper, inspector, photo_jpeg)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/inspectors/{inspector.id}/edit")

    db.session.expire_all()
    stored = db.session.get(Inspector, inspector.id)
    assert stored.photo_key.startswith("credential-photo/")
    # The original is kept as received; what is shown is a new, small JPEG without EXIF.
    assert storage().read(stored.photo_key) == photo_jpeg
    shown = Image.open(io.BytesIO(storage().read(photos.shown_key(stored.photo_key))))
    assert shown.format == "JPEG" and max(shown.size) == 600 and shown.size == (450, 600)
    assert not shown.getexif() and "exif" not in shown.info

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "inspector.photo_set")
    ).one()
    assert event.object_id == str(inspector.id) and event.actor_label == "user:office_photo"

    page = keeper.get(f"/inspectors/{inspector.id}/edit").get_data(as_text=True)
    assert f"/inspectors/{inspector.id}/photo" in page and "删除照片" in page
    detail = keeper.get(f"/inspectors/{inspector.id}").get_data(as_text=True)
    assert f'src="/inspectors/{inspector.id}/photo"' in detail
    image = keeper.get(f"/inspectors/{inspector.id}/photo")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_a_png_is_accepted_too(db, keeper, make_inspector):
    inspector = make_inspector()
    out = io.BytesIO()
    Image.new("RGBA", (300, 400), (0, 0, 0, 0)).save(out, format="PNG")
    assert upload(keeper, inspector, out.getvalue(), "photo.png").status_code == 302
    db.session.expire_all()
    assert db.session.get(Inspector, inspector.id).photo_key is not None


def test_a_pdf_renamed_jpg_is_refused_in_chinese_and_nothing_is_stored(
    db, keeper, make_inspector, app
):
    inspector = make_inspector()
    response = upload(keeper, inspector, b"%PDF-1.7\n1 0 obj <<>> endobj\n" * 20, "photo.jpg")
    assert response.status_code == 422
    assert "照片只能是 JPEG 或 PNG 图片" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Inspector, inspector.id).photo_key is None
    assert not (Path(app.instance_path) / "evidence" / "credential-photo").exists()


def test_a_photo_over_the_limit_is_refused(db, app, keeper, make_inspector, photo_jpeg):
    # A small limit keeps the upload in memory (Werkzeug spools larger test bodies to files).
    app.config["CREDENTIAL_PHOTO_MAX_BYTES"] = 256 * 1024
    inspector = make_inspector()
    big = jpeg_bytes() + b"\0" * (256 * 1024)  # trailing bytes after the JPEG's end marker
    response = upload(keeper, inspector, big)
    assert response.status_code == 422
    assert "照片不能超过 0.25 MB" in response.get_data(as_text=True)


def test_a_broken_jpeg_is_refused(db, keeper, make_inspector):
    inspector = make_inspector()
    response = upload(keeper, inspector, b"\xff\xd8\xff\xe0" + b"garbage" * 50)
    assert response.status_code == 422
    assert "照片文件已损坏或无法识别" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["inspector", "dept_head", "leader"])
def test_someone_without_directory_rights_gets_403(db, console, make_inspector, photo_jpeg, role):
    inspector = make_inspector()
    browser = console(role, username=f"no_{role}")
    assert upload(browser, inspector, photo_jpeg).status_code == 403
    db.session.expire_all()
    assert db.session.get(Inspector, inspector.id).photo_key is None


def test_the_keeper_removes_the_photo_audited(db, keeper, make_inspector, photo_jpeg):
    inspector = make_inspector()
    upload(keeper, inspector, photo_jpeg)
    response = keeper.post_form(f"/inspectors/{inspector.id}/photo", data={"remove": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Inspector, inspector.id).photo_key is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(inspector.id))
    ).all()
    assert "inspector.photo_remove" in actions


def test_the_phone_gets_its_inspectors_photo_with_private_caching(
    db, keeper, scene, device, pull, photo_jpeg
):
    inspector, user = scene.inspectors[0], scene.users[0]
    token = device(user)
    headers = {"Authorization": f"Bearer {token}"}
    missing = keeper.get("/api/v1/credential/photo", headers=headers)
    assert missing.status_code == 404
    (row,) = pull(token, 0)["changes"]["credential"]["upserts"]
    assert row["photo_url"] is None

    upload(keeper, inspector, photo_jpeg)
    response = keeper.get("/api/v1/credential/photo", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert Image.open(io.BytesIO(response.data)).size == (450, 600)
    # The new photo reaches the phone: the credential row is sent again with its URL.
    (row,) = pull(token, 0)["changes"]["credential"]["upserts"]
    assert row["photo_url"] == "/api/v1/credential/photo"


def test_the_photo_endpoint_needs_a_device_token(client):
    assert client.get("/api/v1/credential/photo").status_code == 401
    bad = client.get("/api/v1/credential/photo", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
