"""What an RQ worker runs: `perform` (a background job) and `deliver` (a publication job).

The worker (`flask jobs worker`) runs jobs in its own process with the app already built
(rq's SimpleWorker: no fork per job, which would rebuild the app and its connection pools for
each thumbnail). A job that raises is recorded on its row by the runner; nothing is raised to
RQ, whose own failed-job registry is therefore only for crashes of the runner itself.
"""

from __future__ import annotations

import functools
import uuid

from flask import has_app_context

from server.extensions import db


@functools.cache
def _standalone_app():
    from server.app import create_app

    return create_app()


def _in_app(func):
    @functools.wraps(func)
    def wrapper(job_id: str):
        if has_app_context():
            return func(job_id)
        with _standalone_app().app_context():
            return func(job_id)

    return wrapper


@_in_app
def perform(job_id: str) -> str | None:
    from server.jobs import queue

    try:
        return queue.run_one(db.session, job_id, reraise=True)
    finally:
        db.session.remove()


@_in_app
def deliver(job_id: str) -> str | None:
    from server.publication import outbox

    try:
        return outbox.run_and_reschedule(db.session, uuid.UUID(str(job_id)))
    finally:
        db.session.remove()
