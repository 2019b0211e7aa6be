"""The outbox: the file and HTTP publishers (a real server on 127.0.0.1), backoff, dead
letters, `flask publication-run`, sending right after a request's commit, manual retry.

Run: .venv/bin/pytest -n0 -q tests/publication/test_outbox.py   (add DATABASE_URL for PG)
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.codes.models import Code
from server.publication import operations, outbox
from server.publication.cli import drain
from server.publication.models import DEAD, FAILED, PENDING, SENT, PublicationJob
from server.publication.operations import PublicationError
from tests.conftest import ConsoleClient
from tests.publication.conftest import publish


def jobs(db) -> dict[str, PublicationJob]:
    db.session.expire_all()
    return {j.publisher: j for j in db.session.scalars(select(PublicationJob))}


def run(app, db, job, now):
    """One job through the runner, committed (as the CLI and the request hook do)."""
    state = outbox.run_one(db.session, job.id, now=now)
    db.session.expire_all()
    return state


def test_the_file_publisher_writes_the_national_export(app, db, completed, tmp_path):
    bench = completed
    app.config["PUBLICATION_DIR"] = str(tmp_path / "gsxt")
    db.session.execute(
        update(Code).where(Code.kind == "result", Code.code == "no_problem").values(gs52_code="1")
    )
    db.session.commit()
    publication = publish(db, bench)
    job = jobs(db)["file"]
    assert run(app, db, job, publication.published_at) == SENT
    job = jobs(db)["file"]
    assert (job.state, job.attempts, job.last_error) == (SENT, 1, None)
    stem = f"{bench.task.id}-v1"
    document = json.loads((tmp_path / "gsxt" / f"{stem}.json").read_text(encoding="utf-8"))
    assert document["format"] == "spotcheck-gsxt-result-v1" and document["version_no"] == 1
    assert document["snapshot_sha256"] == publication.sha256
    assert len(document["records"]) == 3
    record = document["records"][0]
    assert record["task_number"] == bench.task.number and record["item_code"] == "SWJ-001"
    assert record["results"] == [{"code": "no_problem", "name": "未发现问题", "gs52_code": "1"}]
    assert record["methods"][0]["gs52_code"] is None  # not mapped yet
    assert record["checking_body"] == "威海经济技术开发区商务局 商贸流通科"
    assert record["completion_date"] == "2026-11-02" and record["check_date"]
    sheet = load_workbook(tmp_path / "gsxt" / f"{stem}.xlsx").active
    header = [c.value for c in sheet[2]]
    assert header[1] == "统一社会信用代码" and "检查结果代码（GS52）" in header
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert sorted(r[1] for r in rows) == sorted(r["uscc"] for r in document["records"])
    assert rows[0][header.index("检查结果")] == "未发现问题"
    assert rows[0][header.index("检查结果代码（GS52）")] == "1"
    # No temporary files are left behind.
    assert sorted(p.name for p in (tmp_path / "gsxt").iterdir()) == [f"{stem}.json", f"{stem}.xlsx"]
    # A sent job is not sent again.
    assert run(app, db, job, publication.published_at + dt.timedelta(days=1)) is None


def test_http_500_is_retried_with_backoff_then_succeeds(app, db, completed, receiver):
    bench = completed
    app.config.update(PUBLISHERS=["file", "http"], PUBLISH_HTTP_URL=receiver.url)
    receiver.statuses[:] = [500, 200]
    publication = publish(db, bench)
    assert set(jobs(db)) == {"file", "http"}
    now = publication.published_at
    assert run(app, db, jobs(db)["http"], now) == FAILED
    job = jobs(db)["http"]
    assert (job.attempts, job.last_error) == (1, "HTTP 500")
    assert job.next_attempt_at == now + dt.timedelta(seconds=60)
    # Not due before its time: nothing is sent.
    assert run(app, db, job, now + dt.timedelta(seconds=59)) is None
    assert len(receiver.bodies) == 1
    assert run(app, db, job, now + dt.timedelta(seconds=60)) == SENT
    job = jobs(db)["http"]
    assert (job.state, job.attempts, job.last_error) == (SENT, 2, None)
    assert len(receiver.bodies) == 2
    body = receiver.bodies[-1]
    assert body["publication_id"] == str(publication.id) and len(body["records"]) == 3
    assert receiver.headers[-1]["Idempotency-Key"] == str(publication.id)
    assert receiver.headers[-1]["Content-Type"].startswith("application/json")


def test_a_job_failing_every_time_goes_dead_and_is_retried_by_hand(app, db, completed, receiver):
    bench = completed
    app.config.update(
        PUBLISHERS=["http"],
        PUBLISH_HTTP_URL=receiver.url,
        PUBLISH_MAX_ATTEMPTS=3,
        PUBLISH_RETRY_BASE_SECONDS=10,
    )
    receiver.statuses[:] = [503]
    publication = publish(db, bench)
    now = publication.published_at
    assert run(app, db, jobs(db)["http"], now) == FAILED
    assert jobs(db)["http"].next_attempt_at == now + dt.timedelta(seconds=10)
    assert run(app, db, jobs(db)["http"], now + dt.timedelta(seconds=10)) == FAILED
    # Exponential: 10 s, then 20 s.
    assert jobs(db)["http"].next_attempt_at == now + dt.timedelta(seconds=30)
    assert run(app, db, jobs(db)["http"], now + dt.timedelta(seconds=30)) == DEAD
    job = jobs(db)["http"]
    assert (job.state, job.attempts, job.last_error) == (DEAD, 3, "HTTP 503")
    # A dead job is never picked up again by the runner.
    assert drain(now=now + dt.timedelta(days=30)) == {}
    assert len(receiver.bodies) == 3
    # Only the department's back office (or an admin) retries; a sent job cannot be retried.
    with pytest.raises(PublicationError) as error:
        operations.retry(
            db.session, actor=actor_for(bench.side.head), user=bench.side.head, job=job
        )
    assert error.value.status == 403
    db.session.rollback()
    office = bench.side.office
    operations.retry(db.session, actor=actor_for(office), user=office, job=job)
    db.session.commit()
    job = jobs(db)["http"]
    assert (job.state, job.attempts) == (PENDING, 0)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "publication.retry")
    ).one()
    assert event.details == {"before_state": DEAD, "last_error": "HTTP 503"}
    receiver.statuses[:] = [200]
    assert drain(now=job.next_attempt_at) == {SENT: 1}
    job = jobs(db)["http"]
    assert job.state == SENT
    with pytest.raises(PublicationError) as error:
        operations.retry(db.session, actor=actor_for(office), user=office, job=job)
    assert error.value.status == 409
    db.session.rollback()


def test_an_unreachable_endpoint_is_a_failure_not_a_crash(app, db, completed):
    bench = completed
    # A port nobody listens on (bound and closed again).
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(
        PUBLISHERS=["http"], PUBLISH_HTTP_URL=f"http://127.0.0.1:{port}/", PUBLISH_HTTP_TIMEOUT=2
    )
    publication = publish(db, bench)
    assert run(app, db, jobs(db)["http"], publication.published_at) == FAILED
    assert jobs(db)["http"].last_error.startswith("连接失败")


def test_the_cli_drains_due_jobs_one_transaction_each(app, db, completed, receiver, tmp_path):
    bench = completed
    app.config.update(
        PUBLISHERS=["file", "http"],
        PUBLISH_HTTP_URL=receiver.url,
        PUBLICATION_DIR=str(tmp_path / "out"),
    )
    receiver.statuses[:] = [500]
    publish(db, bench)
    result = app.test_cli_runner().invoke(args=["publication-run"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent=1 failed=1 dead=0 skipped=0"
    states = {name: job.state for name, job in jobs(db).items()}
    assert states == {"file": SENT, "http": FAILED}  # the file was kept despite the failure
    assert (tmp_path / "out" / f"{bench.task.id}-v1.json").exists()
    # Nothing due now (the HTTP job waits for its backoff).
    result = app.test_cli_runner().invoke(args=["publication-run"])
    assert result.output.strip() == "sent=0 failed=0 dead=0 skipped=0"


def test_a_console_publication_is_sent_right_after_the_commit(app, db, completed, tmp_path):
    bench = completed
    app.config["PUBLICATION_DIR"] = str(tmp_path / "now")
    browser = ConsoleClient(app.test_client())
    assert browser.login(bench.side.office.username).status_code == 302
    response = browser.post_form(f"/results/tasks/{bench.task.id}/publish", {})
    assert response.status_code == 302
    job = jobs(db)["file"]
    assert job.state == SENT and job.attempts == 1
    assert Path(tmp_path / "now" / f"{bench.task.id}-v1.xlsx").exists()


def test_jobs_of_a_rolled_back_publication_are_never_run(app, db, completed, tmp_path):
    bench = completed
    app.config["PUBLICATION_DIR"] = str(tmp_path / "never")
    office = bench.side.office
    operations.publish(db.session, actor=actor_for(office), user=office, task=bench.task)
    db.session.rollback()
    db.session.commit()
    assert outbox.take_committed(db.session) == []
    assert jobs(db) == {}
    assert not (tmp_path / "never").exists()


def test_the_export_is_downloaded_from_the_console(app, db, completed):
    bench = completed
    publication = publish(db, bench)
    browser = ConsoleClient(app.test_client())
    assert browser.login(bench.side.head.username).status_code == 302
    xlsx = browser.get(f"/publication/{publication.id}/export.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"].endswith(f"{bench.task.id}-v1.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 2 + 3
    body = browser.get(f"/publication/{publication.id}/export.json").get_json()
    assert body["version_no"] == 1 and len(body["records"]) == 3
    other = ConsoleClient(app.test_client())
    assert other.login(bench.scene.b.office.username).status_code == 302
    assert other.get(f"/publication/{publication.id}/export.xlsx").status_code == 404
