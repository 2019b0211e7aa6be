"""Benchmark of sync v1 "Pull" for an inspector with 100 visits, over HTTP on loopback.

    python -m bench.sync_pull [--visits 100] [--background 5000] [--runs 50]

Builds its own data in a temporary SQLite database (and, when DATABASE_URL points at
PostgreSQL, in a temporary database next to it, dropped afterwards): ten issued tasks whose
draws put the benchmarked inspector on `--visits` teams among `--background` visits of 50 other
inspectors, with subjects, item versions, a 20-question checklist and a change log of about
20,000 rows. The rows are inserted in bulk (a fixture, not the audited operations).

The app is served by werkzeug on 127.0.0.1 (a new TCP connection per request, as a phone's
would be) and timed for: a full pull (cursor 0), an incremental pull with no change, and an
incremental pull after one subject changed. The floor, measured in the same run on the same
engine, is the bare SELECT of the inspector's visit ids. Budget (architecture.md): median
≤ 50 ms for the full pull.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, select
from werkzeug.serving import make_server

from bench import report
from bench.directory_listing import print_lines, temporary_postgres
from server import create_app
from server.auth.bearer import new_token
from server.auth.models import Department, Device, User
from server.directory.models import Inspector, Region, Subject
from server.draws.models import Draw, DrawAssignment
from server.extensions import db
from server.items.models import Item, ItemVersion
from server.orm import Base
from server.syncapi.pull import scope_visit_ids
from server.tasks.models import ChecklistQuestion, ChecklistTemplate, Task, TaskItem
from server.visits.models import Visit, VisitTask
from sync import changes
from sync.feed_models import SyncChange, SyncCounter

TASKS = 10
OTHERS = 50
TEAM = 2
LOG_ROWS = 20_000
BUDGET_MS = 50.0


def _id() -> uuid.UUID:
    return uuid.uuid4()


def populate(session, n_visits: int, n_background: int, seed: int = 20261127) -> tuple:
    """Fill an empty schema; returns the benchmarked inspector's user id and subject ids."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fixture data, not secrets
    now = dt.datetime.now(dt.UTC)
    stamps = {"created_at": now, "updated_at": now}
    dept = {"id": _id(), "code": "SMLT", "name": "商贸流通科", **stamps}
    session.execute(insert(Department), [dept])
    session.execute(insert(Region), [{"code": "HG", "name": "皇冠街道", "sort": 0}])
    users = [
        {
            "id": _id(),
            "username": f"insp{n}",
            "display_name": f"检查员{n}",
            "password_hash": "x",
            "department_id": dept["id"],
            **stamps,
        }
        for n in range(OTHERS + 1)
    ]
    session.execute(insert(User), users)
    inspectors = [
        {
            "id": _id(),
            "user_id": u["id"],
            "name": u["display_name"],
            "department_id": dept["id"],
            "credential_no": f"3710720{n:05d}",
            "credential_issuer": "威海市人民政府",
            "credential_valid_from": dt.date(2024, 1, 1),
            "credential_valid_until": dt.date(2029, 12, 31),
            "qualification": "law_enforcement",
            **stamps,
        }
        for n, u in enumerate(users)
    ]
    session.execute(insert(Inspector), inspectors)
    me, others = inspectors[0], inspectors[1:]

    total = n_visits + n_background
    subjects = [
        {
            "id": _id(),
            "uscc": f"91371000{n:010d}",
            "name": f"威海测试商贸{n}有限公司",
            "kind": "enterprise",
            "region_code": "HG",
            "address": f"威海市经济技术开发区测试路{n}号",
            "legal_rep": f"法人{n}",
            "contact_name": f"联系人{n}",
            "contact_phone": f"138{n:08d}",
            **stamps,
        }
        for n in range(total)
    ]
    session.execute(insert(Subject), subjects)

    items, versions = [], []
    for n in range(TASKS * 2):
        item_id, version_id = _id(), _id()
        items.append({"id": item_id, "code": f"SWJ-{n:03d}", "department_id": dept["id"], **stamps})
        versions.append(
            {
                "id": version_id,
                "item_id": item_id,
                "version_no": 1,
                "name": f"检查事项{n}",
                "legal_basis": "《单用途商业预付卡管理办法（试行）》第三十七条" * 3,
                "checking_body": "威海经济技术开发区商务局",
                "object_scope": "辖区内相关企业",
                "content": "检查台账、备案、资金存管情况。" * 5,
                "methods": ["onsite", "documents"],
                "department_id": dept["id"],
                "change_reason": "基准测试",
                "created_at": now,
            }
        )
    session.execute(insert(Item), items)
    session.execute(insert(ItemVersion), versions)
    checklist = {"id": _id(), "family_id": _id(), "name": "预付卡检查表", **stamps}
    session.execute(insert(ChecklistTemplate), [{**checklist, "department_id": dept["id"]}])
    session.execute(
        insert(ChecklistQuestion),
        [
            {
                "id": _id(),
                "template_id": checklist["id"],
                "position": q,
                "item_code": items[q % len(items)]["code"],
                "text": f"检查问题{q}：是否符合要求？",
                "answer_type": "yes_no_na",
                "required": True,
            }
            for q in range(20)
        ],
    )

    tasks, task_items, draws = [], [], []
    for n in range(TASKS):
        task_id = _id()
        tasks.append(
            {
                "id": task_id,
                "number": f"威开商抽〔2026〕{n + 1}号",
                "seq": n + 1,
                "year": 2026,
                "name": f"预付卡专项抽查{n + 1}",
                "department_id": dept["id"],
                "owner_id": users[-1]["id"],
                "state": "issued",
                "window_start": dt.date(2026, 12, 1),
                "window_end": dt.date(2026, 12, 31),
                "methods": ["onsite"],
                "checklist_template_id": checklist["id"],
                "workflow_notes": "出示证件，送达告知书，逐项检查。",
                "target_filters": {},
                "pool_filters": {},
                **stamps,
            }
        )
        for p in range(2):
            version = versions[2 * n + p]
            task_items.append(
                {
                    "id": _id(),
                    "task_id": task_id,
                    "position": p,
                    "item_id": version["item_id"],
                    "item_version_id": version["id"],
                }
            )
        draws.append(
            {
                "id": _id(),
                "task_id": task_id,
                "year": 2026,
                "state": "drawn",
                "announced_at": now,
                "filters_text": "全部",
                "exclusions_text": "无",
                "population_n": total,
                "population_root": "0" * 64,
                "population_members": [],
                "k": total // TASKS,
                "m": 0,
                "pool_root": "0" * 64,
                "pool_members": [],
                "team_size": TEAM,
            }
        )
    session.execute(insert(Task), tasks)
    session.execute(insert(TaskItem), task_items)
    session.execute(insert(Draw), draws)

    mine = set(rng.sample(range(total), n_visits))
    visits, links, teams = [], [], []
    for n, subject in enumerate(subjects):
        task_index = n % TASKS
        visit_id = _id()
        visits.append(
            {
                "id": visit_id,
                "subject_id": subject["id"],
                "uscc": subject["uscc"],
                "year": 2026,
                "state": "planned",
                "window_start": dt.date(2026, 12, 1),
                "window_end": dt.date(2026, 12, 31),
                **stamps,
            }
        )
        draw = draws[task_index]
        links.append(
            {
                "id": _id(),
                "visit_id": visit_id,
                "task_id": tasks[task_index]["id"],
                "draw_id": draw["id"],
                "subject_id": subject["id"],
                "position": 0,
            }
        )
        team = rng.sample(others, TEAM)
        if n in mine:
            team[0] = me
        for place, member in enumerate(team):
            teams.append(
                {
                    "id": _id(),
                    "draw_id": draw["id"],
                    "uscc": subject["uscc"],
                    "subject_id": subject["id"],
                    "inspector_id": member["id"],
                    "credential_no": member["credential_no"],
                    "position": n * TEAM + place,
                    "is_team_lead": place == 0,
                }
            )
    session.execute(insert(Visit), visits)
    session.execute(insert(VisitTask), links)
    session.execute(insert(DrawAssignment), teams)

    # A change log with history: every visit once, then a stream of subject/task changes.
    objects = [(changes.VISITS, v["id"]) for v in visits]
    objects += [(changes.SUBJECTS, rng.choice(subjects)["id"]) for _ in range(LOG_ROWS)]
    objects = objects[:LOG_ROWS]
    rows = [
        {"seq": 1 + i // 10, "collection": c, "object_id": o, "op": "upsert", "at": now}
        for i, (c, o) in enumerate(objects)
    ]
    session.execute(insert(SyncChange), rows)
    session.execute(insert(SyncCounter), [{"id": 1, "value": rows[-1]["seq"], "floor": 0}])
    session.commit()
    return me["user_id"], [s["id"] for i, s in enumerate(subjects) if i in mine]


def timed(fn, runs: int) -> list[float]:
    fn()  # warm-up (connections, caches)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(round(0.95 * len(samples))) - 1)]


def run(url: str, n_visits: int, n_background: int, runs: int, label: str) -> list[tuple]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-inst-"),
        }
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        user_id, my_subjects = populate(db.session, n_visits, n_background)
        token, digest = new_token()
        db.session.add(Device(user_id=user_id, name="基准", public_key={}, token_hash=digest))
        db.session.commit()
        inspector_id = db.session.scalar(select(Inspector.id).where(Inspector.user_id == user_id))
        print(f"[{label}] data built in {time.perf_counter() - started:.1f} s")

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    headers = {"Authorization": f"Bearer {token}"}

    def get(cursor: int) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/api/v1/sync/pull?cursor={cursor}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200, (response.status, body[:200])
        return json.loads(body)

    try:
        full = get(0)
        visits = len(full["changes"]["visits"]["upserts"])
        assert visits == n_visits, (visits, n_visits)
        cursor = full["cursor"]
        rows = []
        with app.app_context():
            with db.engine.connect() as conn:
                stmt = scope_visit_ids(inspector_id)
                floor = timed(lambda: conn.execute(stmt).all(), runs)
            # One of the inspector's subjects changes (an ORM write: the flush hook logs it).
            subject = db.session.get(Subject, my_subjects[0])
            subject.address = "威海市经济技术开发区新地址1号"
            db.session.commit()
        floor_ms = statistics.median(floor)
        for name, at, expect in (
            ("full pull (cursor 0)", 0, n_visits),
            ("incremental, nothing changed", None, 0),
            ("incremental, 1 subject changed", cursor, 0),
        ):
            at = get(0)["cursor"] if at is None else at
            body = get(at)
            assert len(body["changes"]["visits"]["upserts"]) == expect, name
            samples = timed(lambda at=at: get(at), runs)
            median = statistics.median(samples)
            rows.append((label, name, median, p95(samples), floor_ms, median / floor_ms))
        rows.append((label, "floor: SELECT visit ids", floor_ms, p95(floor), floor_ms, 1.0))
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
    return rows


def print_table(rows: list[tuple]) -> None:
    header = ("db", "case", "median ms", "p95 ms", "floor ms", "ratio")
    lines = [header] + [
        (db_, case, f"{median:.1f}", f"{high:.1f}", f"{floor:.2f}", f"{ratio:.1f}×")
        for db_, case, median, high, floor, ratio in rows
    ]
    print_lines(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--background", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=50)
    options = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-pull-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        rows += run(sqlite_url, options.visits, options.background, options.runs, "sqlite")
    pg = os.environ.get("DATABASE_URL", "")
    if pg.startswith("postgresql"):
        url, drop = temporary_postgres(pg, label="pull")
        try:
            rows += run(url, options.visits, options.background, options.runs, "postgresql")
        finally:
            drop()
    print()
    print_table(rows)
    full = [r for r in rows if r[1].startswith("full")]
    verdict = all(r[2] <= BUDGET_MS for r in full)
    for db_, case, median, _high, floor, ratio in full:
        report.headline(
            f"sync pull ({db_})",
            f"{case}, median",
            f"{median:.1f} ms",
            f"{floor:.2f} ms",
            ratio,
            f"≤ {BUDGET_MS:.0f} ms",
            median <= BUDGET_MS,
        )
    print(f"\nbudget: full pull median ≤ {BUDGET_MS:.0f} ms — {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
