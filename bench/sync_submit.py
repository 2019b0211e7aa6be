"""Benchmark of sync v1 "Push" `record.submit` throughput on PostgreSQL through gunicorn.

    python -m bench.sync_submit [--clients 16] [--records 2000] [--workers N] [--threads 4]
                                [--profile]

Builds its own data in a temporary PostgreSQL database next to DATABASE_URL's (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), dropped afterwards: the fixture of
bench/sync_pull.py (issued tasks, visits, teams of 51 inspectors, inserted in bulk), then one
device with its own P-256 key for each of `--clients` inspectors. Every record is prepared before
the timer starts (RFC 8785 hash, ECDSA signature as raw r||s base64url, no media, so it goes
straight to "submitted"), one `record.submit` per request, seq increasing per device.

The app is served by gunicorn (gthread workers) on 127.0.0.1 with DATABASE_URL pointing at the
temporary database: `bench.sync_submit:bench_app()`, server.wsgi's app plus one bench-only
reference route that stores its body with one INSERT (HTTP + Flask + SQLAlchemy, nothing of the
push). Each client is a thread with its own keep-alive connection; every answer must be 200 with
status "applied", and afterwards visit_records must hold exactly the records pushed. While the
clients push, pg_stat_activity is sampled (what the server's database sessions wait on: the
audit chain's advisory lock, row locks, WAL flush, or the application holding an open
transaction) and CPU time is counted per party (gunicorn, PostgreSQL backends, the rest).

The floor, measured in the same run on the same server: the same number of concurrent clients,
each with its own psycopg connection, INSERT the same JSON (the mutation's args) into a scratch
table and COMMIT each row. Budget (architecture.md): push throughput ≥ 30 % of the floor.

`--profile` then pushes 300 records in-process through the Flask test client (one thread, one
device) with timers around the steps of a push and every SQL round trip, then 300 more under
cProfile, and prints where a push's time goes.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import collections
import cProfile
import functools
import http.client
import io
import json
import os
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from PIL import Image
from sqlalchemy import make_url, select

from bench import report
from bench.directory_listing import print_lines, temporary_postgres
from bench.sync_pull import populate
from server import create_app
from server.audit import guard
from server.auth.bearer import new_token
from server.auth.models import Device
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.extensions import db
from server.orm import Base
from server.visits.models import VisitTask
from sync.integrity import record_hash

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GOAL = 0.30
QUESTIONS = 20
PUSH = "/api/v1/sync/push"
AT = "2026-12-03T09:30:00+08:00"
PROFILE_PUSHES = 300
SAMPLER = "bench-sampler"


def scratch_instance() -> str:
    """An instance folder for an in-process app, removed when the benchmark exits."""
    path = tempfile.mkdtemp(prefix="bench-inst-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signature_png() -> str:
    """A finger signature as the phone draws it: a small PNG data URL (a few hundred bytes)."""
    image = Image.new("L", (240, 80), 255)
    image.paste(0, (20, 38, 220, 42))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


class Phone:
    """One device: a P-256 key, a bearer token, its own mutation sequence."""

    def __init__(self, user_id: uuid.UUID, rows: list[tuple[uuid.UUID, uuid.UUID]]):
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
        self.token, self.digest = new_token()
        self.user_id, self.rows = user_id, rows  # rows: (visit_id, task_id) in scope
        self.device_id: uuid.UUID | None = None
        self.seq = 0

    def sign(self, hash_hex: str) -> str:
        der = self.key.sign(bytes.fromhex(hash_hex), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def submission(self, n: int, image: str) -> dict:
        """The args of one record.submit for the n-th record of this phone."""
        visit_id, task_id = (str(x) for x in self.rows[n % len(self.rows)])
        record_id = str(uuid.uuid4())
        content = {
            "record_id": record_id,
            "visit_id": visit_id,
            "task_id": task_id,
            "answers": {f"q{q}": ("yes", "no", "na")[q % 3] for q in range(QUESTIONS)},
            "notes": {"q3": "现场查看了预付卡发行台账，资金存管协议齐全。"},
            "finished_at": AT,
            "inspector": "检查员",
            "gps": {"lat": 37.5, "lng": 122.12, "accuracy": 8.0},
        }
        hash_hex = record_hash(content)
        return {
            "record_id": record_id,
            "visit_id": visit_id,
            "task_id": task_id,
            "record": content,
            "record_hash": hash_hex,
            "device_signature": self.sign(hash_hex),
            "signatures": {"party": {"image": image, "signer": "法人"}},
            "media": [],
        }

    def request(self, args: dict) -> bytes:
        self.seq += 1
        mutation = {"seq": self.seq, "type": "record.submit", "args": args}
        body = {"device_id": str(self.device_id), "mutations": [mutation]}
        return json.dumps(body, ensure_ascii=False).encode()


def build(url: str, clients: int) -> list[Phone]:
    """Schema and fixture in the temporary database; one registered Phone per client."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": scratch_instance(),
        }
    )
    with app.app_context():
        with db.engine.begin() as conn:
            Base.metadata.create_all(conn)
            guard.install(conn)  # as the migrations do: the audit table is append-only
        started = time.perf_counter()
        populate(db.session, n_visits=20, n_background=25 * clients)
        # Each inspector's (visit, task) pairs in scope: their team rows joined to the visits.
        rows = db.session.execute(
            select(Inspector.user_id, VisitTask.visit_id, VisitTask.task_id)
            .join(DrawAssignment, DrawAssignment.inspector_id == Inspector.id)
            .join(
                VisitTask,
                (VisitTask.draw_id == DrawAssignment.draw_id)
                & (VisitTask.subject_id == DrawAssignment.subject_id),
            )
            .order_by(Inspector.user_id, VisitTask.visit_id)
        ).all()
        scope = collections.defaultdict(list)
        for user_id, visit_id, task_id in rows:
            scope[user_id].append((visit_id, task_id))
        busiest = sorted(scope, key=lambda u: (-len(scope[u]), str(u)))[:clients]
        if len(busiest) < clients:
            raise SystemExit(f"only {len(busiest)} inspectors with visits for {clients} clients")
        phones = [Phone(user_id, scope[user_id]) for user_id in busiest]
        devices = [
            Device(user_id=p.user_id, name="基准手机", public_key=p.jwk, token_hash=p.digest)
            for p in phones
        ]
        db.session.add_all(devices)
        db.session.commit()
        for phone, device in zip(phones, devices, strict=True):
            phone.device_id = device.id
        print(f"data built in {time.perf_counter() - started:.1f} s ({len(rows)} team rows)")
        db.session.remove()
        db.engine.dispose()
    return phones


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    app_spec: str, env: dict, workers: int, threads: int, timeout: float = 60
) -> tuple[subprocess.Popen, int]:
    """gunicorn (gthread) on a free loopback port; returns once /healthz answers 200."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120",
        app_spec,
    ]  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    # Our own fixed command line (the venv's gunicorn), no shell and no outside input.
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=root)  # noqa: S603
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return process, port
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(process)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def stop_gunicorn(process: subprocess.Popen) -> None:
    process.terminate()  # SIGTERM: graceful shutdown of the arbiter and its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _tree(pid: int) -> list[int]:
    """A process and its children (gunicorn's arbiter and its workers)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(child) for child in task.read_text().split()]
    return pids


class CpuMeter:
    """CPU seconds spent while it is open: the gunicorn tree, the database's backends, this
    process, the whole machine (the rest is whatever else runs on it)."""

    def __init__(self, server_pid: int, conninfo: str, database: str):
        self.pids = _tree(server_pid)
        self.conninfo, self.database = conninfo, database
        self.hz = os.sysconf("SC_CLK_TCK")

    def _backends(self) -> dict[int, int]:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid() AND application_name <> %s",
                (self.database, SAMPLER),
            ).fetchall()
        return {pid: _ticks(pid) for (pid,) in rows}

    @staticmethod
    def _machine() -> int:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(values) - values[3] - values[4]  # all but idle and iowait

    def __enter__(self):
        self.server = sum(_ticks(p) for p in self.pids)
        self.database_before = self._backends()
        self.own, self.machine = time.process_time(), self._machine()
        return self

    def __exit__(self, *exc):
        self.server = (sum(_ticks(p) for p in self.pids) - self.server) / self.hz
        after = self._backends()  # a backend opened during the run started from zero
        ticks = sum(t - self.database_before.get(pid, 0) for pid, t in after.items())
        self.postgres = ticks / self.hz
        self.own = time.process_time() - self.own
        self.machine = (self._machine() - self.machine) / self.hz


def percentile(samples: list[float], q: float) -> float:
    return sorted(samples)[max(0, int(round(q * len(samples))) - 1)]


def bench_app():
    """gunicorn's app: server.wsgi's, plus the reference route POST /bench/insert.

    The route stores its JSON body with one INSERT, committed by the app's own request commit
    (server/transactions.py): HTTP, gunicorn, Flask and SQLAlchemy with nothing of the push.
    """
    from flask import request
    from sqlalchemy import text

    from server.extensions import csrf

    app = create_app()

    def insert():
        db.session.execute(
            text("INSERT INTO bench_reference (id, record) VALUES (:id, :record)"),
            {"id": uuid.uuid4(), "record": request.get_data(as_text=True)},
        )
        return {"results": [{"status": "applied"}]}

    app.add_url_rule("/bench/insert", "bench_insert", insert, methods=["POST"])
    csrf.exempt(insert)
    return app


def drive(
    port: int, phones: list[Phone], bodies: list[list[bytes]], path: str = PUSH
) -> tuple[float, list]:
    """All clients at once, each on its own keep-alive connection; (seconds, latencies)."""
    latencies: list[float] = []
    failures: list[str] = []
    barrier = threading.Barrier(len(phones) + 1)

    def client(phone: Phone, mine: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"}
        conn.connect()
        barrier.wait()
        own = []
        try:
            for body in mine:
                started = time.perf_counter()
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                own.append(time.perf_counter() - started)
                if response.status != 200:
                    failures.append(f"{response.status}: {data[:300]!r}")
                    return
                results = json.loads(data)["results"]
                if [r["status"] for r in results] != ["applied"]:
                    failures.append(f"not applied: {results}")
                    return
        finally:
            conn.close()
            latencies.extend(own)

    threads = [
        threading.Thread(target=client, args=(p, b)) for p, b in zip(phones, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise AssertionError(f"{len(failures)} failed pushes, first: {failures[0]}")
    return seconds, latencies


class WaitSampler:
    """Samples pg_stat_activity of one database: what its sessions are doing, on average."""

    def __init__(self, conninfo: str, database: str, interval: float = 0.02):
        self.conninfo, self.database, self.interval = conninfo, database, interval
        self.counts: collections.Counter = collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = """
            SELECT state, coalesce(wait_event_type || '/' || wait_event, 'running'), count(*)
            FROM pg_stat_activity
            WHERE datname = %s AND pid <> pg_backend_pid() AND application_name <> %s
            GROUP BY 1, 2
        """
        with psycopg.connect(self.conninfo, autocommit=True, application_name=SAMPLER) as conn:
            while not self._stop.is_set():
                for state, wait, n in conn.execute(query, (self.database, SAMPLER)).fetchall():
                    if state == "idle":
                        continue  # a pooled connection between requests
                    label = "app holds open transaction" if state.startswith("idle in") else wait
                    self.counts[label] += n
                self.samples += 1
                self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def rows(self) -> list[tuple[str, float]]:
        return [(label, n / max(1, self.samples)) for label, n in self.counts.most_common(8)]


def floor_run(conninfo: str, clients: int, rows: list[list[str]]) -> tuple[float, list]:
    """The floor: each client its own psycopg connection, one INSERT + COMMIT per row."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("bench_floor", "bench_reference"):
            conn.execute(
                f"CREATE TABLE {table}"  # noqa: S608 - a fixed name
                " (id uuid PRIMARY KEY, record json NOT NULL, created_at timestamptz DEFAULT now())"
            )
    connections = [psycopg.connect(conninfo) for _ in range(clients)]
    latencies: list[float] = []
    barrier = threading.Barrier(clients + 1)

    def client(conn, mine: list[str]) -> None:
        own = []
        barrier.wait()
        for payload in mine:
            started = time.perf_counter()
            conn.execute(
                "INSERT INTO bench_floor (id, record) VALUES (%s, %s)", (uuid.uuid4(), payload)
            )
            conn.commit()
            own.append(time.perf_counter() - started)
        latencies.extend(own)

    threads = [
        threading.Thread(target=client, args=(c, r)) for c, r in zip(connections, rows, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        for conn in connections:
            conn.close()
    with psycopg.connect(conninfo) as conn:
        stored = conn.execute("SELECT count(*) FROM bench_floor").fetchone()[0]
    assert stored == sum(len(r) for r in rows), (stored, sum(len(r) for r in rows))
    return seconds, latencies


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# ---------------------------------------------------------------- in-process profile


class Timers:
    """Wall time and calls per label, from wrappers around the push path (no profiler)."""

    def __init__(self):
        self.seconds: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()
        self.lock_taken: float | None = None
        self._undo: list = []

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] += seconds
        self.calls[label] += 1

    def wrap(self, owner, name: str, label: str, *, mapping: bool = False) -> None:
        original = owner[name] if mapping else getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - started)

        if mapping:
            owner[name] = timed
            self._undo.append(lambda: owner.__setitem__(name, original))
        else:
            setattr(owner, name, timed)
            self._undo.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()


def _statement_label(statement: str) -> str:
    """`SELECT … FROM devices …` → "SELECT devices": what a round trip was for."""
    words = statement.split()
    verb = words[0].upper() if words else "?"
    for keyword in ("FROM", "INTO", "UPDATE"):
        if keyword in words[1:] or (verb == keyword and len(words) > 1):
            at = 0 if verb == keyword else words.index(keyword, 1)
            return f"{verb} {words[at + 1].strip('()')}"
    return " ".join(words[:2])


def profile_pushes(url: str, phone: Phone, pushes: int) -> None:
    """Push `pushes` records one after another through the test client (one thread): wall time
    per step from wrappers, SQL round trips per statement, then cProfile's own-time top list."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from server.auth import bearer
    from server.syncapi import push as push_module

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": scratch_instance(),
        }
    )
    image = signature_png()
    bodies = [phone.request(phone.submission(n, image)) for n in range(2 * pushes + 5)]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"}

    def send(body: bytes) -> None:
        response = client.post(PUSH, data=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["results"][0]["status"] == "applied"

    for body in bodies[:5]:  # warm-up: connections, caches, last_seen_at
        send(body)

    timers = Timers()
    sql: collections.Counter = collections.Counter()
    sql_calls: collections.Counter = collections.Counter()
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        label = _statement_label(statement)
        sql[label] += time.perf_counter() - conn.info.pop("bench_started")
        sql_calls[label] += 1

    def audit_append(original):
        @functools.wraps(original)
        def wrapped(*args, **kwargs):
            if timers.lock_taken is None:
                timers.lock_taken = time.perf_counter()
            return original(*args, **kwargs)

        return wrapped

    original_commit = dialect.do_commit

    def do_commit(dbapi_connection):
        started = time.perf_counter()
        try:
            return original_commit(dbapi_connection)
        finally:
            now = time.perf_counter()
            timers.add("COMMIT round trip", now - started)
            if timers.lock_taken is not None:
                timers.add("audit chain lock held (record() → COMMIT)", now - timers.lock_taken)
                timers.lock_taken = None

    timers.wrap(bearer, "authenticate", "authenticate (bearer token)")
    timers.wrap(push_module, "push", "push() (all mutations)")
    timers.wrap(push_module.APPLY, "record.submit", "submit()", mapping=True)
    timers.wrap(push_module.Context, "check_visit", "scope check (visit ids)")
    timers.wrap(push_module, "_locked_record", "record SELECT … FOR UPDATE")
    timers.wrap(push_module, "_check_section", "section check")
    timers.wrap(push_module, "record_hash", "record_hash (RFC 8785)")
    timers.wrap(push_module, "verify_signature", "verify_signature (ECDSA P-256)")
    timers.wrap(push_module.Context, "audit", "Context.audit (flush + chain append)")
    timers.wrap(push_module, "record", "audit record() (lock, read head, INSERT)")
    timers.wrap(Session, "commit", "Session.commit (flush + COMMIT)")
    push_module.record = audit_append(push_module.record)
    dialect.do_commit = do_commit
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        for body in bodies[5 : 5 + pushes]:
            send(body)
        wall = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        dialect.do_commit = original_commit
        timers.restore()

    per = lambda seconds: f"{seconds / pushes * 1000:.2f}"  # noqa: E731
    print(f"\nin-process, one thread, test client: {pushes} pushes, {per(wall)} ms per push")
    print_lines(
        [("step (wall, nested steps are inside their parent)", "ms/push", "calls/push")]
        + [
            (label, per(timers.seconds[label]), f"{timers.calls[label] / pushes:.1f}")
            for label in timers.seconds
        ]
    )
    print(f"\nSQL round trips: {sum(sql_calls.values()) / pushes:.1f} per push")
    print_lines(
        [("statement", "ms/push", "calls/push")]
        + [
            (label, per(seconds), f"{sql_calls[label] / pushes:.1f}")
            for label, seconds in sql.most_common()
        ]
        + [("all SQL", per(sum(sql.values())), f"{sum(sql_calls.values()) / pushes:.1f}")]
    )

    profiler = cProfile.Profile()
    profiler.enable()
    for body in bodies[5 + pushes :]:
        send(body)
    profiler.disable()
    print("\ncProfile of as many pushes again, top 20 by own time:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    with app.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------- output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--profile", action="store_true", help="then profile pushes in-process")
    options = parser.parse_args(argv)
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        base = DEFAULT_PG
    url, drop = temporary_postgres(base, label="submit")
    database = make_url(url).database
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        phones = build(url, options.clients)
        image = signature_png()
        counts = split(options.records, options.clients)
        # Prepared before the timer: hashing and signing are the phone's work, not the server's.
        warmups = [[p.request(p.submission(0, image))] for p in phones]
        args = [
            [p.submission(n + 1, image) for n in range(c)]
            for p, c in zip(phones, counts, strict=True)
        ]
        bodies = [[p.request(a) for a in mine] for p, mine in zip(phones, args, strict=True)]
        payloads = [[json.dumps(a, ensure_ascii=False) for a in mine] for mine in args]
        size = statistics.median(len(b) for mine in bodies for b in mine)
        print(f"{options.records} pushes of ~{size / 1024:.1f} KiB, {options.clients} clients")

        floor_s, floor_lat = floor_run(conninfo, options.clients, payloads)

        with tempfile.TemporaryDirectory(prefix="bench-submit-") as instance:
            env = {
                "DATABASE_URL": url,
                "SPOTCHECK_INSTANCE_PATH": instance,
                "SPOTCHECK_SECRET_KEY": "bench",
            }
            process, port = start_gunicorn(
                "bench.sync_submit:bench_app()", env, options.workers, options.threads
            )
            try:
                drive(port, phones, warmups)  # each worker's pool, each device's last_seen_at
                encoded = [[p.encode() for p in mine] for mine in payloads]
                reference_s, reference_lat = drive(port, phones, encoded, "/bench/insert")
                with (
                    WaitSampler(conninfo, database) as sampler,
                    CpuMeter(process.pid, conninfo, database) as cpu,
                ):
                    push_s, push_lat = drive(port, phones, bodies)
            finally:
                stop_gunicorn(process)

        with psycopg.connect(conninfo) as conn:
            stored = conn.execute("SELECT count(*) FROM visit_records").fetchone()[0]
        expected = options.records + len(phones)
        assert stored == expected, f"visit_records holds {stored}, pushed {expected}"

        push_rate, floor_rate = options.records / push_s, options.records / floor_s
        ms = lambda s: f"{s * 1000:.1f}"  # noqa: E731
        print(
            f"\ngunicorn gthread: {options.workers} workers × {options.threads} threads;"
            f" {stored} rows in visit_records (= pushed)\n"
        )
        print_lines(
            [
                ("case", "records/s", "p50 ms", "p95 ms", "ratio to floor"),
                (
                    "record.submit push (gunicorn)",
                    f"{push_rate:.0f}",
                    ms(statistics.median(push_lat)),
                    ms(percentile(push_lat, 0.95)),
                    f"{push_rate / floor_rate:.1%}",
                ),
                (
                    "reference: plain Flask route, 1 INSERT",
                    f"{options.records / reference_s:.0f}",
                    ms(statistics.median(reference_lat)),
                    ms(percentile(reference_lat, 0.95)),
                    f"{options.records / reference_s / floor_rate:.1%}",
                ),
                (
                    "floor: INSERT + COMMIT (psycopg)",
                    f"{floor_rate:.0f}",
                    ms(statistics.median(floor_lat)),
                    ms(percentile(floor_lat, 0.95)),
                    "100%",
                ),
            ]
        )
        print("\nserver's database sessions during the pushes (average number, sampled):")
        print_lines(
            [("state / wait event", "sessions")]
            + [(label, f"{n:.2f}") for label, n in sampler.rows()]
        )
        per = lambda seconds: f"{seconds / options.records * 1000:.2f}"  # noqa: E731
        others = cpu.machine - cpu.server - cpu.own - cpu.postgres
        print(f"\nCPU during the pushes ({os.cpu_count()} cores, {push_s:.1f} s wall):")
        print_lines(
            [
                ("who", "CPU s", "CPU ms/record"),
                ("gunicorn (arbiter + workers)", f"{cpu.server:.1f}", per(cpu.server)),
                ("bench clients + sampler", f"{cpu.own:.1f}", per(cpu.own)),
                ("PostgreSQL backends of the run", f"{cpu.postgres:.1f}", per(cpu.postgres)),
                ("anything else on the machine", f"{others:.1f}", per(others)),
                ("machine", f"{cpu.machine:.1f}", per(cpu.machine)),
            ]
        )
        verdict = push_rate / floor_rate >= GOAL
        report.headline(
            "sync push (PostgreSQL, gunicorn)",
            f"record.submit, {options.clients} clients",
            f"{push_rate:.0f} rec/s",
            f"{floor_rate:.0f} rec/s",
            push_rate / floor_rate,
            f"≥ {GOAL:.0%}",
            verdict,
        )
        print(f"\nbudget: push ≥ {GOAL:.0%} of the floor — {'met' if verdict else 'NOT met'}")
        if options.profile:
            profile_pushes(url, phones[0], PROFILE_PUSHES)
    finally:
        drop()


if __name__ == "__main__":
    main()
