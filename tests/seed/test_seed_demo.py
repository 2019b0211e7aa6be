"""`flask seed-demo`: a believable bureau, written through the operations, idempotent."""

from __future__ import annotations

import collections

from flask import g
from sqlalchemy import func, select
from stdnum.cn import uscc as stdnum_uscc

from server import create_app
from server.audit.models import AuditEvent
from server.audit.operations import verify_chain
from server.auth import passwords
from server.auth.models import Department, User
from server.clock import local_today
from server.directory.identifiers import validate_uscc
from server.directory.models import Conflict, Inspector, Region, Subject, SubjectRiskFlag
from server.extensions import db as _db
from server.items.models import Item
from server.seed import demo

DEMO_ACCOUNTS = (
    "admin", "head1", "leader1", "office1", "office2", "lead1", "inspector1", "inspector2",
)  # fmt: skip


def counts(session) -> dict:
    models = (Department, Region, User, Item, Subject, Inspector, Conflict, SubjectRiskFlag)
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in models} | {
        "events": session.scalar(select(func.count()).select_from(AuditEvent))
    }


def test_seed_creates_the_demo_bureau(seed, db):
    result = seed()
    assert result.exit_code == 0
    assert "已新增演示数据" in result.output
    n = counts(db.session)
    assert n["Department"] >= 3
    assert n["Region"] == 7  # the zone and its three streets and three towns
    assert n["User"] == 9
    assert n["Subject"] >= 300
    assert n["Inspector"] >= 12
    assert n["Conflict"] >= 3 and n["SubjectRiskFlag"] >= 5
    current = db.session.scalars(select(Item).where(Item.is_retired.is_(False))).all()
    assert len(current) >= 15
    names = {item.current.name for item in current}
    assert "单用途商业预付卡发卡企业经营行为检查" in names
    assert "报废机动车回收拆解企业检查" in names
    for item in current:
        assert item.current.legal_basis.startswith("《")
        assert item.current.checking_body == "威海经济技术开发区商务局"
        assert item.current.methods
    # Two items were retired when the law changed; they stay in the list's history.
    retired = db.session.scalars(select(Item).where(Item.is_retired.is_(True))).all()
    assert {i.code for i in retired} == {"SWJ-020", "SWJ-021"}
    assert all(i.retired_reason for i in retired)


def test_seeding_twice_changes_nothing_and_adds_no_audit_event(seed, db):
    seed()
    before = counts(db.session)
    head = db.session.scalar(select(func.max(AuditEvent.seq)))
    result = seed()
    assert result.exit_code == 0
    assert "演示数据已存在" in result.output
    assert counts(db.session) == before
    assert db.session.scalar(select(func.max(AuditEvent.seq))) == head


def test_every_seeded_write_is_in_an_intact_audit_chain_by_the_cli(seed, db):
    seed()
    n = counts(db.session)
    assert verify_chain(db.session) == (n["events"], None)
    actors = set(db.session.scalars(select(AuditEvent.actor_label).distinct()))
    assert actors == {"cli", "system"}
    # "system" is the background jobs the seed's writes started: thumbnails and the letter.
    by_jobs = set(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_label == "system").distinct()
        )
    )
    assert by_jobs == {"media.derive", "transfer.letter"}
    creates = collections.Counter(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%.create")))
    )
    assert creates["subject.create"] == n["Subject"]
    assert creates["inspector.create"] == n["Inspector"]
    assert creates["item.create"] == n["Item"]


def test_generation_is_deterministic():
    assert demo.generate_subjects() == demo.generate_subjects()
    assert demo.generate_inspectors() == demo.generate_inspectors()


def test_seeded_subjects_are_the_generated_ones_with_valid_usccs(seed, db):
    seed()
    subjects = db.session.scalars(select(Subject)).all()
    assert {s.uscc for s in subjects} == {row["uscc"] for row in demo.generate_subjects()}
    kinds = {"enterprise": "1", "individual": "2", "cooperative": "3"}
    for subject in subjects:
        assert stdnum_uscc.is_valid(subject.uscc), subject.uscc
        assert validate_uscc(subject.uscc) == subject.uscc  # also the embedded org-code check
        assert subject.uscc[0] == "9" and subject.uscc[1] == kinds[subject.kind]
        assert subject.uscc[2:8] in {"371000", "371002", "371072"}
        assert subject.department_ids and subject.tags
        assert subject.address.startswith("山东省威海市经济技术开发区")
    assert len({s.kind for s in subjects}) == 3
    assert {s.region_code for s in subjects} == {"HG", "FL", "XY", "BY", "GS", "QT"}


def test_demo_accounts_sign_in_with_the_demo_password_and_hold_their_roles(seed, app, client, db):
    seed()
    for username in DEMO_ACCOUNTS:
        # The test's app context outlives each request: forget the previous browser's user and
        # CSRF token, as a new browser would not have them.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        browser = type(client)(app.test_client())
        response = browser.login(username, "spotcheck-demo")
        assert response.status_code == 302, username
        assert response.headers["Location"] == "/", username
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["admin"].roles == {"admin"}
    assert users["head1"].roles == {"dept_head"}
    assert users["leader1"].roles == {"leader"}
    assert users["office1"].roles == {"back_office"}
    for name in ("lead1", "inspector1", "inspector2"):
        assert users[name].roles == {"inspector"}
        inspector = db.session.scalars(
            select(Inspector).where(Inspector.user_id == users[name].id)
        ).one()
        assert inspector.is_team_lead_qualified is (name == "lead1")


def test_exactly_one_inspector_credential_is_expired(seed, db):
    seed()
    today = local_today()
    expired = [i for i in db.session.scalars(select(Inspector)) if not i.credential_valid_on(today)]
    assert len(expired) == 1


def test_if_empty_does_nothing_when_a_user_exists(seed, db, make_user):
    make_user("someone", "admin")
    before = counts(db.session)
    result = seed("--if-empty")
    assert result.exit_code == 0
    assert "已有用户" in result.output
    assert counts(db.session) == before


def test_if_empty_seeds_an_empty_database(seed, db):
    result = seed("--if-empty")
    assert result.exit_code == 0
    assert counts(db.session)["Subject"] >= 300


def test_demo_password_comes_from_the_environment(database_url, tmp_path, monkeypatch):
    # All digits on purpose: Flask reads SPOTCHECK_* values as JSON, so this arrives as an int.
    monkeypatch.setenv("SPOTCHECK_DEMO_PASSWORD", "2026112700")
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path / "other"),
            "SECRET_KEY": "test",
        }
    )
    with other.app_context():
        result = other.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        admin = _db.session.scalars(select(User).where(User.username == "admin")).one()
        assert passwords.verify_password(admin.password_hash, "2026112700")
        assert not passwords.verify_password(admin.password_hash, "spotcheck-demo")
        _db.session.remove()
        _db.engine.dispose()
