"""Background jobs in process (no Redis): after the commit, retries, dead letters, leases.

Run: .venv/bin/pytest -n0 -q tests/jobs   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import uuid

from PIL import Image
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.jobs import queue
from server.jobs.models import DEAD, DONE, QUEUED, RUNNING, BackgroundJob
from server.orm import utcnow
from server.uploads.views import storage
from sync.models import Media
from tests.jobs.conftest import CALLS


def job_row(db, job_id) -> BackgroundJob:
    db.session.expire_all()
    return db.session.get(BackgroundJob, job_id)


def test_a_job_whose_transaction_rolls_back_never_exists_nor_runs(db):
    queue.enqueue(db.session, "test.flaky", {"key": "a"})
    db.session.rollback()
    queue.drain_committed(db.session)
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0
    assert CALLS == []


def test_a_committed_job_runs_once_right_after_the_commit(db):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "b"}).id
    assert CALLS == []  # not before the commit
    db.session.commit()
    queue.drain_committed(db.session)
    row = job_row(db, job_id)
    assert (row.state, row.attempts, row.last_error) == (DONE, 1, None)
    assert row.finished_at is not None
    assert queue.run_one(db.session, job_id) is None  # done: nothing runs twice
    assert len(CALLS) == 1


def test_a_failing_job_is_retried_with_exponential_backoff_until_it_succeeds(db, app):
    app.config["JOBS_RETRY_BASE_SECONDS"] = 30
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "c", "fail": 2}).id
    db.session.commit()
    start = utcnow()
    assert queue.run_one(db.session, job_id, now=start) == QUEUED
    row = job_row(db, job_id)
    assert row.attempts == 1 and "flaky failure 1" in row.last_error
    assert row.run_after == start + dt.timedelta(seconds=30)
    assert queue.run_due(db.session, now=start + dt.timedelta(seconds=29)) == {}  # not yet
    assert queue.run_due(db.session, now=start + dt.timedelta(seconds=31)) == {QUEUED: 1}
    row = job_row(db, job_id)
    assert row.attempts == 2 and row.run_after == start + dt.timedelta(seconds=31 + 60)
    assert queue.run_due(db.session, now=start + dt.timedelta(seconds=92)) == {DONE: 1}
    assert job_row(db, job_id).attempts == 3 and len(CALLS) == 3


def test_a_job_that_keeps_failing_goes_dead_with_its_error_in_the_audit_trail(db):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "d", "fail": 9}, max_attempts=2).id
    db.session.commit()
    now = utcnow()
    assert queue.run_one(db.session, job_id, now=now) == QUEUED
    assert queue.run_one(db.session, job_id, now=now + dt.timedelta(hours=1)) == DEAD
    row = job_row(db, job_id)
    assert row.state == DEAD and row.attempts == 2 and "flaky failure 2" in row.last_error
    assert queue.run_due(db.session, now=now + dt.timedelta(days=30)) == {}  # buried
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "job.dead")).one()
    assert event.object_id == str(job_id) and event.actor_label == "system"


def test_a_permanent_failure_is_dead_at_the_first_attempt(db):
    job_id = queue.enqueue(db.session, "test.broken", {}).id
    db.session.commit()
    assert queue.run_one(db.session, job_id) == DEAD
    row = job_row(db, job_id)
    assert row.attempts == 1 and "cannot ever work" in row.last_error


def test_concurrent_runners_run_a_job_exactly_once(db, app):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "e"}).id
    db.session.commit()
    results: list = []
    barrier = threading.Barrier(4)

    def runner():
        with app.app_context():
            barrier.wait()
            try:
                results.append(queue.run_one(db.session, job_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(DONE) == 1 and results.count(None) == 3
    assert len(CALLS) == 1 and job_row(db, job_id).attempts == 1


def test_a_job_left_running_by_a_killed_runner_is_taken_again_after_its_lease(db, app):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "f"}).id
    db.session.commit()
    now = utcnow()
    assert queue._claim(db.session, job_id, now)  # the runner dies here (SIGKILL)
    assert job_row(db, job_id).state == RUNNING
    lease = app.config["JOBS_LEASE_SECONDS"]
    assert queue.run_due(db.session, now=now + dt.timedelta(seconds=lease - 1)) == {}
    assert queue.run_due(db.session, now=now + dt.timedelta(seconds=lease + 1)) == {DONE: 1}
    assert job_row(db, job_id).attempts == 2 and len(CALLS) == 1


def test_a_photo_gets_its_thumbnail_from_the_job_right_after_the_upload(db, phone, photo):
    media_id = uuid.uuid4()
    _, last = phone().upload(photo, media_id=media_id)
    assert last.status_code == 204
    media = db.session.get(Media, media_id)
    thumb = Image.open(io.BytesIO(storage().read(media.thumb_key)))
    assert thumb.format == "JPEG" and not thumb.getexif()
    job = db.session.scalars(select(BackgroundJob)).one()
    assert (job.kind, job.state, job.payload) == ("media.derive", DONE, {"media_id": str(media_id)})


def test_a_thumbnail_job_whose_original_is_missing_is_retried_then_dead(db, app, phone, photo):
    media_id = uuid.uuid4()
    _, last = phone().upload(photo, media_id=media_id)
    assert last.status_code == 204
    media = db.session.get(Media, media_id)
    storage().delete(media.thumb_key)
    storage().delete(media.storage_key)  # e.g. a storage outage or a restore gone wrong
    media.thumb_key = media.preview_key = None
    job_id = queue.enqueue(db.session, "media.derive", {"media_id": str(media_id)}).id
    db.session.commit()
    now = utcnow()
    states = [queue.run_one(db.session, job_id, now=now + dt.timedelta(hours=h)) for h in range(5)]
    assert states == [QUEUED, QUEUED, QUEUED, QUEUED, DEAD]
    row = job_row(db, job_id)
    assert row.attempts == 5 and "StorageError" in row.last_error
    assert db.session.get(Media, media_id).thumb_key is None


def test_the_dead_letter_page_lists_dead_jobs_for_the_admin_and_retries_them(db, console):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "g", "fail": 1}, max_attempts=1).id
    db.session.commit()
    assert queue.run_one(db.session, job_id) == DEAD
    queue.enqueue(db.session, "test.flaky", {"key": "h"})
    db.session.commit()
    queue.drain_committed(db.session)

    office = console("back_office")
    assert office.get("/system/jobs").status_code == 403
    assert office.post_form(f"/system/jobs/{job_id}/retry").status_code == 403
    admin = console("admin", username="root")
    page = admin.get("/system/jobs").get_data(as_text=True)
    assert "后台任务" in page and "失败停止" in page and "测试任务" in page
    assert "key: g" in page and "key: h" not in page  # dead ones by default
    assert "flaky failure 1" in page
    assert "key: h" in admin.get("/system/jobs?state=done").get_data(as_text=True)
    assert admin.get("/system/jobs?state=nonsense").status_code == 400

    retried = admin.post_form(f"/system/jobs/{job_id}/retry")
    assert retried.status_code == 302
    row = job_row(db, job_id)
    assert row.state == DONE and row.attempts == 1  # a fresh count, run after the request
    assert admin.post_form(f"/system/jobs/{job_id}/retry").status_code == 409
    assert admin.post_form(f"/system/jobs/{uuid.uuid4()}/retry").status_code == 404
    assert admin.post_form("/system/jobs/not-a-uuid/retry").status_code == 404
    retry_event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "job.retry")
    ).one()
    assert retry_event.actor_label == "user:root"


def test_flask_jobs_run_runs_what_is_due_and_says_so(db, app):
    queue.enqueue(db.session, "test.flaky", {"key": "i"})
    queue.enqueue(db.session, "test.broken", {})
    db.session.commit()  # no request: nothing drained them
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("done=1 queued=0 dead=1 skipped=0")
    listed = app.test_cli_runner().invoke(args=["jobs", "list", "--state", "dead"])
    assert "test.broken dead 1/5" in listed.output


def test_the_worker_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output
