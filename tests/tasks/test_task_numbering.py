"""Task numbers: a per-year sequence given at submission, without gaps, unique under concurrency."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from server.audit.operations import SYSTEM
from server.auth.operations import actor_for as actor_of
from server.tasks import operations
from server.tasks.models import Task


def _submit(db, bureau, task):
    operations.submit(db.session, task, actor=actor_of(bureau.owner), user=bureau.owner)
    db.session.commit()
    return task.number


def test_a_draft_has_no_number_until_it_is_submitted(db, bureau, make_task):
    task = make_task()
    assert task.number is None
    assert _submit(db, bureau, task) == "威经区商务抽查〔2026〕1号"


def test_numbers_follow_submission_order_and_restart_each_year(db, bureau, make_task):
    first, second = make_task(), make_task()
    next_year = make_task(year="2027", window_start="2027-03-01", window_end="2027-04-30")
    assert _submit(db, bureau, second) == "威经区商务抽查〔2026〕1号"
    assert _submit(db, bureau, next_year) == "威经区商务抽查〔2027〕1号"
    assert _submit(db, bureau, first) == "威经区商务抽查〔2026〕2号"


def test_a_deleted_draft_leaves_no_gap(db, bureau, make_task):
    abandoned, kept = make_task(), make_task()
    operations.delete_draft(db.session, actor=SYSTEM, user=bureau.owner, task=abandoned)
    db.session.commit()
    assert _submit(db, bureau, kept) == "威经区商务抽查〔2026〕1号"


def test_the_prefix_comes_from_the_bureau_short_name(app, db, bureau, make_task):
    app.config["BUREAU_SHORT_NAME"] = "威经区"
    assert _submit(db, bureau, make_task()) == "威经区抽查〔2026〕1号"


def test_two_submissions_at_once_get_different_numbers(app, db, bureau, make_task):
    ids = [make_task().id, make_task().id]
    owner_id = bureau.owner.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def submit(task_id):
        try:
            with app.app_context(), Session(db.engine) as session:
                from server.auth.models import User

                task, owner = session.get(Task, task_id), session.get(User, owner_id)
                barrier.wait(timeout=10)
                operations.submit(session, task, actor=actor_of(owner), user=owner)
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.get(Task, i).seq for i in ids)
    assert numbers == [1, 2]
