"""The notice and record PDFs: what they say (text extracted with pypdf and compared with the
tables), that every font is embedded, who may open them, and a page rendered to PNG with
pdftoppm for people to look at (SPOTCHECK_SCREENSHOTS=dir keeps it).

Run: .venv/bin/pytest -q tests/documents (DATABASE_URL=… for PostgreSQL).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import select

from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.privacy import mask_id_number
from server.visits.models import Visit, VisitTask
from server.visits.record_models import VisitRecord
from sync.integrity import record_hash
from tests.syncapi.test_push import AT, GPS, Phone, draft
from tests.uploads.support import Tus, png, sha256

WITNESS_ID = "11010519491231002X"
CJK = re.compile(r"[\u4e00-\u9fff]")


def signature_png(text_width: int = 240) -> str:
    """A pen-stroke-like PNG data URL, as the phone's signature pad makes."""
    image = Image.new("RGBA", (text_width, 80), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    pen.line([(10, 60), (50, 15), (80, 55), (120, 20), (160, 60), (220, 25)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def flat(text: str) -> str:
    """Extracted text without the line breaks and spaces the layout put in."""
    return re.sub(r"\s+", "", text)


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def fonts_of(body: bytes) -> list[dict]:
    """Every font of every page: its name and which embedded font file it carries."""
    found = []
    for page in PdfReader(io.BytesIO(body)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            target = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = target["/FontDescriptor"].get_object()
            files = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            found.append({"name": str(font["/BaseFont"]), "files": files})
    return found


def images_of(body: bytes) -> int:
    """Distinct images (WeasyPrint shares one resource dictionary between the pages)."""
    return len({image.name for page in PdfReader(io.BytesIO(body)).pages for image in page.images})


def team(db, visit_id) -> list[tuple[Inspector, bool]]:
    stmt = (
        select(Inspector, DrawAssignment.is_team_lead, DrawAssignment.credential_no)
        .join(DrawAssignment, DrawAssignment.inspector_id == Inspector.id)
        .join(
            VisitTask,
            (VisitTask.draw_id == DrawAssignment.draw_id)
            & (VisitTask.subject_id == DrawAssignment.subject_id),
        )
        .where(VisitTask.visit_id == uuid.UUID(visit_id))
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def deliver_notice(phone: Phone, visit_id: str, **how) -> None:
    args = {"event_id": str(uuid.uuid4()), "visit_id": visit_id, "at": AT, "gps": GPS, **how}
    body = phone.push([phone.next("notice.delivered", args)])
    assert body["results"][0]["status"] == "applied", body


def refused_record(db, client, phone: Phone, visit_id: str, task_id: str, scene):
    """A record the party refused to sign, with a witness and one uploaded photo; submitted."""
    record_id, media_id = uuid.uuid4(), uuid.uuid4()
    photo = png((32, 24))
    question = scene.a.checklist.questions[0]
    item = scene.a.item
    content = {
        "schema": "spotcheck.record.v1",
        "record_id": str(record_id),
        "visit_id": visit_id,
        "task_id": task_id,
        "answers": {str(question.id): "no"},
        "notes": {
            str(question.id): "台账缺2025年12月",
            f"item:{item.current_version_id}": "未建台账",
        },
        "findings": "责令补建台账",
        "started_at": "2026-12-03T09:00:00+08:00",
        "finished_at": "2026-12-03T10:15:00+08:00",
        "gps": GPS,
        "media": [
            {
                "media_id": str(media_id),
                "sha256": sha256(photo),
                "kind": "photo",
                "size": len(photo),
            }
        ],
        "sign": {
            "refused": True,
            "note": "法定代表人拒绝签字",
            "witness": {"name": "赵见证", "id_number": WITNESS_ID, "contact": "13912345678"},
        },
    }
    digest = record_hash(content)
    attach = {
        "media_id": str(media_id),
        "record_id": str(record_id),
        "kind": "photo",
        "sha256": sha256(photo),
        "size": len(photo),
        "mime": "image/png",
        "captured_at": AT,
        "gps": GPS,
    }
    submit = {
        "record_id": str(record_id),
        "visit_id": visit_id,
        "task_id": task_id,
        "record": content,
        "record_hash": digest,
        "device_signature": phone.sign(digest),
        "signatures": {
            "refusal": {"note": "法定代表人拒绝签字"},
            "witness": {"image": signature_png(), "signer": "赵见证"},
        },
        "media": [{"media_id": str(media_id), "sha256": sha256(photo)}],
    }
    body = phone.push(
        [
            phone.next("record.save_draft", draft(record_id, visit_id, task_id)),
            phone.next("media.attach", attach),
            phone.next("record.submit", submit),
        ]
    )
    assert [r["status"] for r in body["results"]] == ["applied"] * 3, body
    _, last = Tus(client, phone.token).upload(
        photo, media_id=media_id, content_type="image/png", filename="a.png"
    )
    assert last.status_code == 204, last.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(VisitRecord, record_id)
    assert row.state == "submitted"
    return row


@pytest.fixture
def screenshots(tmp_path) -> Path:
    target = os.environ.get("SPOTCHECK_SCREENSHOTS")
    path = Path(target) if target else tmp_path / "shots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def render_png(body: bytes, target: Path) -> Path:
    """The first page as PNG at 80 dpi (poppler-utils' pdftoppm)."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: apt-get install poppler-utils"
    source = target.with_suffix(".pdf")
    source.write_bytes(body)
    subprocess.run(  # noqa: S603 - a fixed binary on our own file
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, target],
        check=True,
        timeout=60,
    )
    return target.with_suffix(".png")


def assert_embedded(body: bytes) -> None:
    fonts = fonts_of(body)
    assert fonts
    assert all(f["files"] for f in fonts), fonts
    # Subsets (ABCDEF+Name), and the Chinese text is set in a CJK font.
    assert all(re.match(r"/[A-Z]{6}\+", f["name"]) for f in fonts), fonts
    assert any("CJK" in f["name"] for f in fonts), fonts


# ---------------------------------------------------------------- the notice


def test_the_notice_lists_the_visit_and_carries_the_receipt_signature(
    db, client, field, scene, signed_in_as, app, screenshots
):
    phone, visit_id, task_id, _ = field
    deliver_notice(phone, visit_id, signature={"image": signature_png(), "signer": "法人0"})
    browser = signed_in_as(scene.a.head.username)

    response = browser.get(f"/visits/{visit_id}/notice.pdf")

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline; filename*=UTF-8''")
    assert "%E6%8A%BD%E6%9F%A5%E5%91%8A%E7%9F%A5%E4%B9%A6" in disposition  # 抽查告知书
    body = response.data
    text = flat(pdf_text(body))
    visit = db.session.get(Visit, uuid.UUID(visit_id))
    task = visit.tasks[0].task
    version = task.items[0].item_version
    for expected in (
        "抽查告知书",
        visit.subject.name,
        visit.uscc,
        task.number,
        version.name,
        version.content,
        flat(version.legal_basis),
        "2026年12月1日至2026年12月31日",
        "实地核查",
        "申请其回避",
        "行政复议",
        "向社会公示",
        app.config["BUREAU_NAME"],
        app.config["BUREAU_CONTACT_PHONE"],
        flat(app.config["BUREAU_ADDRESS"]),
        "签收人：法人0",
        "2026年12月3日",
    ):
        assert flat(expected) in text, expected
    for inspector, _lead, credential_no in team(db, visit_id):
        assert inspector.name in text and credential_no in text
    assert_embedded(body)
    shot = render_png(body, screenshots / "document-notice")
    assert shot.stat().st_size > 10_000
    assert images_of(body) == 1  # the receipt signature


def test_a_refused_notice_shows_the_note_and_an_undelivered_one_a_blank_receipt(
    db, field, scene, signed_in_as
):
    phone, visit_id, _, _ = field
    browser = signed_in_as(scene.a.head.username)
    blank = flat(pdf_text(browser.get(f"/visits/{visit_id}/notice.pdf").data))
    assert "签收人（签字或盖章）" in blank

    deliver_notice(phone, visit_id, refusal={"note": "负责人不在，店员拒收"})
    body = browser.get(f"/visits/{visit_id}/notice.pdf").data
    text = flat(pdf_text(body))
    assert "当事人拒绝签收" in text and "负责人不在，店员拒收" in text
    assert images_of(body) == 0


# ---------------------------------------------------------------- the record


def test_the_record_shows_answers_evidence_witness_masked_and_the_signed_hash(
    db, client, field, scene, signed_in_as, screenshots
):
    phone, visit_id, task_id, _ = field
    row = refused_record(db, client, phone, visit_id, task_id, scene)
    browser = signed_in_as(scene.a.head.username)

    response = browser.get(f"/visits/{visit_id}/records/{row.id}/record.pdf")

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline; filename*=UTF-8''")
    body = response.data
    text = flat(pdf_text(body))
    visit = db.session.get(Visit, uuid.UUID(visit_id))
    subject = visit.subject
    task = visit.tasks[0].task
    for expected in (
        "抽查检查记录表",
        task.name,
        task.number,
        subject.name,
        subject.uscc,
        subject.address,
        subject.legal_rep,
        subject.contact_name,
        "是否建立台账？否",  # question, then the answer in the next column
        "台账缺2025年12月",
        "检查发现：未建台账",
        "责令补建台账",
        "实地核查",
        "2026-12-0309:00:00",  # started, Asia/Shanghai
        "2026-12-0310:15:00",
        "北纬31.230000，东经121.470000",
        "照片",
        row.media_manifest[0]["sha256"],
        "法定代表人拒绝签字",
        "赵见证",
        mask_id_number(WITNESS_ID),
        "139****5678",
        "检查结果（由业务科室录入）",
        row.record_hash,
        row.device_signature,
        "第1版",
    ):
        assert flat(expected) in text, expected
    assert WITNESS_ID not in text
    for inspector, _, credential_no in team(db, visit_id):
        assert inspector.name in text and credential_no in text
    assert_embedded(body)
    shot = render_png(body, screenshots / "document-record")
    assert shot.stat().st_size > 10_000
    assert images_of(body) == 1  # the witness signature


def test_the_extracted_chinese_is_the_chinese_that_was_written(db, field, scene, signed_in_as):
    """No glyph is missing: every CJK character of the document comes back out of the PDF."""
    _, visit_id, _, _ = field
    body = signed_in_as(scene.a.head.username).get(f"/visits/{visit_id}/notice.pdf").data
    text = pdf_text(body)
    assert "\ufffd" not in text and "□" not in text
    assert len(CJK.findall(text)) > 300
    assert "对抽查检查结果有异议的" in flat(text)


# ---------------------------------------------------------------- who may open them


def test_only_those_who_may_view_the_visit_get_its_documents(
    db, client, field, scene, signed_in_as, make_user, make_department
):
    phone, visit_id, task_id, _ = field
    row = refused_record(db, client, phone, visit_id, task_id, scene)
    notice = f"/visits/{visit_id}/notice.pdf"
    record = f"/visits/{visit_id}/records/{row.id}/record.pdf"

    # Signed out: the login page, no PDF.
    assert client.get(notice).status_code in (302, 401)
    # Another department's head and back office: 403.
    for username in (scene.b.head.username, scene.b.office.username):
        browser = signed_in_as(username)
        assert browser.get(notice).status_code == 403
        assert browser.get(record).status_code == 403
    # An inspector of another department, on no team of this visit: 403.
    other = make_department("综合执法科", "ZHZF")
    make_user("stranger", "inspector", department=other)
    browser = signed_in_as("stranger")
    assert browser.get(notice).status_code == 403
    assert browser.get(record).status_code == 403
    # The team's own inspector and the leader may.
    assert signed_in_as(phone.user.username).get(record).status_code == 200
    assert signed_in_as(scene.leader.username).get(notice).status_code == 200
    # A record id of another visit, or nonsense: 404.
    head = signed_in_as(scene.a.head.username)
    other_visit = db.session.scalars(
        select(Visit).where(Visit.id != uuid.UUID(visit_id)).limit(1)
    ).first()
    assert head.get(f"/visits/{other_visit.id}/records/{row.id}/record.pdf").status_code == 404
    assert head.get(f"/visits/{visit_id}/records/nonsense/record.pdf").status_code == 404
    assert head.get("/visits/nonsense/notice.pdf").status_code == 404


def test_the_visit_page_links_its_documents(db, client, field, scene, signed_in_as):
    phone, visit_id, task_id, _ = field
    row = refused_record(db, client, phone, visit_id, task_id, scene)
    page = signed_in_as(scene.a.head.username).get(f"/visits/{visit_id}").get_data(as_text=True)
    assert f"/visits/{visit_id}/notice.pdf" in page
    assert f"/visits/{visit_id}/records/{row.id}/record.pdf" in page
