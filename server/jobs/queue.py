"""Enqueue a job in the current transaction; claim, run, retry and bury it.

`enqueue` only adds the row and notes its id on the session (server/aftercommit.py): a job is
handed to a runner after the transaction commits (a rollback forgets it), at the end of the
request (`drain_committed`, called on teardown) — never before, so a worker never sees a job
whose cause is not yet visible.

`run_one` is the runner, shared by RQ workers, the in-process path and `flask jobs run`:
1. claim: one conditional UPDATE (queued and due, or running with an expired lease) → running,
   attempts + 1, lease; committed on its own, so a second runner's UPDATE matches nothing;
2. the handler, then done — one transaction;
3. on failure the handler's work is rolled back and the job is queued again with exponential
   backoff (JOBS_RETRY_BASE_SECONDS × 2^(attempts−1)), or goes dead when its attempts are used up
   or the handler said the failure is permanent (audited).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
import uuid

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from server import aftercommit
from server.audit.operations import SYSTEM, Actor, record
from server.jobs import backend, registry
from server.jobs.models import DEAD, DONE, QUEUED, RUNNING, BackgroundJob
from server.orm import utcnow

log = logging.getLogger(__name__)

CHANNEL = "jobs"
MAX_ERROR_CHARS = 4000
RQ_ENTRY = "server.jobs.worker.perform"


class JobConflict(Exception):
    """A retry asked for a job that is not dead."""


def enqueue(
    session: Session, kind: str, payload: dict, *, max_attempts: int | None = None
) -> BackgroundJob:
    """Add a job to the current transaction; it is run after the commit."""
    handler = registry.get(kind)
    if handler is None:
        raise ValueError(f"unknown job kind {kind!r}")
    attempts = max_attempts or handler.max_attempts or _config("JOBS_MAX_ATTEMPTS", 5)
    job = BackgroundJob(kind=kind, payload=payload, state=QUEUED, max_attempts=attempts)
    session.add(job)
    session.flush()
    aftercommit.defer(session, CHANNEL, [job.id])
    return job


def _config(key: str, default):
    try:
        return current_app.config.get(key, default)
    except RuntimeError:  # no app context (a script): the defaults
        return default


def drain_committed(session: Session) -> None:
    """Hand the jobs committed during this request to their runner."""
    for job_id in aftercommit.take(session, CHANNEL):
        dispatch(session, job_id)


def dispatch(session: Session, job_id: uuid.UUID, at: dt.datetime | None = None) -> str:
    return backend.submit(lambda jid: run_one(session, jid), RQ_ENTRY, job_id, at=at)


# ---------------------------------------------------------------- running


def _due(now: dt.datetime):
    """Queued and its time has come, or claimed by a runner whose lease has run out."""
    return or_(
        and_(BackgroundJob.state == QUEUED, BackgroundJob.run_after <= now),
        and_(BackgroundJob.state == RUNNING, BackgroundJob.locked_until < now),
    )


def _claim(session: Session, job_id: uuid.UUID, now: dt.datetime) -> bool:
    lease = dt.timedelta(seconds=int(_config("JOBS_LEASE_SECONDS", 600)))
    result = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, _due(now))
        .values(
            state=RUNNING,
            attempts=BackgroundJob.attempts + 1,
            locked_until=now + lease,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def run_one(
    session: Session, job_id, *, now: dt.datetime | None = None, reraise: bool = False
) -> str | None:
    """Claim and run one job; its new state, or None when it was not due or taken by another.

    A failure of the database itself (claiming, or recording the outcome) is logged and None
    returned — the row stays queued or leased and the sweeper takes it — or, with `reraise`
    (an RQ worker), raised so RQ retries the delivery too.
    """
    job_id = job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))
    now = now or utcnow()
    try:
        if not _claim(session, job_id, now):
            _hand_on_if_early(session, job_id, now)
            return None
    except Exception:
        session.rollback()
        log.exception("job %s could not be claimed", job_id)
        if reraise:
            raise
        return None
    job = session.get(BackgroundJob, job_id, populate_existing=True)
    handler = registry.get(job.kind)
    try:
        if handler is None:
            raise registry.Permanent(f"no handler for job kind {job.kind!r}")
        handler.func(session, dict(job.payload or {}))
        job = session.get(BackgroundJob, job_id)
        job.state, job.finished_at, job.locked_until, job.last_error = DONE, utcnow(), None, None
        session.commit()
        return DONE
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the job
        session.rollback()
        try:
            return _failed(session, job_id, error, now)
        except Exception:
            session.rollback()
            log.exception("job %s: its failure could not be recorded", job_id)
            if reraise:
                raise
            return None


def _hand_on_if_early(session: Session, job_id: uuid.UUID, now: dt.datetime) -> None:
    """A runner came before the job's time (a clock a little ahead): hand it on for its time,
    or nobody but the cron sweep would ever run it. Done, dead or running jobs stay as they are."""
    row = session.execute(
        select(BackgroundJob.state, BackgroundJob.run_after).where(BackgroundJob.id == job_id)
    ).first()
    session.rollback()
    if row is not None and row.state == QUEUED and row.run_after > now:
        dispatch(session, job_id, at=row.run_after)


def _failed(session: Session, job_id: uuid.UUID, error: Exception, now: dt.datetime) -> str:
    permanent = isinstance(error, registry.Permanent)
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    if not permanent:
        log.warning("job %s failed: %s", job_id, text)
    job = session.get(BackgroundJob, job_id, populate_existing=True)
    job.last_error = text[:MAX_ERROR_CHARS]
    job.locked_until = None
    at = None
    if permanent or job.attempts >= job.max_attempts:
        job.state, job.finished_at = DEAD, utcnow()
        record(
            session,
            actor=SYSTEM,
            action="job.dead",
            object_type="background_job",
            object_id=job.id,
            state=job.audit_state(),
        )
    else:
        base = int(_config("JOBS_RETRY_BASE_SECONDS", 30))
        at = now + dt.timedelta(seconds=base * 2 ** (job.attempts - 1))
        job.state, job.run_after = QUEUED, at
    session.commit()
    if at is not None:
        dispatch(session, job_id, at=at)
    return job.state


def due_ids(session: Session, now: dt.datetime, limit: int = 500) -> list[uuid.UUID]:
    stmt = select(BackgroundJob.id).where(_due(now)).order_by(BackgroundJob.run_after).limit(limit)
    return list(session.scalars(stmt))


def run_due(session: Session, *, now: dt.datetime | None = None, limit: int = 500) -> dict:
    """Run every due job here (cron, tests): counts of the new states."""
    now = now or utcnow()
    ids = due_ids(session, now, limit)
    session.rollback()
    counts: dict[str, int] = {}
    for job_id in ids:
        state = run_one(session, job_id, now=now) or "skipped"
        counts[state] = counts.get(state, 0) + 1
    return counts


def retry(session: Session, *, actor: Actor, job: BackgroundJob) -> BackgroundJob:
    """A dead job goes back to the queue now with a fresh count (flush; runs after commit)."""
    session.refresh(job, with_for_update=True)
    if job.state != DEAD:
        raise JobConflict(job.state)
    before = job.last_error
    job.state, job.attempts, job.run_after, job.finished_at = QUEUED, 0, utcnow(), None
    session.flush()
    aftercommit.defer(session, CHANNEL, [job.id])
    record(
        session,
        actor=actor,
        action="job.retry",
        object_type="background_job",
        object_id=job.id,
        state=job.audit_state(),
        details={"last_error": before},
    )
    return job
