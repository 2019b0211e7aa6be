"""Public result pages and JSON (no sign-in), and the console: the task page's publication
block and button, the outbox page with its retry button.

Run: .venv/bin/pytest -n0 -q tests/publication/test_pages.py   (add DATABASE_URL for PG)
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.publication.models import DEAD, PENDING, Publication, PublicationJob
from tests.conftest import ConsoleClient
from tests.publication.conftest import correct_and_approve, publish


def browser(app, user) -> ConsoleClient:
    client = ConsoleClient(app.test_client())
    assert client.login(user.username).status_code == 302
    return client


def usccs(bench) -> list[str]:
    return sorted(bench.visit(v).uscc for v in bench.visit_ids())


def test_public_pages_show_the_newest_version_and_its_history(app, db, completed):
    bench = completed
    public = app.test_client()
    assert public.get(f"/public/results/tasks/{bench.task.id}").status_code == 404  # unpublished
    assert "没有符合条件的公示结果" in public.get("/public/results").get_data(as_text=True)
    first = publish(db, bench)
    visit_id = bench.visit_ids()[0]
    correct_and_approve(db, bench, visit_id, reason="整改情况录入有误")
    second = publish(db, bench, reason="更正一户检查结果")

    listing = public.get("/public/results").get_data(as_text=True)
    assert "抽查结果公示" in listing and bench.task.number in listing
    assert "已更正，第 2 版" in listing

    page = public.get(f"/public/results/tasks/{bench.task.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "现行第 2 版" in text and "更正一户检查结果" in text and "首次公示" in text
    assert "发现问题已责令改正" in text and "整改情况录入有误" in text
    assert "不定向抽取" in text and "威海经济技术开发区商务局" in text and "2026-11-02" in text
    uscc = bench.visit(visit_id).uscc
    link = f"/public/objections/new?publication={second.id}&amp;uscc={uscc}"
    assert link in text
    # No personal data of the businesses or of the inspectors.
    for secret in ("法人0", "联系人0", "13800000000", "检查员1"):
        assert secret not in text
    # The earlier version stays readable as published, without an objection link.
    old = public.get(f"/public/results/tasks/{bench.task.id}?version=1").get_data(as_text=True)
    assert "已被新版本替代" in old and "/public/objections/new" not in old
    assert public.get(f"/public/results/tasks/{bench.task.id}?version=9").status_code == 404
    assert public.get("/public/results/tasks/not-a-uuid").status_code == 404

    subject = public.get(f"/public/results/subjects/{uscc.lower()}")
    assert subject.status_code == 200
    text = subject.get_data(as_text=True)
    assert uscc in text and bench.task.number in text and "发现问题已责令改正" in text
    assert f"publication={second.id}&amp;uscc={uscc}" in text
    assert public.get("/public/results/subjects/91110000600037341L").status_code == 404
    # In English the codes' names come from the codes table (the snapshot keeps the Chinese).
    english = public.get(f"/public/results/tasks/{bench.task.id}?lang=en").get_data(as_text=True)
    assert "Problem found, ordered to correct" in english
    assert first.id != second.id


def test_the_public_list_searches_by_name_or_uscc_and_pages(app, db, completed):
    bench = completed
    publish(db, bench)
    public = app.test_client()
    uscc = usccs(bench)[0]
    name = bench.visit(bench.visit_ids()[0]).subject.name
    for q in (uscc, uscc.lower(), name, name[2:6]):
        text = public.get("/public/results", query_string={"q": q}).get_data(as_text=True)
        assert bench.task.number in text, q
    text = public.get("/public/results", query_string={"q": "不存在的企业"}).get_data(as_text=True)
    assert bench.task.number not in text and "没有符合条件的公示结果" in text
    app.config["PAGE_SIZE"] = 1
    assert "共 1 条" in public.get("/public/results").get_data(as_text=True)
    # The header of every public page links the section.
    assert 'href="/public/results"' in public.get("/public/items").get_data(as_text=True)


def test_the_public_json_api_is_paginated_and_documented(app, db, completed):
    bench = completed
    publication = publish(db, bench)
    public = app.test_client()
    body = public.get("/api/v1/public/results").get_json()
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    [item] = body["items"]
    assert item["task_id"] == str(bench.task.id) and item["publication_id"] == str(publication.id)
    assert item["task"]["number"] == bench.task.number and item["subject_count"] == 3
    uscc = usccs(bench)[1]
    assert public.get(f"/api/v1/public/results?uscc={uscc}").get_json()["total"] == 1
    assert public.get("/api/v1/public/results?uscc=91110000600037341L").get_json()["total"] == 0
    assert public.get(f"/api/v1/public/results?task={uuid.uuid4()}").get_json()["total"] == 0
    assert public.get(f"/api/v1/public/results?task={bench.task.id}").get_json()["total"] == 1
    assert public.get("/api/v1/public/results?page=2").get_json()["items"] == []
    bad = public.get("/api/v1/public/results?page_size=1000")
    assert bad.status_code == 422
    detail = public.get(f"/api/v1/public/results/{bench.task.id}").get_json()
    assert detail["version_no"] == 1 and detail["sha256"] == publication.sha256
    assert sorted(s["uscc"] for s in detail["subjects"]) == usccs(bench)
    assert detail["subjects"][0]["items"][0]["results"][0]["name"] == "未发现问题"
    assert detail["history"][0]["version_no"] == 1 and detail["history"][0]["reason"] is None
    assert detail["published_at"].endswith("+08:00")
    missing = public.get(f"/api/v1/public/results/{uuid.uuid4()}")
    assert missing.status_code == 404
    spec = public.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/public/results" in spec["paths"]
    assert "/api/v1/public/results/{task_id}" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/v1/public/results"]["get"]["parameters"]}
    assert {"uscc", "task", "page", "page_size"} <= params


def test_the_task_page_offers_publication_to_the_back_office_only(app, db, completed):
    bench = completed
    url = f"/results/tasks/{bench.task.id}"
    office = browser(app, bench.side.office)
    text = office.get(url).get_data(as_text=True)
    assert "尚未公示" in text and "公示结果</button>" in text
    head_page = browser(app, bench.side.head).get(url).get_data(as_text=True)
    assert "尚未公示" in head_page and "公示结果</button>" not in head_page
    # Someone else's department: the page does not exist, the button does nothing.
    other = browser(app, bench.scene.b.office)
    assert other.get(url).status_code == 404
    assert other.post_form(f"{url}/publish", {}).status_code == 404
    head = browser(app, bench.side.head)
    assert head.post_form(f"{url}/publish", {}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Publication)) == 0

    assert office.post_form(f"{url}/publish", {}).status_code == 302
    text = office.get(url).get_data(as_text=True)
    assert "第 1 版" in text and "下载报送文件（Excel）" in text and "已发送" in text
    assert "检查结果自上次公示以来没有变化，无需重新公示" in text
    # A republication without a correction is refused (409), without a reason 422 on the page.
    assert office.post_form(f"{url}/publish", {"reason": "再次"}).status_code == 409
    correct_and_approve(db, bench, bench.visit_ids()[2])
    text = office.get(url).get_data(as_text=True)
    assert "重新公示</button>" in text and 'name="reason"' in text
    refused = office.post_form(f"{url}/publish", {"reason": "  "})
    assert refused.status_code == 422
    assert "重新公示时请填写更正原因" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Publication)) == 1
    assert office.post_form(f"{url}/publish", {"reason": "更正第三户"}).status_code == 302
    text = office.get(url).get_data(as_text=True)
    assert "第 2 版" in text and "更正第三户" in text


def test_the_outbox_page_lists_jobs_and_retries_a_dead_one(app, db, completed, make_user):
    bench = completed
    app.config.update(PUBLISHERS=["http"], PUBLISH_HTTP_URL=None)  # not configured: fails
    app.config["PUBLISH_MAX_ATTEMPTS"] = 1
    office = browser(app, bench.side.office)
    assert office.post_form(f"/results/tasks/{bench.task.id}/publish", {}).status_code == 302
    db.session.expire_all()
    job = db.session.scalars(select(PublicationJob)).one()
    assert (job.state, job.last_error) == (DEAD, "未配置 PUBLISH_HTTP_URL")
    page = office.get("/publication/jobs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "已停止重试" in text and "未配置 PUBLISH_HTTP_URL" in text and "重试</button>" in text
    assert "已停止重试" in office.get("/publication/jobs?state=dead").get_data(as_text=True)
    assert "没有符合条件" in office.get("/publication/jobs?state=sent").get_data(as_text=True)
    # Roles: inspectors and department heads do not see the outbox; another department's back
    # office sees none of these jobs and cannot retry them.
    assert browser(app, bench.scene.users[0]).get("/publication/jobs").status_code == 403
    assert browser(app, bench.side.head).get("/publication/jobs").status_code == 403
    other = browser(app, bench.scene.b.office)
    assert "未配置 PUBLISH_HTTP_URL" not in other.get("/publication/jobs").get_data(as_text=True)
    assert other.post_form(f"/publication/jobs/{job.id}/retry", {}).status_code == 404
    # An administrator sees everything and may retry; the retry runs after the commit (and,
    # still unconfigured, fails again — dead after its one attempt).
    admin = browser(app, make_user("admin7", "admin"))
    app.config["PUBLISH_MAX_ATTEMPTS"] = 2
    response = admin.post_form(f"/publication/jobs/{job.id}/retry", {})
    assert response.status_code == 302
    db.session.expire_all()
    job = db.session.get(PublicationJob, job.id)
    assert (job.state, job.attempts) == ("failed", 1)
    # From the task page the retry returns there.
    response = office.post_form(f"/publication/jobs/{job.id}/retry", {"next": "task"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/results/tasks/{bench.task.id}#publication")
    db.session.expire_all()
    job = db.session.get(PublicationJob, job.id)
    assert (job.state, job.attempts) == ("failed", 1)
    # A job waiting for its next attempt is not retried by hand twice: it is already queued
    # (failed → pending is allowed; pending → pending is 409).
    job.state = PENDING
    db.session.commit()
    assert office.post_form(f"/publication/jobs/{job.id}/retry", {}).status_code == 409
