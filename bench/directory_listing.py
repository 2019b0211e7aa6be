"""Benchmark of the subject directory's console list at scale, as ratios to a floor.

    python -m bench.directory_listing [--subjects 100000] [--runs 20]

Builds a temporary SQLite database (and, when DATABASE_URL points at PostgreSQL, a temporary
database on that server) holding N subjects, inserted in bulk (a fixture, not the audited
operations). Then times the console's list paths through the Flask test client, signed in, and
compares each with its floor measured in the same run: a bare `SELECT id FROM subjects WHERE …
LIMIT 50` with the same filter (and the same OFFSET for the deep page) on the same engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, select, text

from server import create_app
from server.auth import passwords
from server.auth.models import Department, User
from server.directory import identifiers, queries
from server.directory.args import SubjectListArgs
from server.directory.models import Region, Subject, SubjectRiskFlag, SubjectScope, SubjectTag
from server.extensions import db
from server.orm import Base

PASSWORD = "bench-password"  # noqa: S105 - a throwaway account in a throwaway database
PAGE = 50
BATCH = 5_000

REGIONS = [
    ("HG", "皇冠街道"), ("SQ", "双岛街道"), ("QG", "桥头镇"), ("ZX", "泽库镇"), ("XJ", "崮山镇"),
    ("HJ", "凤林街道"), ("XD", "西苑街道"), ("WQ", "温泉镇"), ("CS", "初村镇"), ("ZQ", "张村镇"),
]  # fmt: skip
WORDS = [
    "华联", "鑫源", "海川", "金桥", "恒达", "东方", "宏远", "利民", "新开", "长城",
    "瑞丰", "永盛", "福兴", "天成", "嘉禾", "万通", "兴隆", "汇通", "泰和", "祥云",
]  # fmt: skip
TRADES = ["商贸", "加油站", "典当", "超市", "洗染", "美容美发", "家政服务", "再生资源", "拍卖"]
ENDINGS = ["有限公司", "有限责任公司", "经营部", "商行", "分公司"]
KINDS = ["enterprise"] * 6 + ["individual"] * 3 + ["cooperative", "branch"]
SCALES = ["micro"] * 5 + ["small"] * 3 + ["medium", "large"]
FLAGS = ["complaints", "abnormal", "dishonest", "serious_violation"]


def make_uscc(n: int) -> str:
    org8 = f"{n:08d}"
    first17 = "91371000" + org8 + identifiers.org_code_check_char(org8)
    return first17 + identifiers.uscc_check_char(first17)


def populate(engine, n_subjects: int, seed: int = 20260101) -> dict:
    """Fill an empty schema: regions, departments, one back-office user, N subjects."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fixture data, not secrets
    now = dt.datetime.now(dt.UTC)
    departments = [
        {"id": uuid.uuid4(), "code": f"D{i}", "name": name, "created_at": now, "updated_at": now}
        for i, name in enumerate(["市场运行科", "流通秩序科", "成品油管理科", "对外贸易科"], 1)
    ]
    user = User(
        username="bench", display_name="基准测试", password_hash=passwords.hash_password(PASSWORD)
    )
    user.set_roles({"back_office"})
    with engine.begin() as conn:
        conn.execute(
            insert(Region),
            [{"code": c, "name": name, "sort": i} for i, (c, name) in enumerate(REGIONS)],
        )
        conn.execute(insert(Department), departments)
    with db.session.begin():
        db.session.add(user)
    with engine.begin() as conn:
        for start in range(0, n_subjects, BATCH):
            subjects, scopes, tags, flags = [], [], [], []
            for n in range(start, min(start + BATCH, n_subjects)):
                sid = uuid.uuid4()
                trade = rng.choice(TRADES)
                subjects.append({
                    "id": sid, "uscc": make_uscc(n + 1),
                    "name": f"威海{rng.choice(WORDS)}{trade}{n}{rng.choice(ENDINGS)}",
                    "kind": rng.choice(KINDS), "scale": rng.choice(SCALES),
                    "region_code": rng.choice(REGIONS)[0], "address": f"威海市经区某路{n}号",
                    "status": "active" if rng.random() < 0.95 else "suspended",
                    "is_deleted": rng.random() < 0.02, "created_at": now, "updated_at": now,
                })  # fmt: skip
                for dept in rng.sample(departments, 2 if rng.random() < 0.2 else 1):
                    scopes.append({"subject_id": sid, "department_id": dept["id"]})
                if trade in ("加油站", "典当") or rng.random() < 0.05:
                    tags.append({"subject_id": sid, "tag": trade})
                if rng.random() < 0.05:
                    flags.append({
                        "id": uuid.uuid4(), "subject_id": sid, "flag": rng.choice(FLAGS),
                        "source": "基准", "created_at": now,
                    })  # fmt: skip
            conn.execute(insert(Subject), subjects)
            conn.execute(insert(SubjectScope), scopes)
            if tags:
                conn.execute(insert(SubjectTag), tags)
            if flags:
                conn.execute(insert(SubjectRiskFlag), flags)
    # Statistics and (PostgreSQL) the visibility map, as a maintained database has them:
    # autovacuum on PostgreSQL, `PRAGMA optimize` / ANALYZE on SQLite.
    maintenance = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(maintenance))
    return {"departments": departments}


def cases(n_subjects: int) -> list[tuple[str, dict]]:
    """(label, query args) of the timed list paths."""
    deep = max(1, min(1000, (n_subjects // PAGE) // 2))
    return [
        ("first page, unfiltered", {}),
        ("region + kind + risk flag", {"region": "SQ", "kind": "individual", "risk": "any"}),
        ("name search (5 characters)", {"q": "华联加油站"}),
        ("USCC prefix search", {"q": make_uscc(4242)[:14]}),
        ("department (≈30 %)", {"department": None}),
        ("department + tag", {"department": None, "tag": "加油站"}),
        (f"deep page {deep}", {"page": str(deep)}),
    ]


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    fn()  # warm caches and the statement cache before timing
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def floor_query(args: dict):
    """The bare floor: SELECT id FROM subjects WHERE <same filter> LIMIT 50 [OFFSET]."""
    parsed = SubjectListArgs().load(args)
    stmt = select(Subject.id).where(*queries.subject_conditions(parsed)).limit(PAGE)
    return stmt.offset((parsed["page"] - 1) * PAGE)


def run(url: str, n_subjects: int, runs: int, label: str) -> list[tuple]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-inst-"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        info = populate(db.engine, n_subjects)
        seconds = time.perf_counter() - started
        print(f"[{label}] {n_subjects:,} subjects inserted in {seconds:.1f} s")
        db.session.remove()
    dept_id = str(info["departments"][0]["id"])
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": PASSWORD})
    assert response.status_code == 302, "bench sign-in failed"
    rows = []
    for name, args in cases(n_subjects):
        args = {k: (dept_id if v is None else v) for k, v in args.items()}
        query = "&".join(f"{k}={v}" for k, v in args.items())
        path = "/subjects" + (f"?{query}" if query else "")

        def page(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        listed = len(re.findall(rb'<a href="/subjects/[0-9a-f-]{36}">', page().data))
        console = median_ms(page, runs)
        with app.app_context():
            stmt = floor_query(args)
            with db.engine.connect() as conn:
                floor = median_ms(lambda conn=conn, stmt=stmt: conn.execute(stmt).all(), runs)
        rows.append((label, name, console, floor, console / floor, listed))
    with app.app_context():
        db.engine.dispose()
    return rows


def temporary_postgres(url: str, label: str = "directory"):
    """Create an empty database next to `url`'s; returns (its URL, a drop function)."""
    base = make_url(url)
    name = f"bench_{label}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def print_lines(lines: list[tuple]) -> None:
    """A plain-text table: the first line is the header, every cell a string."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for i, line in enumerate(lines):
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


def print_table(rows: list[tuple]) -> None:
    header = ("db", "case", "median ms", "floor ms", "ratio", "rows")
    lines = [header] + [
        (db_, case, f"{ms:.1f}", f"{floor:.2f}", f"{ratio:.1f}×", str(listed))
        for db_, case, ms, floor, ratio, listed in rows
    ]
    print_lines(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-directory-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        rows += run(sqlite_url, options.subjects, options.runs, "sqlite")
    pg = os.environ.get("DATABASE_URL", "")
    if pg.startswith("postgresql"):
        url, drop = temporary_postgres(pg)
        try:
            rows += run(url, options.subjects, options.runs, "postgresql")
        finally:
            drop()
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
