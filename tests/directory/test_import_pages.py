"""The upload page: check a file (nothing written), confirm it, see the result; roles."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.directory.models import Subject
from tests.directory import import_support
from tests.directory.import_support import counts, subject_row, uscc, xlsx_bytes

world = import_support.world

PAGE = "/imports"


def _check(client, data: bytes, name: str = "subjects.xlsx", **fields):
    form = {"action": "check", "kind": "subjects", "file": (io.BytesIO(data), name), **fields}
    return client.post_form(PAGE, form, content_type="multipart/form-data")


def _confirm_fields(html: str) -> dict:
    """The hidden fields of the first confirm form on a check page."""
    form = re.search(
        r'<form[^>]*>(?:(?!</form>).)*name="action" value="confirm".*?</form>', html, re.S
    )
    assert form, "no confirm form on the page"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    fields.pop("csrf_token")  # post_form sends the session's own
    return fields


def _stash_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_the_upload_page_offers_templates_and_the_form(world, signed_in):
    page = signed_in("back_office").get(PAGE)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "批量导入两库" in html
    assert "/imports/template/subjects.xlsx" in html
    assert "/imports/template/inspectors.xlsx" in html
    assert 'enctype="multipart/form-data"' in html
    assert "检查文件" in html


def test_checking_a_file_with_errors_shows_each_line_and_writes_nothing(db, world, signed_in):
    client = signed_in("back_office")
    rows = [subject_row(1), subject_row(2, 所属区域="火星街道"), subject_row(3)]
    before = counts(db)

    page = _check(client, xlsx_bytes(rows))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "第 4 行" in html and "所属区域" in html and "未知的区域：火星街道" in html
    assert "本次不能导入" in html
    assert "确认导入" not in html
    assert "跳过错误行，只导入 2 行" in html
    assert counts(db) == before


def test_check_then_confirm_imports_in_one_go_and_shows_the_result(app, db, world, signed_in):
    client = signed_in("back_office")
    before = counts(db)

    page = _check(client, xlsx_bytes([subject_row(1), subject_row(2)]))

    html = page.get_data(as_text=True)
    assert "全部 2 行检查通过" in html and "确认导入" in html
    assert counts(db) == before  # a check writes nothing
    fields = _confirm_fields(html)
    assert len(_stash_files(app)) == 2  # the upload and its sidecar

    done = client.post_form(PAGE, fields)

    assert done.status_code == 302
    assert "/imports/result/" in done.headers["Location"]
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "导入完成" in result and "新增 2 条，更新 0 条，未变 0 条，拒绝 0 条" in result
    assert set(db.session.scalars(select(Subject.uscc))) == {uscc(1), uscc(2)}
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "directory.import")
    ).one()
    assert event.actor_label == "user:u_back_office"
    assert event.details["filename"] == "subjects.xlsx" and event.details["created"] == 2
    assert [p.suffix for p in _stash_files(app)] == [".json"]  # only the result is kept
    recent = client.get(PAGE).get_data(as_text=True)
    assert "subjects.xlsx" in recent and "最近的导入" in recent


def test_a_confirmed_file_cannot_be_imported_twice(db, world, signed_in):
    client = signed_in("back_office")
    fields = _confirm_fields(_check(client, xlsx_bytes([subject_row(1)])).get_data(as_text=True))
    assert client.post_form(PAGE, fields).status_code == 302
    before = counts(db)

    again = client.post_form(PAGE, fields)

    assert again.status_code == 422
    assert "已经导入或已过期" in again.get_data(as_text=True)
    assert counts(db) == before


def test_a_confirm_with_another_digest_is_refused(db, world, signed_in):
    client = signed_in("back_office")
    fields = _confirm_fields(_check(client, xlsx_bytes([subject_row(1)])).get_data(as_text=True))
    before = counts(db)

    refused = client.post_form(PAGE, {**fields, "sha256": "0" * 64})

    assert refused.status_code == 422
    assert counts(db) == before


def test_another_user_cannot_confirm_my_upload(app, db, world, signed_in, make_user):
    client = signed_in("back_office")
    fields = _confirm_fields(_check(client, xlsx_bytes([subject_row(1)])).get_data(as_text=True))
    make_user("office2", "back_office")
    client.post_form("/logout", {})
    client.login("office2")
    client.refresh_csrf(PAGE)
    before = counts(db)

    refused = client.post_form(PAGE, fields)

    assert refused.status_code == 422
    assert counts(db) == before


def test_valid_only_from_the_check_page_imports_the_good_rows(db, world, signed_in):
    client = signed_in("back_office")
    rows = [subject_row(1), subject_row(2, 统一社会信用代码="91371000MA3EXAMP70"), subject_row(3)]
    html = _check(client, xlsx_bytes(rows)).get_data(as_text=True)
    fields = _confirm_fields(html)
    assert fields["valid_only"] == "1"

    done = client.post_form(PAGE, fields)

    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "新增 2 条，更新 0 条，未变 0 条，拒绝 1 条" in result
    assert "未导入的行" in result and "第 4 行" in result
    assert set(db.session.scalars(select(Subject.uscc))) == {uscc(1), uscc(3)}


def test_the_valid_only_box_on_the_upload_form_is_carried_to_the_confirm(db, world, signed_in):
    client = signed_in("admin")
    rows = [subject_row(1), subject_row(2, 所属区域="火星街道")]

    html = _check(client, xlsx_bytes(rows), valid_only="1").get_data(as_text=True)

    assert "有 1 行错误，将被跳过；其余 1 行将导入" in html
    assert _confirm_fields(html)["valid_only"] == "1"


def test_a_png_upload_is_refused_with_422_and_nothing_is_kept(app, db, world, signed_in):
    client = signed_in("back_office")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    before = counts(db)

    page = _check(client, png, "photo.xlsx")

    assert page.status_code == 422
    assert "该文件是PNG 图片，不是电子表格" in page.get_data(as_text=True)
    assert counts(db) == before
    assert _stash_files(app) == []


def test_a_form_without_a_file_is_422(world, signed_in):
    client = signed_in("back_office")

    page = client.post_form(PAGE, {"action": "check", "kind": "subjects"})

    assert page.status_code == 422
    assert "请选择要导入的文件" in page.get_data(as_text=True)


def test_an_unknown_kind_is_422(world, signed_in):
    page = _check(signed_in("back_office"), xlsx_bytes([subject_row(1)]), kind="items")
    assert page.status_code == 422


def test_kept_uploads_older_than_an_hour_are_swept(app, world, signed_in):
    client = signed_in("back_office")
    _check(client, xlsx_bytes([subject_row(1)]))
    old = time.time() - 3601
    for path in _stash_files(app):
        os.utime(path, (old, old))

    client.get(PAGE)

    assert _stash_files(app) == []


def test_someone_elses_result_page_is_404(world, signed_in, make_user):
    client = signed_in("back_office")
    fields = _confirm_fields(_check(client, xlsx_bytes([subject_row(1)])).get_data(as_text=True))
    location = client.post_form(PAGE, fields).headers["Location"]
    make_user("office2", "back_office")
    client.post_form("/logout", {})
    client.login("office2")

    assert client.get(location).status_code == 404


@pytest.mark.parametrize("role", ["inspector", "dept_head", "leader"])
def test_other_roles_cannot_import(db, world, signed_in, role):
    client = signed_in(role)
    before = counts(db)

    assert client.get(PAGE).status_code == 403
    assert _check(client, xlsx_bytes([subject_row(1)])).status_code == 403
    assert counts(db) == before


def test_signed_out_visitors_are_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
