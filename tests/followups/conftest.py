"""A department's task with approved results that carry follow-up measures (the results bench
of tests/results, reached through the real path: phone push, record review, result entry and
approval), and helpers that open the follow-ups as the results approval does.

Run: .venv/bin/pytest -n0 -q tests/followups   (add DATABASE_URL=postgresql+psycopg://… for PG)
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.auth.operations import actor_for
from server.followups import operations
from server.followups.models import FollowUp
from tests.conftest import ConsoleClient
from tests.results.conftest import bench as bench  # noqa: F401 - fixtures of that folder
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401
from tests.syncapi.conftest import scene as scene  # noqa: F401

MEASURES = [
    {"code": "rectify", "status": "open"},
    {"code": "notify_other", "status": "open"},
]


def browser(app, user) -> ConsoleClient:
    client = ConsoleClient(app.test_client())
    assert client.login(user.username).status_code == 302
    return client


def approve_with(bench, visit_id, followups=MEASURES, results=("pending",)):
    """Record approved, a result with these measures entered, submitted and approved."""
    bench.approved_section(visit_id)
    sheet = bench.save(visit_id, results=results, followups=followups)
    return bench.approve(bench.submit(sheet))


def open_followups(db, bench, sheet) -> list[FollowUp]:
    """What the results approval does once it calls the hook (then the request commits)."""
    created = operations.open_for_sheet(db.session, actor_for(bench.side.head), sheet)
    db.session.commit()
    return created


@pytest.fixture
def opened(db, bench):
    """One section approved with 责令限期整改 and 抄告其他部门; its follow-ups opened."""
    sheet = approve_with(bench, bench.visit_ids()[0])
    open_followups(db, bench, sheet)
    rows = list(db.session.scalars(select(FollowUp).order_by(FollowUp.code)))
    return {f.code: f for f in rows}
