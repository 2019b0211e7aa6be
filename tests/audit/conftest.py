"""Fixtures of the audit tests: a chain of events, and a way to tamper with it as an attacker."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import text

from server.audit import guard
from server.audit.operations import CLI, record


@pytest.fixture
def chain(db):
    """Append `n` committed events (seq 1..n) through the normal writer."""

    def append(n: int = 6, **fields):
        events = [
            record(
                db.session,
                actor=CLI,
                action=fields.get("action", "test.write"),
                object_type=fields.get("object_type", "thing"),
                object_id=f"obj-{i}",
                state={"i": i, "name": f"第{i}个"},
                details={"i": i},
            )
            for i in range(n)
        ]
        db.session.commit()
        return events

    return append


@pytest.fixture
def tamper(db):
    """A raw connection past the append-only guard, as a database superuser could open one.

    SQLite: drop the triggers first. PostgreSQL: `session_replication_role = replica`, which a
    superuser may set and which skips ordinary triggers — exactly the bypass `verify` exists for.
    """

    @contextlib.contextmanager
    def connection():
        db.session.commit()
        db.session.close()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                guard.uninstall(conn)
            yield conn
        db.session.expire_all()

    return connection
