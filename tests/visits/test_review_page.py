"""The evidence review page (/visits/<v>/records/<r>/review), approval, and /media/<id>/<variant>.

Records arrive through the real push path (signed by a phone's own P-256 key) with their files
through a real tus upload; tampering is done behind the app's back, straight in the database or
the storage, and must show as ✗ on exactly the check it breaks.

Run: .venv/bin/pytest -n0 -q tests/visits/test_review_page.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select, update

from server.audit.models import AuditEvent
from server.tasks.models import Task
from server.visits.models import Visit
from server.visits.record_models import APPROVED, SUBMITTED, VisitRecord
from sync.integrity import record_hash
from sync.models import Media
from sync.storage import storage_from_config
from tests.conftest import ConsoleClient
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401 - fixtures of that
from tests.syncapi.conftest import scene as scene  # noqa: F401 - folder, not this one's
from tests.syncapi.test_push import AT, GPS, SIGNATURE_PNG, Phone, draft, start
from tests.syncapi.test_push import field as field  # noqa: F401 - the fixture, reused
from tests.syncapi.test_review import team_of
from tests.uploads.support import OGG, Tus, png, sha256

WITNESS_ID = "11010519491231002X"


def content(record_id, visit_id, task_id, question_id, media) -> dict:
    """A signed record as the field app builds it: answers by question id, a refusal with a
    witness, and the media list with each file's SHA-256."""
    return {
        "schema": "spotcheck.record.v1",
        "record_id": str(record_id),
        "visit_id": visit_id,
        "task_id": task_id,
        "version": 1,
        "answers": {question_id: "no"},
        "notes": {question_id: "台账缺少十一月"},
        "findings": "未按规定建立购卡登记台账",
        "media": [
            {"media_id": str(m), "sha256": sha256(data), "kind": kind, "mime": mime}
            for m, data, kind, mime in media
        ],
        "sign": {
            "refused": True,
            "note": "法人拒绝签字",
            "witness": {"name": "赵见证", "id_number": WITNESS_ID, "contact": "13800001111"},
        },
        "finished_at": AT,
    }


def submit_with_media(db, client, phone, visit_id, task_id, question_id, supersedes=None):
    """record.save_draft, media.attach ×2, record.submit, then both files by tus."""
    record_id = uuid.uuid4()
    photo, audio = png((300, 200)), OGG
    media = [
        (uuid.uuid4(), photo, "photo", "image/png"),
        (uuid.uuid4(), audio, "audio", "audio/ogg"),
    ]
    body = content(record_id, visit_id, task_id, question_id, media)
    if supersedes is not None:
        body["version"] = 2
        body["supersedes_id"] = str(supersedes)
    hash_hex = record_hash(body)
    submit = {
        "record_id": str(record_id),
        "visit_id": visit_id,
        "task_id": task_id,
        "record": body,
        "record_hash": hash_hex,
        "device_signature": phone.sign(hash_hex),
        "signatures": {
            "refusal": {"note": "法人拒绝签字"},
            "witness": {"image": SIGNATURE_PNG, "signer": "赵见证"},
        },
        "media": [{"media_id": str(m), "sha256": sha256(d)} for m, d, _, _ in media],
    }
    if supersedes is not None:
        submit |= {"supersedes_id": str(supersedes), "correction_reason": "补拍照片"}
    mutations = [
        phone.next("visit.start", start(visit_id)),
        phone.next("record.save_draft", draft(record_id, visit_id, task_id)),
    ]
    for media_id, data, kind, mime in media:
        attach = {
            "media_id": str(media_id),
            "record_id": str(record_id),
            "kind": kind,
            "sha256": sha256(data),
            "size": len(data),
            "mime": mime,
            "captured_at": AT,
            "gps": GPS,
        }
        mutations.append(phone.next("media.attach", attach))
    mutations.append(phone.next("record.submit", submit))
    result = phone.push(mutations)
    assert [r["status"] for r in result["results"]] == ["applied"] * len(mutations), result
    for media_id, data, _, mime in media:
        _, last = Tus(client, phone.token).upload(
            data, media_id=media_id, content_type=mime, filename="x", record_id=record_id
        )
        assert last.status_code == 204, last.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(VisitRecord, record_id)
    assert row.state == SUBMITTED
    return row, media


class Setting:
    """A submitted record with a photo and a recording, and who is who around it."""

    def __init__(self, db, app, field, scene, make_user):
        phone, visit_id, task_id, inspector = field
        team = team_of(db, visit_id, task_id)
        user_of = {p.id: u for p, u in zip(scene.inspectors, scene.users, strict=True)}
        lead = next(p for p, is_lead in team if is_lead)
        member = next(p for p, is_lead in team if not is_lead)
        self.author = (
            phone if inspector.id == member.id else Phone(db, phone.client, user_of[member.id])
        )
        self.lead_user, self.member_user = user_of[lead.id], user_of[member.id]
        team_ids = {p.id for p, _ in team}
        self.outsider_user = next(
            u for p, u in zip(scene.inspectors, scene.users, strict=True) if p.id not in team_ids
        )
        self.admin = make_user("admin1", "admin")
        self.scene, self.app, self.db = scene, app, db
        self.visit_id, self.task_id = visit_id, task_id
        self.question = scene.a.checklist.questions[0]
        self.row, self.media = submit_with_media(
            db, phone.client, self.author, visit_id, task_id, str(self.question.id)
        )

    def browser(self, user) -> ConsoleClient:
        browser = ConsoleClient(self.app.test_client())
        assert browser.login(user.username).status_code == 302
        return browser

    def path(self, row=None, action="review") -> str:
        return f"/visits/{self.visit_id}/records/{(row or self.row).id}/{action}"


def setting(db, app, field, scene, make_user) -> Setting:
    return Setting(db, app, field, scene, make_user)


def checks(html: str) -> dict[str, str]:
    """{check id: "ok" | "fail" | "none"} of the integrity panel."""
    out = {}
    for block in re.finditer(r'id="(check-record|check-signature|check-file-[0-9a-f-]+)"', html):
        mark = re.search(r'data-check="(\w+)"', html[block.end() :])
        out[block.group(1)] = mark.group(1)
    return out


# ---------------------------------------------------------------- the page


def test_an_intact_record_shows_its_values_and_every_check_passes(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    page = s.browser(s.lead_user).get(s.path())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    ids = [str(m) for m, _, _, _ in s.media]
    assert checks(html) == {
        "check-record": "ok",
        "check-signature": "ok",
        **{f"check-file-{i}": "ok" for i in ids},
    }
    # The values themselves: the recomputed hash, each file's SHA-256, the device.
    assert html.count(s.row.record_hash) >= 2 and "测试手机" in html
    for _, data, _, _ in s.media:
        assert html.count(sha256(data)) >= 2
    # Header: subject, task number, version, state, author, times (Asia/Shanghai).
    task = db.session.get(Task, s.row.task_id)
    visit = db.session.get(Visit, uuid.UUID(s.visit_id))
    assert task.number and task.number in html and visit.subject.name in html
    assert "第 1 版" in html and "已提交" in html and s.member_user.display_name in html
    assert "2026-12-03 09:30:00" in html  # finished_at, 09:30+08:00 shown in Shanghai time
    # Answers by question text, yes/no/na in words; notes; findings.
    assert "是否建立台账？" in html and "<strong>否</strong>" in html
    assert "台账缺少十一月" in html and "未按规定建立购卡登记台账" in html
    # Files: thumbnail → preview, an audio player; the refusal, the witness, the timeline.
    photo, audio = ids
    assert f'src="/media/{photo}/thumb"' in html and f'href="/media/{photo}/preview"' in html
    assert f'<audio controls preload="none" src="/media/{audio}/original"' in html
    assert "法人拒绝签字" in html and "赵见证" in html and "13800001111" in html
    assert SIGNATURE_PNG in html
    assert "到达现场，开始检查" in html and "31.23,121.47 ±8.0 m" in html
    assert "签名提交检查记录" in html  # the record's audit trail
    # The actions are there for the lead.
    assert "审核通过" in html and "退回补正" in html


def test_the_witness_id_number_is_masked(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    html = s.browser(s.lead_user).get(s.path()).get_data(as_text=True)
    assert "110105********002X" in html and WITNESS_ID not in html


def test_a_changed_record_content_fails_only_the_record_hash(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    tampered = dict(s.row.record) | {"findings": "未发现问题"}
    db.session.execute(
        update(VisitRecord).where(VisitRecord.id == s.row.id).values(record=tampered)
    )
    db.session.commit()
    lead = s.browser(s.lead_user)
    html = lead.get(s.path()).get_data(as_text=True)
    marks = checks(html)
    assert marks.pop("check-record") == "fail" and set(marks.values()) == {"ok"}
    assert record_hash(tampered) in html and s.row.record_hash in html
    # Such a record cannot be approved.
    refused = lead.post_form(s.path(action="approve"), {})
    assert refused.status_code == 409
    db.session.expire_all()
    assert db.session.get(VisitRecord, s.row.id).state == SUBMITTED


def test_a_changed_file_fails_only_that_file(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    photo_id = s.media[0][0]
    media = db.session.get(Media, photo_id)
    storage_from_config(app.config, app.instance_path).put(media.storage_key, png((300, 201)))
    lead = s.browser(s.lead_user)
    html = lead.get(s.path()).get_data(as_text=True)
    marks = checks(html)
    assert marks.pop(f"check-file-{photo_id}") == "fail" and set(marks.values()) == {"ok"}
    assert sha256(png((300, 201))) in html
    refused = lead.post_form(s.path(action="approve"), {})
    assert refused.status_code == 409 and "不能审核通过" in refused.get_data(as_text=True)


def test_a_wrong_signature_fails_only_the_signature(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    other = s.author.sign(record_hash({"another": "record"}))
    db.session.execute(
        update(VisitRecord).where(VisitRecord.id == s.row.id).values(device_signature=other)
    )
    db.session.commit()
    marks = checks(s.browser(s.lead_user).get(s.path()).get_data(as_text=True))
    assert marks.pop("check-signature") == "fail" and set(marks.values()) == {"ok"}


# ---------------------------------------------------------------- approval


def test_the_lead_approves_once_with_a_comment_and_a_second_approval_is_409(
    db, app, field, scene, make_user
):
    s = setting(db, app, field, scene, make_user)
    lead = s.browser(s.lead_user)
    done = lead.post_form(s.path(action="approve"), {"comment": "证据齐全"})
    assert done.status_code == 302 and done.headers["Location"].endswith(s.path())
    db.session.expire_all()
    assert db.session.get(VisitRecord, s.row.id).state == APPROVED
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "record.approve")
    ).one()
    assert event.object_id == str(s.row.id) and event.details["comment"] == "证据齐全"
    html = lead.get(s.path()).get_data(as_text=True)
    assert "已审核通过" in html and "证据齐全" in html and 'action="/visits/' not in html
    again = s.browser(s.scene.a.office).post_form(s.path(action="approve"), {})
    assert again.status_code == 409
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "record.approve")
    ).all() == [event]


def test_a_superseded_record_cannot_be_approved(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    newer, _ = submit_with_media(
        db, s.author.client, s.author, s.visit_id, s.task_id, str(s.question.id), s.row.id
    )
    head = s.browser(s.scene.a.head)
    html = head.get(s.path()).get_data(as_text=True)
    assert "该记录已有更正版本" in html and f"/records/{newer.id}/review" in html
    assert head.post_form(s.path(action="approve"), {}).status_code == 409
    assert head.post_form(s.path(newer, "approve"), {}).status_code == 302


def test_the_page_sends_back_with_a_required_comment(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    office = s.browser(s.scene.a.office)
    empty = office.post_form(s.path(action="send-back"), {"comment": " "})
    assert empty.status_code == 422 and "请写明退回的原因" in empty.get_data(as_text=True)
    done = office.post_form(s.path(action="send-back"), {"comment": "照片不清晰"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitRecord, s.row.id).state == "returned"


def test_who_may_see_the_page_and_who_may_approve(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    approve = s.path(action="approve")
    # Another department's head sees nothing of the visit.
    other_head = s.browser(s.scene.b.head)
    assert other_head.get(s.path()).status_code == 403
    assert other_head.post_form(approve, {}).status_code == 403
    # A team member who is not the lead, and the admin, may look but not decide.
    for user in (s.member_user, s.admin):
        browser = s.browser(user)
        page = browser.get(s.path())
        assert page.status_code == 200 and "审核通过" not in page.get_data(as_text=True)
        assert browser.post_form(approve, {}).status_code == 403
    db.session.expire_all()
    assert db.session.get(VisitRecord, s.row.id).state == SUBMITTED
    # A record of another visit under this visit's address is 404.
    lead = s.browser(s.lead_user)
    assert lead.get(f"/visits/{uuid.uuid4()}/records/{s.row.id}/review").status_code == 404
    assert lead.get(f"/visits/{s.visit_id}/records/{uuid.uuid4()}/review").status_code == 404


def test_the_visit_page_links_to_the_review(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    html = s.browser(s.scene.a.head).get(f"/visits/{s.visit_id}").get_data(as_text=True)
    assert f'href="{s.path()}"' in html and "审核证据" in html


# ---------------------------------------------------------------- media


def fetch(browser, path: str, **kwargs):
    """GET a file; buffered, so the test client closes the stored file as a server would."""
    return browser.get(path, buffered=True, **kwargs)


def test_the_team_fetches_files_with_safe_headers_and_ranges(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    (photo_id, photo, _, _), (audio_id, audio, _, _) = s.media
    member = s.browser(s.member_user)
    original = fetch(member, f"/media/{photo_id}/original")
    assert original.status_code == 200 and original.data == photo
    assert original.headers["Content-Type"] == "image/png"
    assert original.headers["Content-Disposition"].startswith("inline")
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert original.headers["Cache-Control"].startswith("private")
    for variant in ("thumb", "preview"):
        derived = fetch(member, f"/media/{photo_id}/{variant}")
        assert derived.status_code == 200 and derived.headers["Content-Type"] == "image/jpeg"
        assert derived.data[:3] == b"\xff\xd8\xff"
    part = fetch(member, f"/media/{audio_id}/original", headers={"Range": "bytes=4-9"})
    assert part.status_code == 206 and part.data == audio[4:10]
    assert part.headers["Content-Type"] == "audio/ogg"
    assert part.headers["Content-Range"] == f"bytes 4-9/{len(audio)}"
    # A recording has no thumbnail; a bogus variant and an unknown file are 404.
    assert member.get(f"/media/{audio_id}/thumb").status_code == 404
    assert member.get(f"/media/{photo_id}/..%2F..%2Fetc").status_code == 404
    assert member.get(f"/media/{photo_id}/large").status_code == 404
    assert member.get(f"/media/{uuid.uuid4()}/original").status_code == 404
    assert member.get("/media/not-an-id/original").status_code == 404


def test_files_are_refused_outside_the_visits_scope(db, app, field, scene, make_user):
    s = setting(db, app, field, scene, make_user)
    photo_id = s.media[0][0]
    for user in (s.outsider_user, s.scene.b.head):
        assert fetch(s.browser(user), f"/media/{photo_id}/original").status_code in (403, 404)
    # The department and the overseers may.
    for user in (s.scene.a.office, s.admin):
        assert fetch(s.browser(user), f"/media/{photo_id}/thumb").status_code == 200
    # Not signed in: the login page, never the file.
    anonymous = fetch(ConsoleClient(app.test_client()), f"/media/{photo_id}/original")
    assert anonymous.status_code in (302, 401)
