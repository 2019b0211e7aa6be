"""Fixtures for DSR-v1 tests: the algorithm's bundle, and a bureau with subjects, inspectors, tasks.

The directory and task factories are minimal copies of tests/directory/conftest.py and
tests/tasks/conftest.py (fixtures there are visible only under their own folders).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from server.audit.operations import SYSTEM, Actor
from server.directory import identifiers
from tests.conftest import ConsoleClient
from tests.draws.support import drawn_bundle

YEAR = 2026


@pytest.fixture
def bundle() -> dict:
    """A fresh internal bundle per test (tests tamper with it)."""
    return drawn_bundle()


# ---- directory -----------------------------------------------------------------------------------


def make_uscc(n: int, *, prefix: str = "91110108") -> str:
    """A valid USCC numbered `n` (both check characters right)."""
    org8 = f"{n:08d}"
    first17 = prefix + org8 + identifiers.org_code_check_char(org8)
    return first17 + identifiers.uscc_check_char(first17)


def actor_of(user) -> Actor:
    return Actor(user.id, f"user:{user.username}")


@pytest.fixture
def make_region(db):
    from server.directory.models import Region

    def factory(code: str = "HG", name: str = "皇冠街道") -> Region:
        region = db.session.get(Region, code)
        if region is None:
            region = Region(code=code, name=name)
            db.session.add(region)
            db.session.commit()
        return region

    return factory


@pytest.fixture
def make_subject(db, make_region):
    """A subject through the operation; `departments=[...]` sets its scope."""
    from server.directory.operations import create_subject

    counter = itertools.count(1)

    def factory(**overrides):
        n = next(counter)
        region_code = overrides.pop("region_code", None) or make_region().code
        departments = overrides.pop("departments", [])
        data = {
            "uscc": make_uscc(n),
            "name": f"测试企业{n}有限公司",
            "kind": "enterprise",
            "scale": "small",
            "region_code": region_code,
            "address": f"测试路{n}号",
            "legal_rep": None,
            "contact_name": None,
            "contact_phone": None,
            "business_scope": None,
            "established_on": None,
            "status": "active",
            "department_ids": [d.id for d in departments],
            "tags": [],
            "risk_flags": None,
        }
        data.update(overrides)
        subject = create_subject(db.session, actor=SYSTEM, data=data)
        db.session.commit()
        return subject

    return factory


@pytest.fixture
def make_inspector(db, make_department):
    """An inspector through the operation, credential valid from the year before to the next."""
    from server.directory.operations import create_inspector

    counter = itertools.count(1)

    def factory(**overrides):
        n = next(counter)
        department = overrides.pop("department", None) or make_department()
        data = {
            "name": f"检查员{n:03d}",
            "id_number": None,
            "phone": None,
            "department_id": department.id,
            "credential_no": f"ZF{n:06d}",
            "credential_issuer": "北京市人民政府",
            "credential_valid_from": dt.date(YEAR - 1, 1, 1),
            "credential_valid_until": dt.date(YEAR + 1, 12, 31),
            "qualification": "law_enforcement",
            "is_team_lead_qualified": False,
            "is_active": True,
            "user_id": None,
            "expertise": [],
        }
        data.update(overrides)
        inspector = create_inspector(db.session, actor=SYSTEM, data=data)
        db.session.commit()
        return inspector

    return factory


# ---- tasks ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Bureau:
    department: object
    head: object  # dept_head of `department`
    office: object  # back_office of `department`, owns the tasks
    other_head: object  # dept_head of another department
    inspector_user: object
    admin: object
    item: object


@pytest.fixture
def bureau(make_department, make_user, make_item) -> Bureau:
    department = make_department("商贸流通科", "SMLT")
    other = make_department("市场运行科", "SCYX")
    return Bureau(
        department=department,
        head=make_user("head1", "dept_head", department=department),
        office=make_user("office1", "back_office", department=department),
        other_head=make_user("head2", "dept_head", department=other),
        inspector_user=make_user("insp1", "inspector", department=department),
        admin=make_user("admin1", "admin", department=other),
        item=make_item(department=department, code="SWJ-001"),
    )


@pytest.fixture
def approved_task(db, bureau):
    """`approved_task(**form)`: a task created, submitted and approved (committed)."""
    from server.tasks import operations
    from server.tasks.schemas import TaskArgs

    def factory(**overrides):
        form = {
            "name": "预付卡发卡企业专项抽查",
            "department_id": str(bureau.department.id),
            "year": str(YEAR),
            "origin": "ad_hoc",
            "ad_hoc_reason": "投诉举报集中",
            "item_ids": [str(bureau.item.id)],
            "targeting": "untargeted",
            "team_size": "2",
            "pool_mode": "automatic",
            "window_start": f"{YEAR}-12-01",
            "window_end": f"{YEAR}-12-31",
            "sample_kind": "count",
            "sample_count": "3",
            "methods": ["onsite"],
            "workflow_notes": "出示证件，送达告知书，逐项检查",
        }
        form.update(overrides)
        args = TaskArgs().load({k: v for k, v in form.items() if v is not None})
        office = bureau.office
        task = operations.create_task(db.session, actor=actor_of(office), user=office, data=args)
        operations.submit(db.session, task, actor=actor_of(office), user=office)
        operations.approve(db.session, task, actor=actor_of(bureau.head), user=bureau.head)
        db.session.commit()
        return task

    return factory


@pytest.fixture
def browser(app):
    """A browser signed in as `username`: `browser("head1")`."""

    def sign_in(username: str) -> ConsoleClient:
        client = ConsoleClient(app.test_client())
        assert client.login(username).status_code == 302
        return client

    return sign_in


@pytest.fixture
def scene(bureau, make_subject, make_inspector):
    """Eight subjects in the department's scope and five valid inspectors."""
    subjects = [make_subject(departments=[bureau.department]) for _ in range(8)]
    inspectors = [make_inspector(department=bureau.department) for _ in range(5)]
    return subjects, inspectors
