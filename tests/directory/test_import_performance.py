"""Imports look rows up by the chunk, not one query per row (what keeps 10,000 rows fast)."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from server.audit.operations import CLI
from server.directory import importer
from server.directory.import_reader import Limits
from tests.directory import import_support
from tests.directory.import_support import csv_bytes, subject_row

world = import_support.world

ROWS = 300


@contextlib.contextmanager
def statements(engine):
    """Count the SQL statements sent while the block runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _import(db, data: bytes) -> importer.Report:
    report = importer.run_import(
        db.session, actor=CLI, kind="subjects", data=data, filename="x.csv", limits=Limits()
    )
    db.session.commit()
    return report


def test_creating_rows_costs_a_fixed_handful_of_statements_per_row(db, world):
    data = csv_bytes([subject_row(n) for n in range(1, ROWS + 1)])

    with statements(db.engine) as seen:
        report = _import(db, data)

    assert report.counts["created"] == ROWS
    # Per row: duplicate check, subject, scope, tag, chain head, audit event (+ on PostgreSQL
    # the chain's advisory lock).
    assert len(seen) <= 7 * ROWS + 50, len(seen)


def test_reimporting_unchanged_rows_needs_no_query_per_row(db, world):
    data = csv_bytes([subject_row(n) for n in range(1, ROWS + 1)])
    _import(db, data)
    db.session.expunge_all()

    with statements(db.engine) as seen:
        report = _import(db, data)

    assert report.counts["unchanged"] == ROWS
    assert len(seen) < 60, len(seen)
