"""A completed task (three businesses, every result approved through the real path of
tests/results/conftest.py), helpers to publish it, and a real HTTP receiver on 127.0.0.1 for
the HttpPublisher.

Run: .venv/bin/pytest -n0 -q tests/publication   (add DATABASE_URL=postgresql+psycopg://… for PG)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import json
import threading
import uuid

import pytest

from server.auth.operations import actor_for
from server.publication import operations
from server.results import operations as result_operations
from tests.jobs.conftest import rq_queue as rq_queue  # noqa: F401 - the fixture, re-exported
from tests.results.conftest import Bench
from tests.results.conftest import bench as bench  # noqa: F401 - the fixture, re-exported
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401
from tests.syncapi.conftest import scene as scene  # noqa: F401

COMPLETED_ON = dt.date(2026, 11, 2)


def publish(db, bench: Bench, user=None, **kwargs):
    """Publish the bench task as `user` (the department's back office) and commit."""
    user = user or bench.side.office
    publication = operations.publish(
        db.session, actor=actor_for(user), user=user, task=bench.task, **kwargs
    )
    db.session.commit()
    return publication


@pytest.fixture
def completed(db, bench) -> Bench:
    """The bench task with every section's result approved and the task completed."""
    for visit_id in bench.visit_ids():
        bench.approved_result(visit_id)
    head = bench.side.head
    result_operations.complete_task(
        db.session, actor=actor_for(head), user=head, task=bench.task, today=COMPLETED_ON
    )
    db.session.commit()
    return bench


def correct_and_approve(db, bench: Bench, visit_id, reason="结果代码录入有误", **data):
    """A recorded correction of one section's approved result, edited and approved again."""
    from server.results import queries as result_queries

    office = bench.side.office
    sheet = result_queries.current_sheet(db.session, uuid.UUID(str(visit_id)), bench.task.id)
    result_operations.correct(
        db.session, actor=actor_for(office), user=office, sheet=sheet, reason=reason
    )
    db.session.commit()
    data = data or {"results": ("corrected",), "followups": [{"code": "rectify"}]}
    return bench.approve(bench.submit(bench.save(visit_id, **data)))


@dataclasses.dataclass
class Receiver:
    """What the local HTTP endpoint was sent, and the statuses it answers with (in order;
    the last one repeats)."""

    url: str
    statuses: list
    bodies: list = dataclasses.field(default_factory=list)
    headers: list = dataclasses.field(default_factory=list)


@pytest.fixture
def receiver():
    """A real HTTP server on 127.0.0.1 (a thread) that records POSTed JSON."""
    state = Receiver(url="", statuses=[200])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.bodies.append(json.loads(body))
            state.headers.append(dict(self.headers))
            status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/gsxt/results"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()
