"""Background jobs on RQ over Redis (REDIS_URL set): enqueued after the commit, run by a worker,
retries scheduled at their backoff time, and nothing lost when Redis is down.

Uses the machine's Redis when it answers, else fakeredis (tests/jobs/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

from PIL import Image
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from server.jobs import queue
from server.jobs.models import DONE, QUEUED, BackgroundJob
from server.uploads.views import storage
from sync.models import Media
from tests.jobs.conftest import CALLS, work


def test_a_photo_thumbnail_is_made_by_the_rq_worker_not_by_the_upload_request(
    db, phone, photo, rq_queue
):
    media_id = uuid.uuid4()
    _, last = phone().upload(photo, media_id=media_id)
    assert last.status_code == 204
    media = db.session.get(Media, media_id)
    assert media.thumb_key is None  # the request only verified and stored the original
    job = db.session.scalars(select(BackgroundJob)).one()
    assert job.state == QUEUED and rq_queue.count == 1
    assert rq_queue.jobs[0].func_name == "server.jobs.worker.perform"
    assert rq_queue.jobs[0].args == (str(job.id),)
    job_id = job.id

    work(rq_queue)
    db.session.expire_all()
    media = db.session.get(Media, media_id)
    thumb = Image.open(io.BytesIO(storage().read(media.thumb_key)))
    assert thumb.format == "JPEG" and not thumb.getexif()
    assert db.session.get(BackgroundJob, job_id).state == DONE and rq_queue.count == 0


def test_a_failed_attempt_on_a_worker_is_scheduled_on_redis_for_its_backoff_time(db, app, rq_queue):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "rq", "fail": 1}).id
    db.session.commit()
    queue.drain_committed(db.session)
    assert rq_queue.count == 1 and CALLS == []
    work(rq_queue)
    db.session.expire_all()
    row = db.session.get(BackgroundJob, job_id)
    assert row.state == QUEUED and row.attempts == 1
    scheduled = ScheduledJobRegistry(queue=rq_queue)
    assert scheduled.count == 1
    (rq_id,) = scheduled.get_job_ids()
    at = scheduled.get_scheduled_time(rq_id)
    assert abs(at.replace(tzinfo=dt.UTC) - row.run_after) < dt.timedelta(seconds=1)
    # When its time comes (RQ's scheduler moves it back to the queue), it succeeds.
    rq_queue.enqueue_job(rq_queue.fetch_job(rq_id))
    scheduled.remove(rq_id)
    row.run_after = row.run_after - dt.timedelta(minutes=5)
    db.session.commit()
    work(rq_queue)
    db.session.expire_all()
    assert db.session.get(BackgroundJob, job_id).state == DONE and len(CALLS) == 2


def test_with_redis_down_the_job_waits_in_the_database_and_cron_runs_it(db, app, phone, photo):
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    try:
        media_id = uuid.uuid4()
        _, last = phone().upload(photo, media_id=media_id)
        assert last.status_code == 204  # the phone's upload does not depend on Redis
        job = db.session.scalars(select(BackgroundJob)).one()
        assert job.state == QUEUED
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("spotcheck_rq", None)
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.output.startswith("done=1"), result.output
    db.session.expire_all()
    assert db.session.get(Media, media_id).thumb_key is not None


def test_a_worker_that_cannot_reach_the_database_leaves_the_job_to_rq_retry(
    db, rq_queue, monkeypatch
):
    job_id = queue.enqueue(db.session, "test.flaky", {"key": "pg-down"}).id
    db.session.commit()
    queue.drain_committed(db.session)

    def database_away(*args, **kwargs):
        raise OperationalError("UPDATE background_jobs", {}, Exception("connection refused"))

    with monkeypatch.context() as patch:  # PostgreSQL restarting while the worker claims
        patch.setattr(queue, "_claim", database_away)
        work(rq_queue)
    scheduled = ScheduledJobRegistry(queue=rq_queue)
    assert scheduled.count == 1 and CALLS == []  # RQ retries the delivery (5 s)
    db.session.expire_all()
    assert db.session.get(BackgroundJob, job_id).state == QUEUED  # the row is untouched
    (rq_id,) = scheduled.get_job_ids()
    rq_queue.enqueue_job(rq_queue.fetch_job(rq_id))
    scheduled.remove(rq_id)
    work(rq_queue)  # the database is back
    db.session.expire_all()
    assert db.session.get(BackgroundJob, job_id).state == DONE and len(CALLS) == 1
