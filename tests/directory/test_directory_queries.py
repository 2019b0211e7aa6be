"""List queries: a fixed number of statements per page, whatever the page holds (no N+1)."""

from __future__ import annotations

import pytest
from sqlalchemy import event


@pytest.fixture
def statements(db):
    """Count the SQL statements run while the block runs: `with statements() as seen: ...`."""
    import contextlib

    @contextlib.contextmanager
    def counting():
        seen: list[str] = []

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


def page_statements(client, statements, path: str) -> int:
    with statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def test_subject_list_statement_count_does_not_grow_with_rows(
    signed_in, statements, make_subject, make_department
):
    client = signed_in("back_office")
    dept = make_department()
    make_subject(departments=[dept], tags=["甲"], risk_flags=["abnormal"])
    one = page_statements(client, statements, "/subjects")
    for _ in range(12):
        make_subject(departments=[dept], tags=["乙"], risk_flags=["dishonest"])
    assert page_statements(client, statements, "/subjects") == one


def test_inspector_list_statement_count_does_not_grow_with_rows(
    signed_in, statements, make_inspector
):
    client = signed_in("back_office")
    make_inspector(expertise=["成品油"])
    one = page_statements(client, statements, "/inspectors")
    for _ in range(12):
        make_inspector(expertise=["典当"])
    assert page_statements(client, statements, "/inspectors") == one


def test_conflict_list_statement_count_does_not_grow_with_rows(
    signed_in, db, statements, make_inspector, make_subject
):
    from server.audit.operations import SYSTEM
    from server.directory.operations import register_conflict

    client = signed_in("back_office")
    inspector = make_inspector()

    def add():
        register_conflict(
            db.session, actor=SYSTEM, inspector=inspector, subject=make_subject(), kind="other"
        )
        db.session.commit()

    add()
    one = page_statements(client, statements, "/conflicts")
    for _ in range(8):
        add()
    assert page_statements(client, statements, "/conflicts") == one
