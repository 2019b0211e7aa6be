"""Publication deliveries on RQ (REDIS_URL set): handed to Redis after the commit, sent by a
worker. Redis: the machine's when it answers, else fakeredis (tests/jobs/conftest.py).

Run: .venv/bin/pytest -n0 -q tests/publication/test_outbox_rq.py   (add DATABASE_URL for PG)
"""

from __future__ import annotations

from sqlalchemy import select

from server.publication.models import PENDING, SENT, PublicationJob
from tests.conftest import ConsoleClient
from tests.jobs.conftest import work


def test_a_console_publication_is_delivered_by_the_rq_worker(
    app, db, completed, tmp_path, rq_queue
):
    bench = completed
    app.config["PUBLICATION_DIR"] = str(tmp_path / "rq")
    browser = ConsoleClient(app.test_client())
    assert browser.login(bench.side.office.username).status_code == 302
    response = browser.post_form(f"/results/tasks/{bench.task.id}/publish", {})
    assert response.status_code == 302
    job = db.session.scalars(select(PublicationJob)).one()
    assert job.state == PENDING and job.attempts == 0  # handed to Redis, not sent in the request
    assert [j.func_name for j in rq_queue.jobs] == ["server.jobs.worker.deliver"]
    exported = tmp_path / "rq" / f"{bench.task.id}-v1.xlsx"
    assert not exported.exists()
    job_id = job.id
    work(rq_queue)
    db.session.expire_all()
    job = db.session.get(PublicationJob, job_id)
    assert (job.state, job.attempts) == (SENT, 1) and exported.exists()
