"""Factories of the directories: regions, subjects (valid generated USCCs) and inspectors."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from server.directory import identifiers
from tests.conftest import ConsoleClient


def make_uscc(n: int, *, prefix: str = "91110108") -> str:
    """A valid USCC (both check characters right) numbered `n`: 8-char prefix + org code."""
    org8 = f"{n:08d}"
    org9 = org8 + identifiers.org_code_check_char(org8)
    first17 = prefix + org9
    return first17 + identifiers.uscc_check_char(first17)


@pytest.fixture
def client(app):
    """The test's browser."""
    return ConsoleClient(app.test_client())


@pytest.fixture
def browser(app):
    """Another browser with its own cookie jar: `browser().login("name")`."""
    return lambda: ConsoleClient(app.test_client())


@pytest.fixture
def listed():
    """`listed(response, "subjects")` → the names linked to detail pages, in page order."""

    def names(response, kind: str = "subjects") -> list[str]:
        html = response.get_data(as_text=True)
        return re.findall(rf'<a href="/{kind}/[0-9a-f-]{{36}}">([^<]+)</a>', html)

    return names


@pytest.fixture
def valid_uscc():
    """`valid_uscc(n)` → a valid USCC not used by make_subject (numbered from 90,000,000)."""
    return lambda n=1: make_uscc(90_000_000 + n)


@pytest.fixture
def make_region(db):
    """Create (or return the existing) region and commit: `make_region("HG", "皇冠街道")`."""
    from server.directory.models import Region

    def factory(code: str = "HG", name: str = "皇冠街道", **extra) -> Region:
        region = db.session.get(Region, code)
        if region is None:
            region = Region(code=code, name=name, **extra)
            db.session.add(region)
            db.session.commit()
        return region

    return factory


@pytest.fixture
def make_subject(db, make_region):
    """Create a subject through the operation (audited) and commit; overrides are model fields.

    `departments=[dept, ...]` sets the scope, `tags=[...]` and `risk_flags=[...]` as in the args.
    """
    from server.audit.operations import SYSTEM
    from server.directory.operations import create_subject

    counter = itertools.count(1)

    def factory(**overrides):
        n = next(counter)
        region_code = overrides.pop("region_code", None)
        if region_code is None:
            region_code = make_region().code
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
            "department_ids": [d.id if hasattr(d, "id") else d for d in departments],
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
    """Create an inspector through the operation (audited) and commit; overrides are fields.

    `department=dept` picks the department (a new one otherwise), `user=user` links an account.
    """
    from server.audit.operations import SYSTEM
    from server.directory.operations import create_inspector

    counter = itertools.count(1)

    def factory(**overrides):
        n = next(counter)
        department = overrides.pop("department", None)
        department_id = overrides.pop("department_id", None)
        if department_id is None:
            department_id = (department or make_department()).id
        user = overrides.pop("user", None)
        today = dt.date.today()
        data = {
            "name": f"检查员{n:03d}",
            "id_number": None,
            "phone": None,
            "department_id": department_id,
            "credential_no": f"ZF{n:06d}",
            "credential_issuer": "北京市人民政府",
            "credential_valid_from": today - dt.timedelta(days=365),
            "credential_valid_until": today + dt.timedelta(days=365),
            "qualification": "law_enforcement",
            "is_team_lead_qualified": False,
            "is_active": True,
            "user_id": user.id if user is not None else None,
            "expertise": [],
        }
        data.update(overrides)
        inspector = create_inspector(db.session, actor=SYSTEM, data=data)
        db.session.commit()
        return inspector

    return factory
