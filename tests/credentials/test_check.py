"""The public credential check: /c/<token> and its JSON twin, the scan log, the pull's URLs."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from sqlalchemy import select, update

from server.auth.operations import actor_for
from server.credentials.models import CredentialScan
from server.credentials.tokens import TokenSigner
from server.directory.models import Inspector
from server.draws import replacements
from server.visits.models import CANCELLED, Visit
from tests.credentials.conftest import IN_WINDOW
from tests.syncapi.conftest import draw_of, issue

SECRET = "test-secret-key"  # the app fixture's SECRET_KEY


def path_of(url: str) -> str:
    return url.split("localhost", 1)[1]


@pytest.fixture
def on_site(db, scene, drawn_task, device, pull):
    """An issued task; the first inspector on a team pulls. Returns (inspector, user, body)."""
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    for inspector, user in zip(scene.inspectors, scene.users, strict=True):
        body = pull(device(user), 0)
        if body["changes"]["visits"]["upserts"]:
            return inspector, user, body
    raise AssertionError("nobody drawn")


def scans(db) -> list[CredentialScan]:
    db.session.expire_all()
    return list(db.session.scalars(select(CredentialScan).order_by(CredentialScan.at)))


# ---- the pull carries the URLs -----------------------------------------------------------------


def test_the_pull_carries_a_signed_url_on_every_visit_and_on_the_credential(db, on_site):
    inspector, _user, body = on_site
    signer = TokenSigner(SECRET)
    for visit in body["changes"]["visits"]["upserts"]:
        assert visit["credential_url"].startswith("http://localhost/c/")
        claim = signer.claim(visit["credential_url"].rsplit("/", 1)[1])
        assert str(claim.inspector_id) == str(inspector.id)
        assert str(claim.visit_id) == visit["id"]
        assert claim.expires_on == dt.date.fromisoformat(visit["window_end"]) + dt.timedelta(1)

    (credential,) = body["changes"]["credential"]["upserts"]
    claim = signer.claim(credential["credential_url"].rsplit("/", 1)[1])
    assert claim.visit_id is None and claim.expires_on == inspector.credential_valid_until
    assert credential["photo_url"] is None
    assert credential["bureau"] == {
        "name": "威海经济技术开发区商务局",
        "contact_phone": "0631-0000000",
        "address": "山东省威海市经济技术开发区",
    }


def test_public_base_url_is_used_when_configured(app, db, scene, drawn_task, device, pull):
    app.config["PUBLIC_BASE_URL"] = "https://spotcheck.example.cn/"
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    urls = [
        row["credential_url"]
        for user in scene.users
        for row in pull(device(user), 0)["changes"]["visits"]["upserts"]
    ]
    assert urls and all(u.startswith("https://spotcheck.example.cn/c/") for u in urls)


def test_the_new_fields_are_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert "credential_url" in schemas["VisitRow"]["properties"]
    assert {"credential_url", "photo_url", "bureau"} <= set(schemas["CredentialRow"]["properties"])
    assert "/api/v1/public/credentials/{token}" in spec["paths"]
    assert "/api/v1/credential/photo" in spec["paths"]


# ---- the page ------------------------------------------------------------------------------------


def test_a_visit_token_on_the_team_in_the_window_is_confirmed(db, client, scene, on_site, today):
    inspector, _user, body = on_site
    visit = body["changes"]["visits"]["upserts"][0]
    subject = next(s for s in scene.subjects if str(s.id) == visit["subject_id"])
    response = client.get(path_of(visit["credential_url"]), headers={"User-Agent": "X" * 500})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "✅" in page and "核验通过" in page and "❌" not in page
    assert inspector.name in page and inspector.credential_no in page
    assert inspector.credential_issuer in page and scene.a.department.name in page
    assert subject.name in page and subject.uscc in page
    assert f"{inspector.name}是本次检查的检查组成员" in page
    assert "在检查时间内" in page and "2026-12-01" in page and "2026-12-31" in page
    assert "0631-0000000" in page

    (scan,) = scans(db)
    assert (scan.inspector_id, str(scan.visit_id)) == (inspector.id, visit["id"])
    assert scan.outcome == "valid" and scan.via == "page"
    assert scan.ip_hash and "127.0.0.1" not in scan.ip_hash
    assert scan.user_agent == "X" * 200


def test_the_page_never_shows_the_id_number_or_phone(db, client, on_site, today):
    inspector, _user, body = on_site
    db.session.execute(
        update(Inspector)
        .where(Inspector.id == inspector.id)
        .values(id_number="11010519491231002X", phone="13912345678")
    )
    db.session.commit()
    url = body["changes"]["visits"]["upserts"][0]["credential_url"]
    page = client.get(path_of(url)).get_data(as_text=True)
    assert "11010519491231002X" not in page and "13912345678" not in page
    data = client.get("/api/v1/public/credentials/" + url.rsplit("/", 1)[1]).get_data(as_text=True)
    assert "11010519491231002X" not in data and "13912345678" not in data


def test_scans_are_counted_per_token(db, client, on_site, today):
    _inspector, _user, body = on_site
    url = body["changes"]["visits"]["upserts"][0]["credential_url"]
    client.get(path_of(url))
    page = client.get(path_of(url)).get_data(as_text=True)
    assert "本二维码已被查验 2 次" in page
    plain = body["changes"]["credential"]["upserts"][0]["credential_url"]
    assert "本二维码已被查验 1 次" in client.get(path_of(plain)).get_data(as_text=True)
    assert len(scans(db)) == 3


def test_outside_the_window_the_page_says_not_today(db, client, on_site, today):
    today(dt.date(2026, 11, 27))
    url = on_site[2]["changes"]["visits"]["upserts"][0]["credential_url"]
    response = client.get(path_of(url))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "❌" in page and "今天不在本次检查的时间内" in page and "不在检查时间内" in page
    assert scans(db)[0].outcome == "outside_window"


def test_an_inspector_replaced_off_the_team_is_shown_as_not_assigned(
    db, client, scene, on_site, today
):
    leaving, leaving_user, body = on_site
    visit = body["changes"]["visits"]["upserts"][0]
    task = db.session.get(Visit, uuid.UUID(visit["id"])).tasks[0].task
    draw = draw_of(db, task)
    held = next(
        a
        for a in draw.assignments
        if a.inspector_id == leaving.id and str(a.subject_id) == visit["subject_id"]
    )
    request = replacements.request_replacement(
        db.session,
        actor=actor_for(leaving_user),
        user=leaving_user,
        draw=draw,
        uscc=held.uscc,
        credential_no=leaving.credential_no,
        mode="replace",
        reason="recusal",
        explanation="该企业法定代表人系本人亲属，申请回避。",
        conflict_kind="kinship",
    )
    replacements.approve_request(
        db.session, actor=actor_for(scene.leader), user=scene.leader, request=request
    )
    db.session.commit()

    # The phone was offline: it still shows the code it pulled before the replacement.
    response = client.get(path_of(visit["credential_url"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "❌" in page and "该人员不是本次检查的检查人员" in page
    assert f"{leaving.name}不是本次检查的检查组成员" in page
    assert scans(db)[0].outcome == "not_assigned"


def test_a_cancelled_visit_is_not_valid(db, client, on_site, today):
    visit = on_site[2]["changes"]["visits"]["upserts"][0]
    db.session.execute(
        update(Visit).where(Visit.id == uuid.UUID(visit["id"])).values(state=CANCELLED)
    )
    db.session.commit()
    page = client.get(path_of(visit["credential_url"])).get_data(as_text=True)
    assert "❌" in page and "该检查已取消或已合并" in page and "已取消" in page
    assert scans(db)[0].outcome == "visit_closed"


def test_an_inspector_who_left_is_not_valid(db, client, on_site, today):
    inspector, _user, body = on_site
    db.session.execute(
        update(Inspector).where(Inspector.id == inspector.id).values(is_active=False)
    )
    db.session.commit()
    plain = body["changes"]["credential"]["upserts"][0]["credential_url"]
    page = client.get(path_of(plain)).get_data(as_text=True)
    assert "❌" in page and "执法证无效" in page and "该人员已不在执法岗位" in page
    assert scans(db)[0].outcome == "credential_invalid"


def test_a_tampered_token_gets_a_red_page_404_and_is_logged(db, client, on_site, today):
    url = on_site[2]["changes"]["visits"]["upserts"][0]["credential_url"]
    token = url.rsplit("/", 1)[1]
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (tampered, "nonsense", "A" * 63, token + "x"):
        response = client.get(f"/c/{bad}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "❌" in page and "无法验证" in page and "verdict-bad" in page
    logged = scans(db)
    assert len(logged) == 4
    assert {s.outcome for s in logged} == {"invalid"}
    assert {s.inspector_id for s in logged} == {None}


def test_an_expired_token_gets_410_and_is_logged_with_whose_it_was(db, client, on_site, today):
    inspector, _user, body = on_site
    today(dt.date(2027, 1, 2))  # the window ended 2026-12-31; the code served one more day
    url = body["changes"]["visits"]["upserts"][0]["credential_url"]
    response = client.get(path_of(url))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "无法验证" in page and "二维码已过期" in page
    (scan,) = scans(db)
    assert scan.outcome == "expired" and scan.inspector_id == inspector.id


def test_a_genuine_token_naming_nobody_here_is_404_not_500(app, db, client, today):
    token = TokenSigner(SECRET).sign(uuid.uuid4(), dt.date(2030, 1, 1), uuid.uuid4())
    response = client.get(f"/c/{token}")
    assert response.status_code == 404 and "无法验证" in response.get_data(as_text=True)
    assert scans(db)[0].inspector_id is None


def test_an_expired_token_of_a_visit_we_do_not_have_is_410_not_500(db, client, on_site, today):
    inspector = on_site[0]
    token = TokenSigner(SECRET).sign(inspector.id, dt.date(2026, 1, 1), uuid.uuid4())
    assert client.get(f"/c/{token}").status_code == 410
    assert client.get(f"/api/v1/public/credentials/{token}").status_code == 410
    assert [(s.inspector_id, s.visit_id) for s in scans(db)] == [(None, None)] * 2


def test_the_photo_is_shown_behind_a_valid_token_only(
    db, client, console, on_site, today, photo_jpeg
):
    inspector, _user, body = on_site
    keeper = console("back_office", username="office_check")
    keeper.post_form(
        f"/inspectors/{inspector.id}/photo",
        data={"photo": (io.BytesIO(photo_jpeg), "p.jpg")},
        content_type="multipart/form-data",
    )
    url = body["changes"]["visits"]["upserts"][0]["credential_url"]
    page = client.get(path_of(url)).get_data(as_text=True)
    assert f'src="{path_of(url)}/photo"' in page
    photo = client.get(path_of(url) + "/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data.startswith(b"\xff\xd8")
    assert client.get("/c/nonsense/photo").status_code == 404
    today(dt.date(2027, 1, 2))
    assert client.get(path_of(url) + "/photo").status_code == 404


# ---- JSON ----------------------------------------------------------------------------------------


def test_the_json_check_gives_the_same_facts(db, client, scene, on_site, today):
    inspector, _user, body = on_site
    visit = body["changes"]["visits"]["upserts"][0]
    token = visit["credential_url"].rsplit("/", 1)[1]
    response = client.get(f"/api/v1/public/credentials/{token}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["valid"] is True and data["outcome"] == "valid" and data["kind"] == "visit"
    assert data["checked_on"] == IN_WINDOW.isoformat()
    assert data["credential"]["name"] == inspector.name
    assert data["credential"]["credential_no"] == inspector.credential_no
    assert data["credential"]["valid"] is True and data["credential"]["has_photo"] is False
    assert data["visit"]["uscc"] == visit["uscc"] and data["visit"]["on_team"] is True
    assert data["visit"]["in_window"] is True and data["visit"]["state"] == "planned"
    assert data["scans"] == 1
    assert scans(db)[0].via == "api"


def test_the_json_check_refuses_bad_and_expired_tokens(client, on_site, today):
    assert client.get("/api/v1/public/credentials/nonsense").status_code == 404
    url = on_site[2]["changes"]["visits"]["upserts"][0]["credential_url"]
    today(dt.date(2027, 1, 2))
    response = client.get("/api/v1/public/credentials/" + url.rsplit("/", 1)[1])
    assert response.status_code == 410 and "过期" in response.get_json()["detail"]
