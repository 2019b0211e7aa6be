"""The change feed behind sync v1 "Pull": a strictly increasing sequence and a change log.

The contract: "every write that a client may need stamps the next value in the same
transaction, so a reader never skips a late commit". A reader's cursor is the sequence value
its snapshot saw; next time it asks for the changes with seq > cursor. That only works if no
transaction can ever commit a seq ≤ a value some reader has already seen.

Why not a database sequence (or an autoincrement id)? `nextval()` is handed out when a
transaction *asks*, not when it commits, and it is not transactional. T1 takes 5, T2 takes 6,
T2 commits, a reader sees 6 and returns cursor 6; then T1 commits with 5 — below the cursor,
skipped forever. The same holds for max(id) of an autoincrement table.

Instead there is one counter row (`sync_counter`), incremented with
`INSERT … ON CONFLICT (id) DO UPDATE SET value = value + 1 RETURNING value` at the end of each
writing transaction (`before_commit`). The row lock that UPDATE takes is held until commit, so a
second writer waits on it until the first has committed, and values are given out in commit
order. A reader (REPEATABLE READ on PostgreSQL, an explicit BEGIN in WAL mode on SQLite) that
sees value N therefore sees every transaction with seq ≤ N, and none with a larger one. Taking
the value at commit time (not at the first change) keeps the lock for the shortest time: only
the change-log INSERT and the COMMIT itself are serialised. One transaction uses one value
(`stamp` caches it in `session.info` for the current transaction), so a client never sees half
a transaction. On SQLite writers are serialised by the database lock anyway; the same statement
works there (3.35+ has RETURNING).

What is logged: ORM flushes of the syncable models are watched by a `before_flush` hook, which
only collects (collection, object id, target user, op) tuples in `session.info`; the rows are
written in one bulk INSERT at commit. Bulk writes that bypass the ORM (COPY of a draw's teams
and visits) call `record()` themselves. The pull (server/syncapi/pull.py) expands a change of a
task to the reader's visits of that task, so a draw of 50,000 visits logs one row, not 50,000.

Deletes are addressed: when a visit's team, tasks or state change, the people on its team
*before* the change (read from the database before the flush writes) get a delete addressed to
them, for the visit and for its subject and tasks. The pull sends such a delete only if the
object has really left the reader's scope (else it is an upsert), so a delete never names an
object another inspector still holds, and an inspector never learns ids of visits that were
never theirs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable, Iterator

from sqlalchemy import and_, delete, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from server.directory.models import Inspector, Subject
from server.draws.models import Draw, DrawAssignment
from server.items.models import Item, ItemVersion
from server.orm import new_id, utcnow
from server.tasks.models import ChecklistQuestion, ChecklistTemplate, Task, TaskItem
from server.visits.models import Visit, VisitTask
from server.visits.record_models import VisitRecord
from server.visits.review_models import ReviewComment
from sync.feed_models import DELETE, UPSERT, SyncChange, SyncCounter

# Collections of the change log (the pull's collections are derived from them).
# INSPECTORS: an inspector's credential changed; MEMBERS: what teams show of them (name,
# credential number) changed, so the visits whose teams they are on are sent again.
# RECORDS / COMMENTS: a visit record (written on a phone, returned by a reviewer) and a review
# comment; the pull sends them to everyone on the visit's team.
VISITS, TASKS, SUBJECTS, ITEMS, CHECKLISTS, INSPECTORS, MEMBERS, RECORDS, COMMENTS = (
    "visits", "tasks", "subjects", "items", "checklists", "inspectors", "members", "records",
    "comments",
)  # fmt: skip
COLLECTIONS = frozenset(
    {VISITS, TASKS, SUBJECTS, ITEMS, CHECKLISTS, INSPECTORS, MEMBERS, RECORDS, COMMENTS}
)

COUNTER_ID = 1
DEFAULT_RETENTION_DAYS = 90

_PENDING = "sync_changes.pending"
_STAMP = "sync_changes.stamp"
CHUNK = 1000


# ---------------------------------------------------------------- the sequence


def stamp(session: Session) -> int:
    """The sequence value of the session's current transaction (taken on first use).

    Takes the counter row's lock until the transaction ends: call it as late as possible. The
    commit hook calls it; tests call it directly to show the ordering.
    """
    root = session.get_transaction()
    cached = session.info.get(_STAMP)
    if cached is not None and cached[0] is root:
        return cached[1]
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SyncCounter)
        .values(id=COUNTER_ID, value=1, floor=0)
        .on_conflict_do_update(
            index_elements=[SyncCounter.id], set_={"value": SyncCounter.value + 1}
        )
        .returning(SyncCounter.value)
    )
    value = session.execute(statement).scalar_one()
    session.info[_STAMP] = (root, value)
    return value


def current(session: Session) -> tuple[int, int]:
    """(last committed seq, floor of the retained log) as the session's snapshot sees them."""
    row = session.execute(
        select(SyncCounter.value, SyncCounter.floor).where(SyncCounter.id == COUNTER_ID)
    ).first()
    return (row.value, row.floor) if row else (0, 0)


# ---------------------------------------------------------------- recording


def _pending(session: Session) -> set:
    return session.info.setdefault(_PENDING, set())


def record(
    session: Session,
    collection: str,
    ids: Iterable,
    op: str = UPSERT,
    user_ids: Iterable | None = None,
) -> None:
    """Log that objects changed, for writes the flush hook cannot see (bulk INSERT / COPY).

    Written with the transaction's sequence value when it commits. `user_ids`: address a
    delete to these users only (an upsert is never addressed).
    """
    if collection not in COLLECTIONS or op not in (UPSERT, DELETE):
        raise ValueError(f"unknown change {collection}/{op}")
    pending = _pending(session)
    targets = [_uuid(u) for u in user_ids] if user_ids is not None else [None]
    for object_id in ids:
        key = _uuid(object_id)
        for user_id in targets:
            pending.add((collection, key, user_id, op))


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _id(obj) -> uuid.UUID:
    """The object's id, minted now if the flush would mint it (the UUIDPrimaryKey default)."""
    if obj.id is None:
        obj.id = new_id()
    return obj.id


def _values(obj, column: str) -> set:
    """A column's current value and the value this flush replaces (loaded if expired)."""
    values = {getattr(obj, column), *get_history(obj, column).deleted}
    return {v for v in values if v is not None}


def _related_ids(obj, column: str, relation: str) -> set:
    """Ids a many-to-one points at, by its column and by its (not yet synced) relationship."""
    ids = _values(obj, column)
    history = get_history(obj, relation, passive=PASSIVE_NO_INITIALIZE)
    related = {*history.added, *history.unchanged, *history.deleted, obj.__dict__.get(relation)}
    ids.update(_id(r) for r in related if r is not None)
    return ids


@event.listens_for(Session, "before_flush")
def _collect(session: Session, flush_context, instances) -> None:
    """Note which syncable objects this flush writes (cheap: no rows are written here)."""
    touched = [
        (state, obj)
        for state, objects in (
            ("new", session.new),
            ("dirty", session.dirty),
            ("deleted", session.deleted),
        )
        for obj in objects
        if isinstance(obj, _WATCHED)
    ]
    if not touched:
        return
    with session.no_autoflush:  # reading a value of an expired object must not flush again
        _collect_touched(session, touched)


def _collect_touched(session: Session, touched: list) -> None:
    pending = _pending(session)
    visits: set[uuid.UUID] = set()
    pairs: set[tuple] = set()  # (draw_id or None, subject_id) of changed team rows
    subjects: set[uuid.UUID] = set()
    for state, obj in touched:
        if state == "dirty" and not session.is_modified(obj):
            continue
        is_new = state == "new"
        if isinstance(obj, Visit):
            visits.add(_id(obj))
        elif isinstance(obj, VisitTask):
            visits.update(_related_ids(obj, "visit_id", "visit"))
        elif isinstance(obj, DrawAssignment):
            draws = _values(obj, "draw_id") or {None}
            pairs.update((d, s) for d in draws for s in _values(obj, "subject_id"))
        elif isinstance(obj, Draw):
            # Team rows removed from (or added to) draw.assignments: a removed row is deleted
            # as an orphan during the flush, so it is never in session.deleted here.
            history = get_history(obj, "assignments", passive=PASSIVE_NO_INITIALIZE)
            pairs.update((obj.id, a.subject_id) for a in (*history.added, *history.deleted))
        elif isinstance(obj, Task | TaskItem):
            # A new task is not issued yet; a new item line makes its task dirty as well.
            task_ids = {obj.id} if isinstance(obj, Task) else _values(obj, "task_id")
            if not is_new:
                pending.update((TASKS, t, None, UPSERT) for t in task_ids if t is not None)
        elif isinstance(obj, Subject):
            if not is_new:  # a new subject has no visit yet (imports create thousands)
                subjects.add(obj.id)
        elif isinstance(obj, Item | ItemVersion):
            item_ids = {obj.id} if isinstance(obj, Item) else _values(obj, "item_id")
            if not is_new:  # tasks pin versions: a new version changes no issued task
                pending.update((ITEMS, i, None, UPSERT) for i in item_ids)
        elif isinstance(obj, ChecklistTemplate):
            if not is_new:
                pending.add((CHECKLISTS, obj.id, None, UPSERT))
        elif isinstance(obj, ChecklistQuestion):
            for template_id in _related_ids(obj, "template_id", "template"):
                pending.add((CHECKLISTS, template_id, None, UPSERT))
        elif isinstance(obj, VisitRecord):
            pending.add((RECORDS, _id(obj), None, UPSERT))
        elif isinstance(obj, ReviewComment):
            pending.add((COMMENTS, _id(obj), None, UPSERT))
        # A new inspector is on no team yet, but their own credential goes to their phone.
        elif isinstance(obj, Inspector) and (not is_new or obj.user_id is not None):
            pending.add((INSPECTORS, _id(obj), None, UPSERT))
            if not is_new and any(
                get_history(obj, shown).has_changes() for shown in ("name", "credential_no")
            ):
                pending.add((MEMBERS, obj.id, None, UPSERT))
    if subjects:
        pending.update((SUBJECTS, s, None, UPSERT) for s in _visited(session, subjects))
    if visits or pairs:
        _visit_changes(session, pending, visits, pairs)


def _visited(session: Session, subject_ids: set) -> set:
    """The subjects among these that have a visit (only those can be on a phone)."""
    found, ids = set(), list(subject_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(session.scalars(select(Visit.subject_id).where(Visit.subject_id.in_(chunk))))
    return found


def _visit_changes(session: Session, pending: set, visits: set, pairs: set) -> None:
    """Upsert every visit touched; address deletes to everyone on their teams before the flush.

    Runs before the flush writes, so the database still holds the old links and teams.
    """
    subjects = {s for _, s in pairs}
    wanted = []
    if visits:
        wanted.append(VisitTask.visit_id.in_(visits))
    if subjects:
        wanted.append(VisitTask.subject_id.in_(subjects))
    stmt = (
        select(
            VisitTask.visit_id,
            VisitTask.task_id,
            VisitTask.draw_id,
            VisitTask.subject_id,
            Visit.subject_id.label("visit_subject_id"),
            Inspector.user_id,
        )
        .join(Visit, Visit.id == VisitTask.visit_id)
        .outerjoin(
            DrawAssignment,
            and_(
                DrawAssignment.draw_id == VisitTask.draw_id,
                DrawAssignment.subject_id == VisitTask.subject_id,
            ),
        )
        .outerjoin(Inspector, Inspector.id == DrawAssignment.inspector_id)
        .where(or_(*wanted))
    )
    for row in session.execute(stmt):
        if row.visit_id not in visits and (
            (row.draw_id, row.subject_id) not in pairs and (None, row.subject_id) not in pairs
        ):
            continue  # another draw's section of the same subject: its team did not change
        pending.add((VISITS, row.visit_id, None, UPSERT))
        if row.user_id is not None:
            pending.add((VISITS, row.visit_id, row.user_id, DELETE))
            pending.add((TASKS, row.task_id, row.user_id, DELETE))
            pending.add((SUBJECTS, row.visit_subject_id, row.user_id, DELETE))
    pending.update((VISITS, v, None, UPSERT) for v in visits)


_WATCHED = (
    Visit,
    VisitTask,
    DrawAssignment,
    Draw,
    Task,
    TaskItem,
    Subject,
    Item,
    ItemVersion,
    ChecklistTemplate,
    ChecklistQuestion,
    Inspector,
    VisitRecord,
    ReviewComment,
)


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    """At the outermost commit: take the next sequence value and write the collected rows."""
    if session.in_nested_transaction():
        return  # a savepoint: its changes are written with the enclosing transaction
    session.flush()  # the last flush's changes are collected by _collect
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    seq = stamp(session)
    now = utcnow()
    rows = [
        {"seq": seq, "collection": c, "object_id": o, "user_id": u, "op": op, "at": now}
        for c, o, u, op in pending
    ]
    session.execute(SyncChange.__table__.insert(), rows)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or not)
        session.info.pop(_PENDING, None)
        session.info.pop(_STAMP, None)


# ---------------------------------------------------------------- reading and compaction


@contextlib.contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only Session on one consistent snapshot of the database, rolled back at the end.

    PostgreSQL: REPEATABLE READ (every statement sees the database as of the first one).
    SQLite: pysqlite runs each SELECT outside a transaction unless told otherwise, so an
    explicit BEGIN makes the WAL snapshot of the first read last for the whole pull.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" (no extra round trip).
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        try:
            with Session(bind=connection, autoflush=False) as session:
                yield session
        finally:
            connection.rollback()


def compact(session: Session, *, retention: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete change rows older than `retention`; raise the floor to the last one deleted.

    A cursor below the floor can no longer be continued: such a pull answers reset. Returns the
    number of rows deleted. The caller commits.
    """
    cutoff = (now or utcnow()) - retention
    last = session.scalar(select(func.max(SyncChange.seq)).where(SyncChange.at < cutoff))
    if last is None:
        return 0
    deleted = session.execute(delete(SyncChange).where(SyncChange.seq <= last)).rowcount
    session.execute(
        update(SyncCounter)
        .where(SyncCounter.id == COUNTER_ID, SyncCounter.floor < last)
        .values(floor=last)
    )
    return deleted
