"""Fixtures for background jobs: test-only job kinds, a photo upload, an RQ queue.

The RQ queue is on the machine's Redis (a database of its own per pytest-xdist worker, emptied
first: workers must not flush each other's queues) when one answers on 127.0.0.1:6379, else on
fakeredis (the in-memory Redis RQ's own tests use), so the suite runs
with and without a Redis server.
"""

from __future__ import annotations

import itertools
import os

import pytest

from server.jobs import registry
from tests.uploads.support import Tus, jpeg_with_exif, make_device

# gw0 → db 14, gw1 → db 13 … (dbs 8–14; the load test uses 5).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_TEST_URL = f"redis://127.0.0.1:6379/{14 - _WORKER % 7}"
CALLS: list[dict] = []


@registry.handler("test.flaky", label="测试任务")
def _flaky(session, payload: dict) -> None:
    """Fails `payload["fail"]` times (counted across runs in CALLS), then succeeds."""
    CALLS.append(payload)
    failures = sum(1 for p in CALLS if p.get("key") == payload.get("key"))
    if failures <= payload.get("fail", 0):
        raise RuntimeError(f"flaky failure {failures}")


@registry.handler("test.broken", label="测试任务（无法完成）")
def _broken(session, payload: dict) -> None:
    raise registry.Permanent("cannot ever work")


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()
    yield
    CALLS.clear()


@pytest.fixture
def phone(app, db, make_user):
    counter = itertools.count(1)

    def sign_in():
        user = make_user(f"inspector{next(counter)}", "inspector")
        return Tus(app.test_client(), make_device(db.session, user))

    return sign_in


@pytest.fixture
def photo():
    return jpeg_with_exif()


def _redis_connection():
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        connection = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5)
        connection.ping()
    except RedisError:
        import fakeredis

        return fakeredis.FakeRedis()
    connection.flushdb()
    return connection


@pytest.fixture
def rq_queue(app):
    """Switch the app to RQ: REDIS_URL set and its queue on a test Redis; yields the queue."""
    from rq import Queue

    connection = _redis_connection()
    queue = Queue("spotcheck", connection=connection)
    app.config["REDIS_URL"] = REDIS_TEST_URL
    app.extensions["spotcheck_rq"] = queue
    yield queue
    connection.flushdb()
    app.config["REDIS_URL"] = None
    app.extensions.pop("spotcheck_rq", None)


def work(queue) -> None:
    """Run an RQ worker until the queue is empty (in this process, like `flask jobs worker`)."""
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)
