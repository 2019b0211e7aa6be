"""`seed-demo`: a believable Weihai ETDZ commerce bureau, written through the operations.

Everything goes through the same operations (and so the same validation and audit trail) as the
console and the imports, with the CLI as actor. Idempotent: each object is looked up by its
natural key (department code, username, region code, item code, USCC, credential number,
subject × flag, inspector × subject × kind) and only missing ones are written, so a second run
adds nothing — not even an audit event. Randomness comes from fixed seeds: every run generates
the same bureau.
"""

from __future__ import annotations

import collections
import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.operations import CLI
from server.auth import operations as auth_ops
from server.auth.models import Department, User
from server.clock import local_today
from server.directory import operations as directory_ops
from server.directory.identifiers import (
    USCC_ALPHABET,
    org_code_check_char,
    resident_id_check_char,
    uscc_check_char,
)
from server.directory.models import Conflict, Inspector, Region, Subject
from server.directory.schemas import inspector_args, subject_args
from server.draws.demo import seed_draws
from server.followups.demo import seed_followups
from server.items import operations as item_ops
from server.items.models import Item
from server.objections.demo import seed_objections
from server.plans.demo import seed_plans
from server.publication.demo import seed_publication
from server.publication.queries import latest as latest_publication
from server.results.demo import finished_task, seed_completed_task
from server.seed import data
from server.tasks.demo import seed_tasks

SEED = "spotcheck-demo-v1"
# USCC position 2 by kind (GB 32100: registration authority 9 = market regulation).
KIND_CHAR = {"enterprise": "1", "individual": "2", "cooperative": "3"}
# Registering authority's division code (positions 3–8): the city bureau, the district the
# zone's streets belong to, or the zone itself.
AREAS = {"enterprise": (["371000", "371072", "371002"], [5, 3, 2]),
         "individual": (["371072", "371002"], [6, 4]),
         "cooperative": (["371072"], [1])}  # fmt: skip
# Organisation codes issued since the 2015 reform start with MA plus a regional batch letter.
MA_BATCHES = ((2021, "3"), (2023, "7"), (2025, "C"))
# The organisation code sits inside the USCC, so it only uses the USCC's 31 characters.
ORG_CHARS = USCC_ALPHABET


def _rng(part: str) -> random.Random:
    # A str seed is hashed with SHA-512: the same stream on every machine and every run.
    return random.Random(f"{SEED}:{part}")  # noqa: S311 - demo data, reproducible on purpose


# ---- generation (pure, no database) ---------------------------------------------------------


def make_uscc(rng: random.Random, kind: str, established: dt.date) -> str:
    """A USCC whose organisation-code check (pos. 17) and GB 32100 check (pos. 18) are valid."""
    areas, weights = AREAS[kind]
    area = rng.choices(areas, weights)[0]
    if established.year >= 2016:
        batch = next((b for year, b in MA_BATCHES if established.year <= year), "D")
        org8 = "MA" + batch + "".join(rng.choice(ORG_CHARS) for _ in range(5))
    else:
        org8 = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "9" + KIND_CHAR[kind] + area + org8 + org_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def _person(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)


def _address(rng: random.Random, region: str) -> str:
    prefix = "山东省威海市经济技术开发区"
    if region in data.ROADS:
        return f"{prefix}{rng.choice(data.ROADS[region])}{rng.randint(1, 388)}号"
    village = rng.choice(data.VILLAGES[region])
    town = dict(data.REGIONS)[region]
    place = village if village.endswith("园") else f"{village}村"
    return f"{prefix}{town}{place}{rng.randint(1, 120)}号"


def generate_subjects() -> list[dict]:
    """The demo directory as SubjectArgs input rows, identical on every call."""
    rng = _rng("subjects")
    regions = [code for code, _ in data.REGIONS]
    rows, names, usccs = [], set(), set()
    for _sector, (departments, count, kind_weights, patterns, tags, scope) in data.SECTORS.items():
        kinds = [k for k, w in zip(KIND_CHAR, kind_weights, strict=True) if w]
        weights = [w for w in kind_weights if w]
        for _ in range(count):
            kind = rng.choices(kinds, weights)[0]
            while True:
                pattern = rng.choice(patterns[kind])
                name = pattern.format(b=rng.choice(data.BRANDS), f=rng.choice(data.FOREIGN_BRANDS))
                if name not in names:
                    break
            names.add(name)
            age_days = rng.randint(200, 22 * 365) if kind == "enterprise" else rng.randint(90, 3650)
            established = data.LATEST_ESTABLISHED - dt.timedelta(days=age_days)
            uscc = make_uscc(rng, kind, established)
            while uscc in usccs:
                uscc = make_uscc(rng, kind, established)
            usccs.add(uscc)
            # Individual businesses and cooperatives are micro by definition here.
            scale = rng.choices(*data.SCALES["enterprise"])[0] if kind == "enterprise" else "micro"
            legal_rep = _person(rng)
            contact_is_rep = kind != "enterprise" or rng.random() < 0.4
            rows.append(
                {
                    "uscc": uscc,
                    "name": name,
                    "kind": kind,
                    "scale": scale,
                    "region": rng.choice(regions),
                    "address": "",  # filled below, after the region is known
                    "legal_rep": legal_rep,
                    "contact_name": legal_rep if contact_is_rep else _person(rng),
                    "contact_phone": (
                        f"0631-59{rng.randint(0, 99999):05d}"
                        if kind == "enterprise"
                        else f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
                    ),
                    "business_scope": scope,
                    "established_on": established,
                    "status": "suspended" if rng.random() < 0.01 else "active",
                    "departments": list(departments),
                    "tags": list(tags),
                }
            )
            rows[-1]["address"] = _address(rng, rows[-1]["region"])
    return rows


def _resident_id(rng: random.Random) -> str:
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(0, 25 * 365))
    first17 = f"371002{birth:%Y%m%d}{rng.randint(1, 999):03d}"
    return first17 + resident_id_check_char(first17)


def generate_inspectors() -> list[dict]:
    """The inspector directory as InspectorArgs input rows."""
    rng = _rng("inspectors")
    rows = []
    for (
        credential_no, name, department, username, valid_from, valid_until,
        qualification, lead, expertise,
    ) in data.INSPECTORS:  # fmt: skip
        rows.append(
            {
                "credential_no": credential_no,
                "name": name,
                "id_number": _resident_id(rng),
                "phone": f"13{rng.randint(0, 999_999_999):09d}",
                "department": department,
                "credential_issuer": data.CREDENTIAL_ISSUER,
                "credential_valid_from": dt.date.fromisoformat(valid_from),
                "credential_valid_until": dt.date.fromisoformat(valid_until),
                "qualification": qualification,
                "is_team_lead_qualified": lead,
                "is_active": True,
                "expertise": expertise,
                "username": username,
            }
        )
    return rows


# ---- writing (through the operations) -------------------------------------------------------


def any_user(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def seed_demo(session: Session, *, password: str) -> collections.Counter:
    """Create whatever part of the demo bureau is missing; returns counts of what was created."""
    created: collections.Counter = collections.Counter()
    departments = _departments(session, created)
    _regions(session, created)
    _users(session, departments, password, created)
    _items(session, departments, created)
    subjects = _subjects(session, created)
    inspectors = _inspectors(session, created)
    _risk_flags(session, subjects, created)
    _conflicts(session, subjects, inspectors, created)
    created.update(seed_plans(session, CLI, local_today().year))
    created.update(seed_tasks(session, CLI))  # after the plans, so tasks link to plan lines
    created.update(seed_draws(session, CLI))  # after the tasks: draws the approved one
    created.update(seed_completed_task(session, CLI))  # a finished task with results
    created.update(_after_the_results(session))
    return created


def _after_the_results(session: Session) -> collections.Counter:
    """On the finished task: follow-ups handled (one closed, one clue handed over), the results
    published, an objection under review and one answered. Each step is idempotent."""
    created: collections.Counter = collections.Counter()
    task = finished_task(session)
    users = {u.username: u for u in session.scalars(select(User))}
    if task is None or "office2" not in users:
        return created
    created.update(seed_followups(session, CLI, task, users))
    created.update(seed_publication(session, CLI, task, users["office2"]))
    publication = latest_publication(session, task.id)
    if publication is not None:
        created.update(seed_objections(session, CLI, publication, {"office": users["office2"]}))
    # Only what was made now: a second run reports nothing (and "already there").
    return +collections.Counter(
        {key: n for key, n in created.items() if not key.endswith("_existing")}
    )


def _departments(session: Session, created) -> dict[str, Department]:
    existing = {d.code: d for d in session.scalars(select(Department))}
    for code, name, name_en in data.DEPARTMENTS:
        if code not in existing:
            existing[code] = auth_ops.create_department(
                session, actor=CLI, code=code, name=name, name_en=name_en
            )
            created["departments"] += 1
    session.flush()
    return existing


def _regions(session: Session, created) -> None:
    existing = set(session.scalars(select(Region.code)))
    zone_code, zone_name = data.ZONE
    wanted = [(zone_code, zone_name, None, 0)] + [
        (code, name, zone_code, n) for n, (code, name) in enumerate(data.REGIONS, start=1)
    ]
    for code, name, parent, sort in wanted:
        if code not in existing:
            directory_ops.create_region(
                session,
                actor=CLI,
                data={"code": code, "name": name, "parent_code": parent, "sort": sort},
            )
            created["regions"] += 1


def _users(session: Session, departments: dict[str, Department], password: str, created) -> None:
    existing = set(session.scalars(select(User.username)))
    for username, display_name, roles, department, phone in data.USERS:
        if username in existing:
            continue
        auth_ops.create_user(
            session,
            actor=CLI,
            username=username,
            display_name=display_name,
            password=password,
            roles=roles,
            department_id=departments[department].id if department else None,
            phone=phone,
        )
        created["users"] += 1
    session.flush()


def _items(session: Session, departments: dict[str, Department], created) -> None:
    existing = set(session.scalars(select(Item.code)))
    for spec in data.ITEMS:
        if spec["code"] in existing:
            continue
        content = {k: v for k, v in spec["data"].items() if v is not None}
        item = item_ops.create_item(
            session,
            actor=CLI,
            code=spec["code"],
            department_id=departments[spec["department"]].id,
            data=content,
            reason="演示数据：初始事项清单",
        )
        created["items"] += 1
        if spec["code"] in data.RETIRED:
            item_ops.retire_item(session, actor=CLI, item=item, reason=data.RETIRED[spec["code"]])
            created["items_retired"] += 1


def _subjects(session: Session, created) -> list[Subject]:
    """All generated subjects in generation order (existing ones looked up, missing created)."""
    rows = generate_subjects()
    existing = {s.uscc: s for s in session.scalars(select(Subject))}
    schema = subject_args(session)  # the import's validation, loaded once for all rows
    subjects = []
    for row in rows:
        subject = existing.get(row["uscc"])
        if subject is None:
            subject = directory_ops.create_subject(session, actor=CLI, data=schema.load(row))
            created["subjects"] += 1
        subjects.append(subject)
    return subjects


def _inspectors(session: Session, created) -> dict[str, Inspector]:
    existing = {i.credential_no: i for i in session.scalars(select(Inspector))}
    schema = inspector_args(session)
    for row in generate_inspectors():
        if row["credential_no"] in existing:
            continue
        inspector = directory_ops.create_inspector(session, actor=CLI, data=schema.load(row))
        existing[inspector.credential_no] = inspector
        created["inspectors"] += 1
    return existing


def _risk_flags(session: Session, subjects: list[Subject], created) -> None:
    for index, flag, note, source in data.RISK_FLAGS:
        subject = subjects[index]
        if flag in subject.flag_codes:
            continue
        directory_ops.set_risk_flag(
            session, actor=CLI, subject=subject, flag=flag, note=note, source=source
        )
        created["risk_flags"] += 1


def _conflicts(
    session: Session, subjects: list[Subject], inspectors: dict[str, Inspector], created
) -> None:
    for credential_no, index, kind, note in data.CONFLICTS:
        inspector, subject = inspectors[credential_no], subjects[index]
        exists = session.scalar(
            select(Conflict.id).where(
                Conflict.inspector_id == inspector.id,
                Conflict.subject_id == subject.id,
                Conflict.kind == kind,
            )
        )
        if exists is not None:
            continue
        directory_ops.register_conflict(
            session, actor=CLI, inspector=inspector, subject=subject, kind=kind, note=note
        )
        created["conflicts"] += 1
