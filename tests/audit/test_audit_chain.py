"""The chain's writer and its database guard: digests, contiguous seqs, append-only tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid

import pytest
import rfc8785
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from server.audit.chain import GENESIS_HASH, event_body, event_hash
from server.audit.models import AuditEvent
from server.audit.operations import CLI, record, verify_chain


def test_state_digest_is_the_sha256_of_the_rfc8785_canonical_state(db):
    object_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    state = {"name": "威海", "b": 1, "day": dt.date(2026, 10, 10), "id": object_id, "x": None}
    event = record(db.session, actor=CLI, action="t.x", object_type="thing", state=state)
    # RFC 8785: keys sorted by UTF-16 code units, no whitespace, UTF-8 text as is.
    canonical = (
        '{"b":1,"day":"2026-10-10","id":"12345678-1234-5678-1234-567812345678",'
        '"name":"威海","x":null}'
    ).encode()
    assert rfc8785.dumps({**state, "day": "2026-10-10", "id": str(object_id)}) == canonical
    assert event.state_digest == hashlib.sha256(canonical).hexdigest()


def test_first_event_links_to_genesis_and_each_next_to_the_one_before(db):
    first = record(db.session, actor=CLI, action="t.a", object_type="thing")
    second = record(db.session, actor=CLI, action="t.b", object_type="thing")
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    body = event_body(
        seq=2,
        at=second.at,
        actor_id=None,
        actor_label="cli",
        action="t.b",
        object_type="thing",
        object_id=None,
        state_digest=None,
        details={},
    )
    assert second.hash == event_hash(first.hash, body)


def test_concurrent_appends_produce_contiguous_seqs_and_an_intact_chain(app, db):
    """Writers racing for the head never fork the chain.

    PostgreSQL serialises them with an advisory lock (no writer ever has to retry); SQLite
    allows one writer and the seq primary key refuses a duplicate, so a loser retries, as a
    job would.
    """
    threads_n, per_thread = 4, 8
    barrier = threading.Barrier(threads_n)
    retries, failures = [], []

    def writer(k: int) -> None:
        from server.extensions import db as thread_db

        try:
            with app.app_context():
                barrier.wait()
                for i in range(per_thread):
                    while True:
                        try:
                            record(
                                thread_db.session,
                                actor=CLI,
                                action="t.race",
                                object_type="thing",
                                object_id=f"{k}-{i}",
                            )
                            thread_db.session.commit()
                            break
                        except (IntegrityError, OperationalError):
                            thread_db.session.rollback()
                            retries.append(k)
                thread_db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported to the main thread below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    seqs = db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, threads_n * per_thread + 1))
    assert verify_chain(db.session) == (threads_n * per_thread, None)
    if db.engine.dialect.name == "postgresql":
        assert retries == []


def _refused(db, statement: str) -> str:
    db.session.commit()
    with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
        conn.execute(text(statement))
    return str(caught.value)


def test_update_of_an_audit_row_is_refused_by_the_database(db, chain):
    chain(2)
    message = _refused(db, "UPDATE audit_events SET action = 'x' WHERE seq = 1")
    assert "append-only" in message and "UPDATE" in message


def test_delete_of_an_audit_row_is_refused_by_the_database(db, chain):
    chain(2)
    message = _refused(db, "DELETE FROM audit_events WHERE seq = 2")
    assert "append-only" in message and "DELETE" in message


def test_emptying_the_audit_table_is_refused_by_the_database(db, chain):
    chain(2)
    # PostgreSQL: TRUNCATE has its own statement trigger. SQLite has no TRUNCATE; its
    # equivalent, an unqualified DELETE, meets the row trigger.
    statement = (
        "TRUNCATE audit_events"
        if db.engine.dialect.name == "postgresql"
        else "DELETE FROM audit_events"
    )
    message = _refused(db, statement)
    assert "append-only" in message
    assert db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) == 2
