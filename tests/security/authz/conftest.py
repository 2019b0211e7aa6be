"""One seeded bureau shared by the whole authorization matrix, restored after every write.

The root `app` fixture builds a fresh database per test; ~1,500 requests on a fresh demo bureau
each would take an hour, so this folder builds its own app once per module on the same schema
template (`_schema`), runs `flask seed-demo` (a finished task with visits, records, evidence,
results, a publication, objections, follow-ups and a transfer: ~4 s), signs everybody in and
takes a snapshot. A write that may have committed (status < 400: server/transactions.py rolls
back everything else) is followed by `world.restore()`, so every case sees the same bureau.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from server import create_app
from server.auth.bearer import new_token
from server.auth.models import Department, Device, User
from server.auth.operations import actor_for
from server.directory.models import Conflict, Inspector, Subject, SubjectScope
from server.draws.models import Draw
from server.draws.replacement_models import ReplacementRequest
from server.extensions import db as _db
from server.followups.models import FollowUp, Transfer
from server.items.models import Item
from server.objections.models import Objection, ObjectionAttachment, ObjectionSheet
from server.orm import Base
from server.plans.models import AnnualPlan, PlanLine
from server.publication.models import Publication, PublicationJob
from server.results.demo import finished_task
from server.results.models import ResultSheet
from server.tasks import operations as task_ops
from server.tasks.models import ChecklistTemplate, Task
from server.visits.models import MergeProposal, VisitTask
from server.visits.record_models import VisitRecord
from sync.models import Media, Upload
from tests.conftest import DEMO_PASSWORD, IS_POSTGRES, ConsoleClient, IsolatedClient
from tests.dbtools import clear_postgres
from tests.security.authz.matrix import OTHER, OWN

SNAPSHOT_SCHEMA = "authz_snapshot"


def _counted_tables() -> list[str]:
    """Tables whose row counts show a refused write left nothing behind."""
    return [t.name for t in Base.metadata.sorted_tables if t.name != "codes"]


# One statement, not ~60: it runs twice around each of ~1,000 refused writes.
FOOTPRINT = " UNION ALL ".join(
    [f"SELECT '{name}', count(*) FROM \"{name}\"" for name in _counted_tables()]  # noqa: S608
    + ["SELECT 'audit head', coalesce(max(seq), 0) FROM audit_events"]
)


@dataclasses.dataclass
class World:
    app: Flask
    url: str
    db_path: Path | None
    instance: Path
    snapshot: Path
    clients: dict[str, ConsoleClient]
    cookies: dict[str, str | None]
    ids: dict[str, str]

    # ---- snapshot and restore -------------------------------------------------------------

    def take_snapshot(self) -> None:
        _db.session.remove()
        if self.db_path is not None:
            with _db.engine.begin() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            _db.engine.dispose()
            shutil.copyfile(self.db_path, self.snapshot / "world.db")
        else:
            with _db.engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}"))
                for name in _counted_tables():
                    conn.execute(
                        text(f'CREATE TABLE {SNAPSHOT_SCHEMA}."{name}" AS TABLE public."{name}"')
                    )
        shutil.copytree(self.instance, self.snapshot / "instance")
        name = self.app.config["SESSION_COOKIE_NAME"]
        cookies = {who: client.get_cookie(name) for who, client in self.clients.items()}
        self.cookies = {who: (c.value if c else None) for who, c in cookies.items()}

    def restore(self) -> None:
        """Put the bureau, its files and every browser's session back as they were."""
        _db.session.remove()
        if self.db_path is not None:
            _db.engine.dispose()
            for suffix in ("-wal", "-shm"):
                Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.snapshot / "world.db", self.db_path)
        else:
            with _db.engine.begin() as conn:
                # Replica mode skips foreign keys and the audit table's append-only triggers,
                # exactly as tests/dbtools.py does between tests.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for name in reversed(_counted_tables()):
                    # Our own table names, from the metadata: S608 does not apply.
                    conn.execute(text(f'DELETE FROM public."{name}"'))  # noqa: S608
                for name in _counted_tables():
                    source = f'{SNAPSHOT_SCHEMA}."{name}"'
                    copy = f'INSERT INTO public."{name}" SELECT * FROM {source}'  # noqa: S608
                    conn.execute(text(copy))
        shutil.rmtree(self.instance)
        shutil.copytree(self.snapshot / "instance", self.instance)
        for name, client in self.clients.items():
            self.reset_cookie(name, client)

    def reset_cookie(self, name: str, client: ConsoleClient) -> None:
        value, cookie = self.cookies.get(name), self.app.config["SESSION_COOKIE_NAME"]
        if value is None:
            client.delete_cookie(cookie)
        else:
            client.set_cookie(cookie, value)

    # ---- what a refused write must leave untouched ----------------------------------------

    def footprint(self) -> dict[str, int]:
        """Row count of every table and the audit trail's head, in one round trip."""
        _db.session.remove()
        with _db.engine.connect() as conn:
            rows = conn.execute(text(FOOTPRINT)).all()
        return dict(rows)


def _database(schema_url: str, folder: Path) -> tuple[str, Path | None]:
    if IS_POSTGRES:
        clear_postgres(schema_url)
        return schema_url, None
    path = folder / "world.db"
    shutil.copyfile(schema_url, path)
    return f"sqlite:///{path}", path


def _drop_snapshot(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE"))
    engine.dispose()


def _browser(app: Flask, username: str | None = None, token: str | None = None) -> ConsoleClient:
    """A browser with a CSRF token (signed in as `username`, or carrying a device token)."""
    browser = ConsoleClient(app.test_client())
    if username is not None:
        response = browser.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    else:
        browser.refresh_csrf("/login")
    if token is not None:
        browser.client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return browser


def _ids(session) -> dict[str, str]:
    """The ids the paths and forms name: department A's (商贸流通科, the finished task's)."""
    task = finished_task(session)
    assert task is not None, "seed-demo made no finished task"
    dept = session.get(Department, task.department_id)
    users = {u.username: u for u in session.scalars(select(User))}
    # A record lead1 (the inspector principal, the team's lead) made on the finished task.
    record = session.scalars(
        select(VisitRecord).where(
            VisitRecord.task_id == task.id, VisitRecord.user_id == users["lead1"].id
        )
    ).first()
    sheet = session.scalars(select(ResultSheet).where(ResultSheet.task_id == task.id)).first()
    draw = session.scalars(select(Draw).where(Draw.task_id == task.id)).one()
    plan = session.scalars(
        select(AnnualPlan)
        .where(AnnualPlan.department_id == dept.id)
        .order_by(AnnualPlan.year.desc())
    ).first()
    line = session.scalars(select(PlanLine).where(PlanLine.plan_id == plan.id)).first()
    # The objection that came with an attachment (the demo's paper one).
    attachment = session.scalars(select(ObjectionAttachment)).first()
    objection = session.get(Objection, attachment.objection_id) if attachment else None
    followup = session.scalars(select(FollowUp).where(FollowUp.task_id == task.id)).first()
    transfer = session.scalars(select(Transfer).where(Transfer.department_id == dept.id)).one()
    publication = session.scalars(select(Publication).where(Publication.task_id == task.id)).one()
    job = session.scalars(select(PublicationJob)).first()
    media = session.scalars(select(Media).where(Media.record_id == record.id)).first()
    # The phone principal is lead1's: an upload of lead1's is its own.
    upload = session.scalars(select(Upload).where(Upload.user_id == users["lead1"].id)).first()
    replacement = session.scalars(
        select(ReplacementRequest).where(ReplacementRequest.department_id == dept.id)
    ).first()
    proposal = session.scalars(select(MergeProposal)).first()
    item = session.scalars(
        select(Item).where(Item.department_id == dept.id, Item.is_retired.is_(False))
    ).first()
    template = session.scalars(
        select(ChecklistTemplate).where(ChecklistTemplate.department_id == dept.id)
    ).first()
    inspector = session.scalars(
        select(Inspector).where(Inspector.user_id == users["inspector1"].id)
    ).one()
    subject = session.scalars(
        select(Subject)
        .join(VisitTask, VisitTask.subject_id == Subject.id)
        .where(VisitTask.visit_id == record.visit_id)
    ).first()
    # A conflict on a subject department A alone oversees: one another department also oversees
    # is that head's to end too (`may_end_conflict`), and `.first()` without an order picked
    # either on PostgreSQL.
    only_a = (
        select(SubjectScope.subject_id).group_by(SubjectScope.subject_id).having(func.count() == 1)
    )
    conflict = session.scalars(
        select(Conflict)
        .join(SubjectScope, SubjectScope.subject_id == Conflict.subject_id)
        .where(SubjectScope.department_id == dept.id, Conflict.subject_id.in_(only_a))
        .order_by(Conflict.inspector_id != inspector.id, Conflict.id)
    ).first()
    for name, value in {
        "record": record, "sheet": sheet, "plan": plan, "line": line, "objection": objection,
        "attachment": attachment, "followup": followup, "media": media, "upload": upload,
        "replacement": replacement, "proposal": proposal, "item": item, "template": template,
        "subject": subject, "conflict": conflict, "job": job,
    }.items():  # fmt: skip
        assert value is not None, f"seed-demo made no {name} for the matrix"
    absent = str(uuid.UUID(int=7))  # no such row: the role gate still answers first
    # The returned task the world fixture reopened.
    draft = session.scalars(
        select(Task).where(Task.department_id == dept.id, Task.state == "draft")
    ).first()
    assert draft is not None, f"seed-demo's tasks of {dept.code} changed"
    # A subject in department A's scope only: another head's flags must not reach it.
    own_subject = session.scalars(
        select(Subject)
        .join(SubjectScope, SubjectScope.subject_id == Subject.id)
        .where(SubjectScope.department_id == dept.id, Subject.id.in_(only_a))
    ).first()
    assert own_subject is not None, "no subject of department A's scope alone"
    disputed = session.scalars(
        select(ObjectionSheet.sheet_id).where(ObjectionSheet.objection_id == objection.id)
    ).first()
    assert disputed is not None, "the demo's objection disputes no result sheet"
    return {
        "absent": absent,
        "disputed_sheet_id": str(disputed),
        "draft_task_id": str(draft.id),
        "dept_id": str(dept.id),
        "user_id": str(users["inspector1"].id),
        "day": "2026-10-08",
        "use_id": absent,
        "uscc": subject.uscc,
        "draw_id": str(draw.id),
        "reference": objection.reference,
        "task_id": str(task.id),
        "sheet_id": str(sheet.id),
        "upload_id": str(upload.id),
        "visit_id": str(record.visit_id),
        "record_id": str(record.id),
        "path": "index.html",
        "seq": "1",
        "template_id": str(template.id),
        "conflict_id": str(conflict.id),
        "followup_id": str(followup.id),
        "inspector_id": str(inspector.id),
        "document_id": absent,
        "transfer_id": str(transfer.id),
        "media_id": str(media.media_id),
        "variant": "original",
        "objection_id": str(objection.id),
        "position": str(attachment.position),
        "plan_id": str(plan.id),
        "line_id": str(line.id),
        "number": "1",
        "name": "verify.py",
        "publication_id": str(publication.id),
        "job_id": str(job.id),
        "request_id": str(replacement.id),
        "commission_id": absent,
        "subject_id": str(own_subject.id),
        "own_uscc": own_subject.uscc,
        "lead_inspector_id": str(
            session.scalars(
                select(Inspector.id).where(Inspector.user_id == users["lead1"].id)
            ).one()
        ),
        "proposal_id": str(proposal.id),
        "item_code": item.code,
        "region_code": subject.region_code,
        "token": "no-such-token",
    }


@pytest.fixture(scope="module")
def world(_schema, tmp_path_factory):
    """The seeded bureau, its signed-in browsers and the ids the paths name."""
    folder = tmp_path_factory.mktemp("authz")
    url, db_path = _database(_schema, folder)
    instance = folder / "instance"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-secret-key",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            # ~1,500 requests from one address: the limits are tested in tests/auth.
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        session = _db.session
        users = {u.username: u for u in session.scalars(select(User))}
        tokens = {}
        for username in ("lead1", "inspector2"):
            token, digest = new_token()
            session.add(
                Device(
                    user_id=users[username].id, name="授权矩阵", public_key={}, token_hash=digest
                )
            )
            tokens[username] = token
        # The returned task goes back to draft (as its owner would): submit, edit, cancel and
        # the commissions are possible there, so only the person decides the answer.
        returned = session.scalars(
            select(Task).where(Task.state == "returned", Task.owner_id == users["head1"].id)
        ).one()
        task_ops.transition(
            session, returned, "reopen", actor=actor_for(users["head1"]), user=users["head1"]
        )
        session.commit()
        ids = _ids(session)
        ids["device_id"] = str(
            session.scalars(
                select(Device.id).where(
                    Device.name == "授权矩阵", Device.user_id == users["lead1"].id
                )
            ).one()
        )
        clients = {"anonymous": _browser(app)}
        clients |= {role: _browser(app, name) for role, name in OWN.items()}
        clients |= {f"other {role}": _browser(app, name) for role, name in OTHER.items()}
        clients["device"] = _browser(app, token=tokens["lead1"])
        clients["other device"] = _browser(app, token=tokens["inspector2"])
        snapshot = folder / "snapshot"
        snapshot.mkdir()
        instance.mkdir(parents=True, exist_ok=True)
        world = World(app, url, db_path, instance, snapshot, clients, {}, ids)
        world.take_snapshot()
        yield world
        _db.session.remove()
        _db.engine.dispose()
    if IS_POSTGRES:
        _drop_snapshot(url)
