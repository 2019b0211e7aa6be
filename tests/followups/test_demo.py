"""The demo seed of follow-ups: opened, one closed, one clue handed over (sent, received);
idempotent.

Run: .venv/bin/pytest -n0 -q tests/followups/test_demo.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

from sqlalchemy import func, select

from server.audit.operations import CLI
from server.followups.demo import seed_followups
from server.followups.models import CLOSED, OPEN, T_RECEIVED, FollowUp, Transfer
from server.jobs import queue
from server.uploads.views import storage
from tests.followups.conftest import approve_with


def count_open(db) -> int:
    return len(db.session.scalars(select(FollowUp)).all())


def test_the_demo_opens_closes_and_hands_over_once(db, app, bench):
    approve_with(bench, bench.visit_ids()[0], followups=[{"code": "rectify"}])
    approve_with(bench, bench.visit_ids()[1], followups=[{"code": "notify_other"}])
    users = {u.username: u for u in (bench.side.office, bench.side.head, bench.scene.b.office)}
    created = seed_followups(db.session, CLI, bench.task, users)  # as `seed-demo` runs it
    db.session.commit()
    assert queue.run_due(db.session) == {"done": 1}  # the letter, as `flask jobs run` makes it
    items = len(bench.task.items)
    # The approvals opened the follow-ups already; the demo closes one and hands one over.
    assert created["followups"] == 0 and count_open(db) == 2 * items
    assert created["followups_closed"] == 1 and created["transfers"] == 1
    statuses = dict(
        db.session.execute(select(FollowUp.status, func.count()).group_by(FollowUp.status)).all()
    )
    assert statuses == {CLOSED: 1, OPEN: 2 * items - 1}
    transfer = db.session.scalars(select(Transfer)).one()
    assert transfer.status == T_RECEIVED and transfer.sent_on and transfer.received_on
    assert storage().read(transfer.letter_key).startswith(b"%PDF")
    again = seed_followups(db.session, CLI, bench.task, users)
    db.session.commit()
    assert not +again  # nothing new
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 2 * items
