"""The change sequence: a reader's cursor never passes a change that is not committed yet.

Writers run in their own sessions (as concurrent requests do); the reader is the pull endpoint.
On PostgreSQL two writers really overlap; on SQLite the database lock serialises writers, which
the second test shows as well.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from server.directory.models import Inspector, Subject
from sync import changes
from sync.feed_models import SyncChange
from tests.conftest import IS_POSTGRES
from tests.syncapi.conftest import ids, issue, nothing_changed
from tests.syncapi.test_pull import on_a_team


def _reader(db, scene, drawn_task, device, pull):
    issue(db, scene.a, drawn_task(scene.a))
    inspector, user = on_a_team(db, scene)
    token = device(user)
    body = pull(token, 0)
    subject_id = uuid.UUID(body["changes"]["visits"]["upserts"][0]["subject_id"])
    return inspector, token, body["cursor"], subject_id


def _last_seq(db, object_id) -> int:
    db.session.rollback()  # a fresh view of what others committed
    return db.session.scalar(
        select(func.max(SyncChange.seq)).where(SyncChange.object_id == object_id)
    )


def test_a_transaction_that_started_first_but_commits_last_is_not_skipped(
    db, scene, drawn_task, device, pull
):
    inspector, token, start, subject_id = _reader(db, scene, drawn_task, device, pull)
    engine = db.engine

    early = Session(engine)  # starts first, writes, commits last
    early.get(Subject, subject_id).address = "先开始、后提交的修改"
    early.flush()
    if IS_POSTGRES:  # a second writer overlaps it and commits first
        late = Session(engine)
        late.get(Inspector, inspector.id).credential_valid_until = dt.date(2031, 1, 1)
        late.commit()
        late.close()

    between = pull(token, start)  # the reader, while `early` is still open
    assert ids(between, "subjects") == set()  # the uncommitted change is not seen …
    if IS_POSTGRES:
        assert between["cursor"] == start + 1
        assert between["changes"]["credential"]["upserts"][0]["valid_until"] == "2031-01-01"
    else:
        assert nothing_changed(between) and between["cursor"] == start

    early.commit()  # … and its seq is above the cursor the reader was given
    early.close()
    assert _last_seq(db, subject_id) > between["cursor"]
    after = pull(token, between["cursor"])
    assert ids(after, "subjects") == {str(subject_id)}
    assert after["changes"]["subjects"]["upserts"][0]["address"] == "先开始、后提交的修改"


def test_a_writer_that_holds_a_sequence_value_makes_the_next_one_wait(
    db, scene, drawn_task, device, pull
):
    inspector, token, start, subject_id = _reader(db, scene, drawn_task, device, pull)
    engine = db.engine

    first = Session(engine)
    first.get(Subject, subject_id).address = "第一个事务"
    first.flush()
    first_seq = changes.stamp(first)  # holds the counter row until it commits
    assert changes.stamp(first) == first_seq  # one transaction, one value

    done, failures = threading.Event(), []
    inspector_id = inspector.id  # the test's session objects stay in this thread

    def second_writer():
        try:
            with Session(engine) as second:
                second.get(Inspector, inspector_id).credential_valid_until = dt.date(2032, 2, 2)
                second.commit()  # waits for `first` (its counter lock, or SQLite's write lock)
            done.set()
        except Exception as error:  # reported by the main thread
            failures.append(error)

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert not done.is_set()  # blocked behind `first`
    assert nothing_changed(pull(token, start))  # the reader sees neither yet
    first.commit()
    first.close()
    thread.join(timeout=20)
    assert not failures and done.is_set()

    assert _last_seq(db, subject_id) == first_seq
    assert _last_seq(db, inspector_id) == first_seq + 1  # values in commit order
    body = pull(token, start)
    assert body["cursor"] == first_seq + 1
    assert ids(body, "subjects") == {str(subject_id)}
    assert body["changes"]["credential"]["upserts"][0]["valid_until"] == "2032-02-02"


def test_changes_of_a_rolled_back_transaction_are_not_logged(db, scene, drawn_task, device, pull):
    inspector, token, start, subject_id = _reader(db, scene, drawn_task, device, pull)
    with Session(db.engine) as session:
        session.get(Subject, subject_id).address = "不会提交"
        session.flush()
        session.rollback()
        session.get(Inspector, inspector.id).name = "改名后"
        session.commit()
    assert _last_seq(db, subject_id) <= start  # nothing logged for the rolled-back change
    body = pull(token, start)
    assert body["cursor"] == start + 1
    assert "不会提交" not in {s["address"] for s in body["changes"]["subjects"]["upserts"]}
    # A new name shows on every team the inspector is on: those visits come again.
    assert body["changes"]["credential"]["upserts"][0]["name"] == "改名后"
    names = {m["name"] for v in body["changes"]["visits"]["upserts"] for s in v["sections"]
             for m in s["team"] if m["is_me"]}  # fmt: skip
    assert names == {"改名后"}


def test_a_pull_reads_one_snapshot_even_while_others_commit(db, scene, drawn_task, device, pull):
    inspector, token, start, subject_id = _reader(db, scene, drawn_task, device, pull)
    with changes.snapshot(db.engine) as snapshot:
        assert changes.current(snapshot)[0] == start  # the snapshot begins here
        with Session(db.engine) as writer:
            writer.get(Subject, subject_id).address = "读取期间提交的修改"
            writer.commit()
        assert changes.current(snapshot)[0] == start  # … and later commits stay invisible
        address = snapshot.scalar(select(Subject.address).where(Subject.id == subject_id))
        assert address != "读取期间提交的修改"
        if IS_POSTGRES:
            level = snapshot.execute(text("SHOW transaction_isolation")).scalar()
            assert level == "repeatable read"
    assert changes.current(db.session)[0] == start + 1
