"""Run publication jobs right after the transaction that wrote them has committed.

Operations only flush, so they cannot send anything themselves: a publisher that delivered a
version whose transaction then rolled back would have published what never existed. Instead an
operation notes its new job ids on the session (`after_commit`, server/aftercommit.py: a
rollback drops them), and at the end of the request
(teardown, after server/transactions.py committed) `drain_committed` runs each job in its own
transaction. Whatever is not sent then — a failure, a crash, a CLI or job without a request —
is picked up by `flask publication-run` (cron), which drains every due job the same way.

With REDIS_URL set, the committed jobs go to the RQ workers instead (server/jobs/backend.py),
and a failed attempt is scheduled there for its backoff time; in process, cron takes retries.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.orm import Session

from server import aftercommit

CHANNEL = "publication"

log = logging.getLogger(__name__)


def after_commit(session: Session, job_ids) -> None:
    """Run these jobs once the current transaction has committed."""
    aftercommit.defer(session, CHANNEL, job_ids)


def take_committed(session: Session) -> list:
    return aftercommit.take(session, CHANNEL)


def forget_committed(session: Session) -> None:
    """Before a request: only the jobs its own commits wrote are run at its end."""
    take_committed(session)


def run_one(session: Session, job_id, *, now=None) -> str | None:
    """One job in its own transaction; returns its new state (None: not due / busy)."""
    from server.publication import operations  # operations import this module

    try:
        job = operations.run_job(
            session,
            job_id,
            now=now,
            config=current_app.config,
            instance_path=current_app.instance_path,
        )
        state = job.state if job is not None else None
        session.commit()
    except Exception:
        session.rollback()
        log.exception("publication job %s could not be run", job_id)
        return None
    return state


def run_and_reschedule(session: Session, job_id, *, now=None) -> str | None:
    """Run one job; a failed attempt is handed on again for the time of its next attempt."""
    from server.publication.models import FAILED, PublicationJob

    state = run_one(session, job_id, now=now)
    if state == FAILED:
        job = session.get(PublicationJob, job_id)
        if job is not None:
            dispatch(session, job.id, at=job.next_attempt_at)
    return state


def dispatch(session: Session, job_id, *, at=None) -> str:
    """Run now in process, or enqueue on the RQ workers (at a time, for a retry)."""
    from server.jobs import backend

    return backend.submit(
        lambda jid: run_and_reschedule(session, jid),
        "server.jobs.worker.deliver",
        job_id,
        at=at,
    )


def drain_committed(session: Session) -> None:
    """Hand on the jobs whose transactions committed during this request."""
    for job_id in take_committed(session):
        dispatch(session, job_id)
