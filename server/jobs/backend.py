"""Where a committed job runs: on RQ workers (REDIS_URL set) or in this process.

`submit` hands one call to the backend. With RQ the call is enqueued on Redis (now, or at a
given time for a retry: the worker runs RQ's scheduler); when Redis cannot be reached the job
stays queued in the database and `flask jobs run` (cron) runs it, so nothing is lost. Inline,
the call runs now; a retry's later time is left to `flask jobs run`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from flask import current_app

log = logging.getLogger(__name__)

QUEUE_NAME = "spotcheck"
_EXTENSION = "spotcheck_rq"


def uses_rq(app=None) -> bool:
    app = app or current_app
    mode = app.config.get("JOBS_BACKEND", "auto")
    if mode == "inline":
        return False
    return bool(app.config.get("REDIS_URL"))


def rq_queue(app=None):
    """The RQ queue over the app's Redis (one connection pool per app)."""
    from redis import Redis
    from rq import Queue

    app = app or current_app
    queue = app.extensions.get(_EXTENSION)
    if queue is None:
        connection = Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
        )
        queue = Queue(
            app.config.get("JOBS_QUEUE", QUEUE_NAME),
            connection=connection,
            default_timeout=int(app.config.get("JOBS_TIMEOUT_SECONDS", 300)),
        )
        app.extensions[_EXTENSION] = queue
    return queue


def submit(inline: Callable, rq_path: str, job_id, *, at: dt.datetime | None = None) -> str:
    """Run `inline(job_id)` here, or enqueue `rq_path(str(job_id))` on RQ; returns how."""
    if not uses_rq():
        if at is None:
            inline(job_id)
            return "inline"
        return "deferred"  # `flask jobs run` takes it when its time has come
    from redis.exceptions import RedisError
    from rq import Retry

    queue = rq_queue()
    # RQ's own retries are for the runner failing (the database away, a worker crash); a
    # handler's failure is recorded on the row and retried from there.
    options = {
        "result_ttl": 3600,
        "failure_ttl": 7 * 86400,
        "retry": Retry(max=4, interval=[5, 30, 120, 600]),
    }
    try:
        if at is None:
            queue.enqueue(rq_path, str(job_id), **options)
        else:
            # RQ keeps whole seconds (it truncates `at`): rounded up, so the job never runs
            # before its run_after (the runner would find it not yet due).
            at = at.replace(microsecond=0) + dt.timedelta(seconds=1)
            queue.enqueue_at(at, rq_path, str(job_id), **options)
    except RedisError:
        # The row is committed and queued: the sweeper (`flask jobs run`) will run it.
        log.warning("job %s: Redis unreachable, left for `flask jobs run`", job_id)
        return "deferred"
    return "rq"
