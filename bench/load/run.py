"""Load test: N inspectors at once do a whole visit through gunicorn, PostgreSQL and S3 (moto).

    python -m bench.load.run [--inspectors 200] [--photos 5] [--photo-bytes 1000000]
                             [--workers N] [--threads N] [--timeout 480]
                             [--fault worker-kill|server-restart|s3-outage|pg-restart]...
                             [--redis redis://127.0.0.1:6379/5] [--allow-pg-restart]

Loopback only, bounded (a hard timeout; it stops by itself). See bench/load/README.md.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime as dt
import hashlib
import http.client
import io
import json
import os
import random
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psycopg
from PIL import Image
from sqlalchemy import create_engine, insert, make_url, select, text, update

from bench import report
from bench.directory_listing import print_lines
from bench.load import faults
from bench.sync_pull import populate
from bench.sync_submit import (
    DEFAULT_PG,
    CpuMeter,
    Phone,
    _ticks,
    free_port,
    percentile,
    scratch_instance,
    signature_png,
)
from bench.upload import TUS, metadata
from server import create_app
from server.audit import guard
from server.auth import passwords
from server.auth.models import Department, User, UserRole
from server.auth.roles import INSPECTOR
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.extensions import db
from server.orm import Base
from sync.integrity import record_hash

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "load-test-password"  # noqa: S105 - throwaway accounts in a throwaway database
BUCKET = "spotcheck-load"
ENDPOINTS = ("sign-in", "pull", "push", "tus POST", "tus PATCH", "tus HEAD")
OFFSET_TYPE = "application/offset+octet-stream"
CHUNK = 1024 * 1024  # the PWA's tus chunk (pwa/src/sync/engine.js CHUNK_SIZE)
CHECK_RESERVE = 100  # seconds of the hard timeout kept for the end checks and cleanup
GPS = {"lat": 37.5, "lng": 122.12, "accuracy": 8.0}
QUESTIONS = 20


# ---------------------------------------------------------------- data


def temporary_database(base_url: str) -> tuple[str, callable]:
    """An empty database `load_<pid>` next to `base_url`'s; returns (its URL, a drop function)."""
    name = f"load_{os.getpid()}"
    # pre-ping: after a pg-restart fault the pooled admin connection is dead, and the drop
    # at the end must still work.
    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


def build(url: str, n: int) -> list[dict]:
    """Schema, the sync benchmarks' fixture, then `n` inspectors who can sign in, one visit each.

    bench/sync_pull.py's `populate` makes the department, tasks, draws, checklists and n + 1
    visits (teams of its own 51 inspectors). Our inspectors get real password hashes (Argon2 with
    the production profile, hashed once: the server's verify cost is what a phone pays) and
    each takes the team-lead place on one visit, so every phone has exactly one visit to do.
    """
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch_instance()}
    )
    with app.app_context():
        with db.engine.begin() as conn:
            Base.metadata.create_all(conn)
            guard.install(conn)  # as the migrations do: the audit table is append-only
        populate(db.session, n_visits=1, n_background=n)
        password_hash = passwords.hash_password(PASSWORD)
        department = db.session.scalar(select(Department.id))
        now = dt.datetime.now(dt.UTC)
        stamps = {"created_at": now, "updated_at": now}
        users = [
            {
                "id": uuid.uuid4(),
                "username": f"load{i:04d}",
                "display_name": f"负载检查员{i}",
                "password_hash": password_hash,
                "department_id": department,
                **stamps,
            }
            for i in range(n)
        ]
        inspectors = [
            {
                "id": uuid.uuid4(),
                "user_id": u["id"],
                "name": u["display_name"],
                "department_id": department,
                "credential_no": f"3710899{i:05d}",
                "credential_issuer": "威海市人民政府",
                "credential_valid_from": dt.date(2024, 1, 1),
                "credential_valid_until": dt.date(2029, 12, 31),
                "qualification": "law_enforcement",
                **stamps,
            }
            for i, u in enumerate(users)
        ]
        db.session.execute(insert(User), users)
        db.session.execute(
            insert(UserRole), [{"user_id": u["id"], "role": INSPECTOR} for u in users]
        )
        db.session.execute(insert(Inspector), inspectors)
        leads = db.session.scalars(
            select(DrawAssignment.id)
            .where(DrawAssignment.is_team_lead)
            .order_by(DrawAssignment.position)
            .limit(n)
        ).all()
        if len(leads) < n:
            raise SystemExit(f"only {len(leads)} visits for {n} inspectors")
        db.session.execute(
            update(DrawAssignment),
            [
                {"id": lead, "inspector_id": i["id"], "credential_no": i["credential_no"]}
                for lead, i in zip(leads, inspectors, strict=True)
            ],
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return [{"username": u["username"], "user_id": u["id"]} for u in users]


def noise_jpeg(target: int, rng: random.Random) -> bytes:
    """A JPEG of random pixels of about `target` bytes (noise does not compress)."""
    side = 1000
    for _ in range(3):  # ~0.75 bytes per pixel at quality 85; two corrections are plenty
        width, height = side, side * 3 // 4
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
        data = out.getvalue()
        side = max(64, int(side * (target / len(data)) ** 0.5))
    return data


def unique_copy(base: bytes) -> bytes:
    """The same picture with a random JPEG comment (COM) segment: other bytes, other SHA-256."""
    note = uuid.uuid4().hex.encode()
    return base[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + base[2:]


# ---------------------------------------------------------------- what the clients saw


class Stats:
    """Latencies of answered requests, failed attempts (retried) and a timeline of both."""

    def __init__(self):
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.error_samples: dict[tuple, str] = {}
        self.timeline: list[tuple[float, str, bool]] = []  # (t, endpoint, answered)
        self.photos_done = 0
        self.duplicates = 0
        self.anomalies: list[str] = []

    def clock(self) -> float:
        return time.monotonic() - self.started

    def ok(self, label: str, seconds: float) -> None:
        with self.lock:
            self.latency[label].append(seconds)
            self.timeline.append((self.clock(), label, True))

    def error(self, label: str, kind: str, sample: str = "") -> None:
        with self.lock:
            self.errors[(label, kind)] += 1
            self.error_samples.setdefault((label, kind), sample)
            self.timeline.append((self.clock(), label, False))

    def anomaly(self, text_: str) -> None:
        with self.lock:
            self.anomalies.append(text_)


class Abort(Exception):
    """A client gives up: the deadline passed, or an answer the protocol does not allow."""


def backoff(failures: int) -> float:
    """The PWA's "equal jitter" exponential backoff, on a shorter scale (0.25 s … 5 s instead
    of 2 s … 5 min) so that a run stays bounded; the shape is the same."""
    ceiling = min(5.0, 0.25 * 2 ** max(0, failures - 1))
    return ceiling / 2 + random.random() * ceiling / 2  # noqa: S311 - jitter, not a secret


class FieldPhone:
    """One inspector's phone: a keep-alive connection, the PWA's retry rules, a whole visit."""

    def __init__(self, n, account, photos, port_of, stats, deadline, chunk, signature):
        self.n, self.account, self.photos = n, account, photos
        self.port_of, self.stats, self.deadline, self.chunk = port_of, stats, deadline, chunk
        self.signature = signature
        self.phone = Phone(account["user_id"], [])  # the key; its token is not used here
        self.conn: http.client.HTTPConnection | None = None
        self.seq = 0
        self.failures = 0  # consecutive failed attempts: the backoff's exponent
        self.token = self.device_id = None
        self.record_id = str(uuid.uuid4())
        self.hash = None
        self.visit_id = self.task_id = None
        self.done = False
        self.failure: str | None = None

    # -- HTTP with the PWA's rules: network errors, 5xx, 408, 429 → back off and try again

    def request(self, label, method, path, body=None, headers=None, *, retry=True):
        while True:
            if time.monotonic() > self.deadline:
                raise Abort("deadline")
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port_of(), timeout=120)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.conn.close()
                self.conn = None
                self.stats.error(label, type(error).__name__, str(error)[:200])
                self.failures += 1
                time.sleep(backoff(self.failures))
                if not retry:
                    return None, None, None
                continue
            if response.status >= 500 or response.status in (408, 429):
                self.stats.error(label, str(response.status), data[:300].decode(errors="replace"))
                self.failures += 1
                time.sleep(backoff(self.failures))
                if not retry:
                    return response.status, response.headers, data
                continue
            self.stats.ok(label, time.perf_counter() - started)
            if label != "tus HEAD":
                # As the PWA's drain: the backoff grows over consecutive failures and starts
                # again after progress (a HEAD that answers is not progress yet).
                self.failures = 0
            return response.status, response.headers, data

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    # -- the visit

    def run(self) -> None:
        try:
            self.sign_in()
            visit, task, subject = self.pull()
            self.work(visit, task, subject)
            for photo in self.photos:
                self.upload(photo)
                with self.stats.lock:
                    self.stats.photos_done += 1
            status, _, _ = self.request(
                "pull", "GET", f"/api/v1/sync/pull?cursor={self.cursor}", headers=self.auth
            )
            if status != 200:
                raise Abort(f"final pull answered {status}")
            self.done = True
        except Abort as stop:
            self.failure = str(stop)
        except Exception:  # noqa: BLE001 - a client's bug is reported, not raised in a thread
            self.failure = traceback.format_exc(limit=3)
        finally:
            if self.conn is not None:
                self.conn.close()

    def sign_in(self) -> None:
        body = json.dumps(
            {
                "username": self.account["username"],
                "password": PASSWORD,
                "device_name": f"负载测试手机{self.n}",
                "device_public_key": self.phone.jwk,
            },
            ensure_ascii=False,
        ).encode()
        status, _, data = self.request(
            "sign-in", "POST", "/api/v1/auth/device", body, {"Content-Type": "application/json"}
        )
        if status != 201:
            raise Abort(f"sign-in answered {status}: {data[:200]!r}")
        answer = json.loads(data)
        self.token, self.device_id = answer["token"], answer["device_id"]

    def pull(self) -> tuple[dict, dict, dict]:
        status, _, data = self.request(
            "pull", "GET", "/api/v1/sync/pull?cursor=0", headers=self.auth
        )
        if status != 200:
            raise Abort(f"pull answered {status}: {data[:200]!r}")
        body = json.loads(data)
        self.cursor = body["cursor"]
        changes = body["changes"]
        mine = [
            (visit, section)
            for visit in changes["visits"]["upserts"]
            for section in visit["sections"]
            if any(m["is_me"] and m["is_lead"] for m in section["team"])
        ]
        if len(mine) != 1:
            raise Abort(f"pull: {len(mine)} visits led by this inspector, expected 1")
        visit, section = mine[0]
        subjects = {s["id"]: s for s in changes["subjects"]["upserts"]}
        tasks = {t["id"]: t for t in changes["tasks"]["upserts"]}
        self.visit_id, self.task_id = visit["id"], section["task_id"]
        return (
            visit,
            {**tasks.get(section["task_id"], {}), "team": section["team"]},
            subjects.get(visit["subject_id"], {}),
        )

    def push(self, mutations: list[tuple[str, dict]]) -> None:
        batch = [
            {"seq": self.seq + i + 1, "type": kind, "args": args}
            for i, (kind, args) in enumerate(mutations)
        ]
        headers = {**self.auth, "Content-Type": "application/json"}
        while batch:
            body = json.dumps(
                {"device_id": self.device_id, "mutations": batch}, ensure_ascii=False
            ).encode()
            status, _, data = self.request("push", "POST", "/api/v1/sync/push", body, headers)
            if status == 409:
                expected = json.loads(data).get("expected_seq")
                if expected is None or expected < batch[0]["seq"]:
                    raise Abort(f"push: the server lost mutations (409 {data[:200]!r})")
                self.stats.anomaly(f"phone {self.n}: 409 expected_seq {expected}, resent from it")
                batch = [m for m in batch if m["seq"] >= expected]
                continue
            if status != 200:
                raise Abort(f"push answered {status}: {data[:300]!r}")
            for result in json.loads(data)["results"]:
                if result["status"] == "duplicate":
                    with self.stats.lock:
                        self.stats.duplicates += 1
                    if result.get("result") == "applied":
                        continue
                if result["status"] != "applied":
                    self.stats.anomaly(f"phone {self.n}: seq {result['seq']} {result}")
            break
        self.seq += len(mutations)

    def work(self, visit: dict, task: dict, subject: dict) -> None:
        """The mutations of a whole visit, in two pushes: the field work, then the signed record.

        The record is submitted before its photos are uploaded (as a phone offline at the site
        would), so it waits as "awaiting media" until the last photo is verified.
        """
        now = lambda: dt.datetime.now(dt.UTC).isoformat()  # noqa: E731
        events = {kind: {"event_id": str(uuid.uuid4()), "visit_id": self.visit_id, "at": now()}
                  for kind in ("visit.start", "credential.shown", "notice.delivered")}  # fmt: skip
        events["visit.start"]["gps"] = GPS
        events["notice.delivered"]["signature"] = {"image": self.signature, "signer": "法人"}
        answers = {f"q{q}": ("yes", "no", "na")[(q + self.n) % 3] for q in range(QUESTIONS)}
        notes = {"q3": "现场查看了预付卡发行台账，资金存管协议齐全。"}
        section = {"record_id": self.record_id, "visit_id": self.visit_id, "task_id": self.task_id}
        media = [
            {
                "media_id": p["media_id"],
                "record_id": self.record_id,
                "kind": "photo",
                "sha256": p["sha256"],
                "size": len(p["data"]),
                "mime": "image/jpeg",
                "captured_at": now(),
                "gps": GPS,
            }
            for p in self.photos
        ]
        self.push(
            [(kind, args) for kind, args in events.items()]
            + [("record.save_draft", {**section, "answers": answers, "notes": notes})]
            + [("media.attach", m) for m in media]
        )
        record = {
            "schema": "spotcheck.record.v1",
            **section,
            "version": 1,
            "device_id": self.device_id,
            "subject": {
                "id": visit["subject_id"],
                "uscc": visit.get("uscc"),
                "name": subject.get("name", ""),
                "address": subject.get("address", ""),
            },
            "task": {"id": self.task_id, "number": task.get("number"), "name": task.get("name")},
            "inspectors": [
                {
                    "name": m.get("name"),
                    "credential_no": m.get("credential_no"),
                    "lead": m["is_lead"],
                }
                for m in task["team"]
            ],
            "started_at": events["visit.start"]["at"],
            "gps": GPS,
            "credential_shown_at": events["credential.shown"]["at"],
            "notice": {"delivered_at": events["notice.delivered"]["at"], "signed": True},
            "answers": answers,
            "notes": notes,
            "findings": "",
            "media": [
                {k: m[k] for k in ("media_id", "sha256", "kind", "mime", "size", "captured_at")}
                for m in media
            ],
            "sign": {"refused": False, "signer": "法人"},
            "finished_at": now(),
        }
        self.hash = record_hash(record)
        self.push(
            [
                (
                    "record.submit",
                    {
                        **section,
                        "record": record,
                        "record_hash": self.hash,
                        "device_signature": self.phone.sign(self.hash),
                        "signatures": {"party": {"image": self.signature, "signer": "法人"}},
                        "media": [
                            {"media_id": m["media_id"], "sha256": m["sha256"]} for m in media
                        ],
                    },
                )
            ]
        )

    def head(self, location: str) -> int | None:
        """The server's offset (tus HEAD); None when the upload is gone or failed."""
        headers = {"Tus-Resumable": TUS, **self.auth}
        status, answer, _ = self.request("tus HEAD", "HEAD", location, headers=headers)
        if status == 200:
            return int(answer["Upload-Offset"])
        if status in (404, 410):
            return None
        raise Abort(f"tus HEAD answered {status}")

    def upload(self, photo: dict) -> None:
        """tus as the PWA's tus-js-client: POST (same media id again is free), PATCH chunks; after
        a failed PATCH ask HEAD for the offset and resume from there."""
        data, size = photo["data"], len(photo["data"])
        view = memoryview(data)
        tus = {"Tus-Resumable": TUS, **self.auth}
        declared = metadata(
            media_id=photo["media_id"],
            sha256=photo["sha256"],
            content_type="image/jpeg",
            record_id=self.record_id,
            filename=f"photo-{photo['media_id']}.jpg",
        )
        for _attempt in range(20):
            status, answer, body = self.request(
                "tus POST",
                "POST",
                "/api/v1/uploads/",
                headers={**tus, "Upload-Length": str(size), "Upload-Metadata": declared},
            )
            if status == 200:  # a retried POST of a file the server already verified
                if json.loads(body).get("sha256") != photo["sha256"]:
                    raise Abort(f"tus POST 200 with another hash: {body[:200]!r}")
                return
            if status != 201:
                raise Abort(f"tus POST answered {status}: {body[:200]!r}")
            location = urlsplit(answer["Location"]).path
            offset = int(answer["Upload-Offset"])
            while True:
                if offset >= size:
                    return  # HEAD said complete (verified on the server)
                piece = view[offset : offset + self.chunk]
                headers = {**tus, "Upload-Offset": str(offset), "Content-Type": OFFSET_TYPE}
                status, answer, body = self.request(
                    "tus PATCH", "PATCH", location, piece, headers, retry=False
                )
                if status == 204:
                    offset = int(answer["Upload-Offset"])
                    if offset == size:
                        if answer.get("Upload-Verified-SHA256") != photo["sha256"]:
                            raise Abort(f"last PATCH not verified: {dict(answer)}")
                        return
                    continue
                if status == 460:
                    self.stats.anomaly(
                        f"phone {self.n}: 460 on {photo['media_id']}: {body[:200]!r}"
                    )
                    break  # the server discarded it: start again with a new POST
                if status is None or status >= 500 or status == 409:
                    offset = self.head(location)
                    if offset is None:
                        break
                    continue
                raise Abort(f"tus PATCH answered {status}: {body[:200]!r}")
        raise Abort(f"upload of {photo['media_id']} restarted 20 times")


# ---------------------------------------------------------------- services


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def s3_client(port: int):
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any key
    )


def jobs_cli_exists(env: dict) -> bool:
    probe = subprocess.run(  # noqa: S603 - our venv's flask, fixed arguments
        [str(VENV_BIN / "flask"), "--app", "server", "jobs", "--help"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
    )
    return probe.returncode == 0


def wait_for_derivation(conninfo: str, env: dict, *, inline: bool, until: float) -> str:
    """Wait until every photo has its thumbnail and preview (made by the "media.derive" job).

    On RQ the workers and RQ's scheduler (retries) do it; inline, a job runs in the web process
    right after its request. Either way `flask jobs run` (spotcheck-jobs.timer in production,
    every minute) takes what is due and what a dead runner left: this loop runs it every 2 s.
    """
    started = time.monotonic()
    has_cli = jobs_cli_exists(env)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < until:
            left = conn.execute("SELECT count(*) FROM media WHERE thumb_key IS NULL").fetchone()
            if left[0] == 0:
                return f"{time.monotonic() - started:.1f} s"
            if has_cli:  # the production timer (spotcheck-jobs.timer), every 2 s here
                subprocess.run(  # noqa: S603 - our venv's flask, fixed arguments
                    [str(VENV_BIN / "flask"), "--app", "server", "jobs", "run"],
                    env={**os.environ, **env},
                    cwd=ROOT,
                    capture_output=True,
                )
            time.sleep(2)
    return f"gave up after {time.monotonic() - started:.0f} s ({left[0]} photos without)"


# ---------------------------------------------------------------- end checks


def check(
    conninfo: str, s3, phones: list[FieldPhone], env: dict, load_epoch: float
) -> tuple[list[str], dict]:
    """Nothing lost, nothing twice: records, events, mutation results, media, uploads, bucket."""
    problems: list[str] = []
    done = [p for p in phones if p.done]
    with psycopg.connect(conninfo) as conn:
        records = conn.execute(
            "SELECT id::text, state, record_hash, media_manifest FROM visit_records"
        ).fetchall()
        completes = collections.Counter(
            r[0]
            for r in conn.execute(
                "SELECT object_id FROM audit_events WHERE action = 'record.complete'"
            )
        )
        media = conn.execute(
            "SELECT media_id::text, record_id::text, sha256, size, storage_key, thumb_key,"
            " preview_key FROM media"
        ).fetchall()
        uploads = conn.execute("SELECT media_id::text, state FROM uploads").fetchall()
        events = collections.Counter(
            (v, k) for v, k in conn.execute("SELECT visit_id::text, kind FROM visit_events")
        )
        results = collections.defaultdict(list)
        for device, seq, status in conn.execute(
            "SELECT device_id::text, seq, status FROM mutation_results ORDER BY seq"
        ):
            results[device].append((seq, status))
        try:
            jobs = dict(
                conn.execute(
                    "SELECT kind || ' ' || state, count(*) FROM background_jobs GROUP BY 1"
                )
            )
        except psycopg.errors.UndefinedTable:
            conn.rollback()
            jobs = {"(no background_jobs table)": 0}
        devices = collections.Counter(
            r[0] for r in conn.execute("SELECT user_id FROM devices WHERE name LIKE '负载测试%'")
        )

    by_record = collections.defaultdict(list)
    for row in records:
        by_record[row[0]].append(row)
    expected_records = {p.record_id: p for p in phones if p.hash}
    for record_id, phone in expected_records.items():
        rows = by_record.get(record_id, [])
        if len(rows) != 1:
            problems.append(f"record {record_id}: {len(rows)} rows")
            continue
        _, state, stored_hash, manifest = rows[0]
        if stored_hash != phone.hash:
            problems.append(f"record {record_id}: hash {stored_hash} ≠ {phone.hash}")
        want = [{"media_id": p["media_id"], "sha256": p["sha256"]} for p in phone.photos]
        if manifest != want:
            problems.append(f"record {record_id}: manifest differs")
        if phone.done and state != "submitted":
            problems.append(f"record {record_id}: state {state}, all its photos were verified")
        if phone.done and completes[record_id] != 1:
            problems.append(f"record {record_id}: {completes[record_id]} record.complete events")
    extra = set(by_record) - set(expected_records)
    if extra:
        problems.append(f"{len(extra)} records nobody submitted: {sorted(extra)[:3]}")

    for phone in done:
        for kind in ("visit.start", "credential.shown", "notice.delivered"):
            if events[(phone.visit_id, kind)] != 1:
                problems.append(f"visit {phone.visit_id}: {events[(phone.visit_id, kind)]} {kind}")
        got = results.get(phone.device_id, [])
        want = [(seq, "applied") for seq in range(1, 4 + len(phone.photos) + 2)]
        if got != want:
            problems.append(f"device {phone.device_id}: mutation results {got[:12]}")

    expected_media = {p["media_id"]: (phone, p) for phone in phones for p in phone.photos}
    seen = collections.Counter(m[0] for m in media)
    keys: collections.Counter = collections.Counter()
    originals = {}
    for media_id, record_id, sha, size, key, thumb, preview in media:
        keys.update(k for k in (key, thumb, preview) if k)
        if media_id not in expected_media:
            problems.append(f"media {media_id}: nobody uploaded it")
            continue
        phone, photo = expected_media[media_id]
        if (sha, size, record_id) != (photo["sha256"], len(photo["data"]), phone.record_id):
            problems.append(f"media {media_id}: stored {(sha, size, record_id)}")
        if thumb is None or preview is None:
            problems.append(f"media {media_id}: no thumbnail/preview key")
        originals[key] = sha
    for media_id, (phone, _) in expected_media.items():
        if phone.done and seen[media_id] != 1:
            problems.append(f"media {media_id}: {seen[media_id]} rows (uploaded and verified)")
    twice = [k for k, n in keys.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} storage keys used by two media: {twice[:3]}")
    upload_rows = collections.Counter(u[0] for u in uploads)
    if any(n > 1 for n in upload_rows.values()):
        problems.append("media with more than one upload row")
    states = collections.Counter(u[1] for u in uploads)

    listed: dict[str, float] = {}  # key → when it was written, seconds into the load
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            listed[obj["Key"]] = obj["LastModified"].timestamp() - load_epoch
    orphans = sorted(set(listed) - set(keys))
    missing = sorted(set(keys) - set(listed))
    if orphans:
        written = ", ".join(f"{k} (written at {listed[k]:.0f} s)" for k in orphans[:6])
        problems.append(f"{len(orphans)} orphan objects in the bucket: {written}")
    if missing:
        problems.append(f"{len(missing)} objects missing from the bucket: {missing[:3]}")

    def bucket_sha(key: str) -> tuple[str, str]:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
        try:
            return key, hashlib.sha256(body.read()).hexdigest()
        finally:
            body.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for key, sha in pool.map(bucket_sha, [k for k in originals if k in listed]):
            if sha != originals[key]:
                problems.append(f"object {key}: SHA-256 {sha} ≠ media's {originals[key]}")

    audit = subprocess.run(  # noqa: S603 - our venv's flask, fixed arguments
        [str(VENV_BIN / "flask"), "--app", "server", "audit", "verify"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if audit.returncode != 0:
        problems.append(f"audit chain: {(audit.stdout + audit.stderr).strip()[-300:]}")
    if any(" dead" in kind for kind in jobs):
        problems.append(f"dead background jobs: {jobs}")
    summary = {
        "background jobs": jobs,
        "phones done": f"{len(done)} / {len(phones)}",
        "records": len(records),
        "media rows": len(media),
        "uploads by state": dict(states),
        "bucket objects": len(listed),
        "originals checked (SHA-256)": len(originals),
        "devices per inspector > 1 (sign-in retried)": sum(1 for n in devices.values() if n > 1),
        "audit chain": (audit.stdout.strip().splitlines() or ["?"])[-1][:120],
    }
    return problems, summary


# ---------------------------------------------------------------- gunicorn's own logs

ACCESS = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d{3}) ')


def log_findings(access_log: Path, error_log: Path) -> tuple[collections.Counter, list[str]]:
    """5xx answers per endpoint (access log) and the distinct error lines (error log)."""
    fivexx: collections.Counter = collections.Counter()
    if access_log.exists():
        for line in access_log.read_text(errors="replace").splitlines():
            found = ACCESS.search(line)
            if found and found.group(3).startswith("5"):
                path = re.sub(r"/[0-9a-f-]{32,36}$", "/{id}", found.group(2))
                fivexx[(found.group(1), path, found.group(3))] += 1
    lines: collections.Counter = collections.Counter()
    if error_log.exists():
        for line in error_log.read_text(errors="replace").splitlines():
            if re.search(r"\[(ERROR|CRITICAL)\]|^\w+(\.\w+)*(Error|Exception|Timeout)\b", line):
                lines[re.sub(r"\d+", "N", line.split("] ", 3)[-1])[:200]] += 1
    return fivexx, [f"{n}× {line}" for line, n in lines.most_common(12)]


# ---------------------------------------------------------------- the run


def after_fault(stats: Stats, fault: dict, until: float) -> dict:
    """From the clients' side: failed attempts after the fault began, and when they stopped."""
    failed = [t for t, _, ok in stats.timeline if not ok and fault["start"] <= t < until]
    last = max(failed) if failed else None
    first_ok = min(
        (t for t, _, ok in stats.timeline if ok and t >= (last or fault["end"])), default=None
    )
    return {
        "failed attempts": len(failed),
        "errors seen for (s)": f"{last - fault['start']:.1f}" if last else "0",
        "recovered (s after fault end)": f"{max(0.0, last - fault['end']):.1f}" if last else "0",
        "first success after (s)": f"{first_ok - fault['start']:.1f}" if first_ok else "?",
    }


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915 - one runbook, in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspectors", type=int, default=200)
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--photo-bytes", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, help="gunicorn workers (deploy/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (the conf's: 4)")
    parser.add_argument("--timeout", type=int, default=480, help="hard limit of the whole run, s")
    parser.add_argument("--fault", action="append", default=[], choices=faults.NAMES)
    parser.add_argument("--redis", help="REDIS_URL for the app and `flask jobs worker` ×2")
    parser.add_argument(
        "--allow-pg-restart",
        action="store_true",
        help="pg-restart restarts the machine's PostgreSQL (every database, everyone's)",
    )
    options = parser.parse_args(argv)
    if "pg-restart" in options.fault and not options.allow_pg_restart:
        parser.error("pg-restart restarts the shared PostgreSQL: add --allow-pg-restart to mean it")
    if "pg-restart" in options.fault:
        print(
            "WARNING: --fault pg-restart will run `pg_ctlcluster 15 main restart` in the middle"
            " of the load: every database of this machine's PostgreSQL restarts, not only ours."
        )
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    workers = options.workers or conf["workers"]
    threads = options.threads or conf["threads"]

    def out_of_time(signum, frame):
        raise TimeoutError(f"hard timeout of {options.timeout} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(options.timeout)
    began = time.monotonic()
    base = os.environ.get("DATABASE_URL", "")
    base = base if base.startswith("postgresql") else DEFAULT_PG
    url, drop = temporary_database(base)
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    moto = gate = server = None
    jobs: list[subprocess.Popen] = []
    exit_code = 1
    try:
        accounts = build(url, options.inspectors)
        rng = random.Random(20261127)  # noqa: S311 - test data
        bases = [noise_jpeg(options.photo_bytes, rng) for _ in range(min(16, options.inspectors))]
        photo_sets = []
        for i in range(options.inspectors):
            photos = []
            for k in range(options.photos):
                data = unique_copy(bases[(i + k) % len(bases)])
                photos.append(
                    {
                        "media_id": str(uuid.uuid4()),
                        "data": data,
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                )
            photo_sets.append(photos)
        print(
            f"data built in {time.monotonic() - began:.1f} s: {options.inspectors} inspectors,"
            f" {options.photos} photos each of ~{len(bases[0]) / 1e6:.2f} MB"
        )

        moto_port = free_port()
        moto_log = (workdir / "moto.log").open("w")
        moto = subprocess.Popen(  # noqa: S603 - the venv's moto_server, loopback
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
            stdout=moto_log,
            stderr=subprocess.STDOUT,
        )
        wait_port(moto_port)
        s3 = s3_client(moto_port)
        s3.create_bucket(Bucket=BUCKET)
        s3_port = moto_port
        if "s3-outage" in options.fault:
            gate = faults.S3Gate(moto_port)
            s3_port = gate.port

        instance = workdir / "instance"
        access_log, error_log = workdir / "access.log", workdir / "error.log"
        redis_url = options.redis or ""
        env = {
            "DATABASE_URL": url,
            "SPOTCHECK_INSTANCE_PATH": str(instance),
            "SPOTCHECK_SECRET_KEY": "bench-load",
            "SPOTCHECK_STORAGE": "s3",
            "SPOTCHECK_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "SPOTCHECK_S3_BUCKET": BUCKET,
            "SPOTCHECK_S3_REGION": "us-east-1",
            "SPOTCHECK_S3_ACCESS_KEY_ID": "testing",
            "SPOTCHECK_S3_SECRET_ACCESS_KEY": "testing",
            # Every phone signs in from 127.0.0.1 here; in the field each has its own address.
            "SPOTCHECK_LOGIN_RATE_LIMIT": "100000 per minute",
            # A failed job (S3 away) is retried after 5 s, 10 s, 20 s … instead of 30 s, 60 s …:
            # the same path, within the run's time.
            "SPOTCHECK_JOBS_RETRY_BASE_SECONDS": "5",
            # A job whose process died (worker-kill) is taken again when its lease ends: 20 s
            # instead of 600 s (a photo's derivation takes well under a second).
            "SPOTCHECK_JOBS_LEASE_SECONDS": "20",
            "REDIS_URL": redis_url,
            "SPOTCHECK_REDIS_URL": redis_url,
            "GUNICORN_CMD_ARGS": f"--config {ROOT / 'deploy' / 'gunicorn.conf.py'}"
            f" --capture-output --error-logfile {error_log} --access-logfile {access_log}",
        }
        if redis_url:
            import redis  # rq's dependency

            redis.Redis.from_url(redis_url).flushdb()  # our own db number: counters, queue
            if jobs_cli_exists(env):
                for k in range(2):
                    log = (workdir / f"jobs-{k}.log").open("w")
                    jobs.append(
                        subprocess.Popen(  # noqa: S603 - the venv's flask, fixed arguments
                            [str(VENV_BIN / "flask"), "--app", "server", "jobs", "worker"],
                            env={**os.environ, **env},
                            cwd=ROOT,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )
                print("RQ: 2 × `flask --app server jobs worker` on", redis_url)
            else:
                print("RQ: `flask --app server jobs` does not exist (yet): no job workers started")

        server = faults.Gunicorn("server.wsgi:app", env, workers, threads)
        server.start()
        print(
            f"gunicorn gthread {workers} workers × {threads} threads on :{server.port}"
            f" (deploy/gunicorn.conf.py), moto S3 on :{moto_port}"
            + (f" behind the gate :{gate.port}" if gate else "")
            + f"; logs in {workdir}"
        )

        stats = Stats()
        load_deadline = began + options.timeout - CHECK_RESERVE
        signature = signature_png()
        phones = [
            FieldPhone(
                n, account, photos, lambda: server.port, stats, load_deadline, CHUNK, signature
            )
            for n, (account, photos) in enumerate(zip(accounts, photo_sets, strict=True))
        ]
        threads_ = [threading.Thread(target=p.run, daemon=True) for p in phones]
        total_photos = options.inspectors * options.photos
        fault_log: list[dict] = []

        def drive_faults() -> None:
            for k, name in enumerate(options.fault):
                target = total_photos * (k + 1) / (len(options.fault) + 1)
                while stats.photos_done < target and any(t.is_alive() for t in threads_):
                    time.sleep(0.1)
                start = stats.clock()
                print(f"[{start:6.1f} s] fault {name} ({stats.photos_done} photos verified)")
                try:
                    info = faults.inject(name, server, gate)
                except Exception as error:  # noqa: BLE001 - reported with the results
                    info = {"detail": f"FAILED: {error!r}"}
                fault_log.append({"name": name, "start": start, "end": stats.clock(), **info})
                print(f"[{stats.clock():6.1f} s] fault {name} over: {info}")

        cpu = CpuMeter(server.process.pid, conninfo, make_url(url).database)
        moto_ticks = _ticks(moto.pid)
        cpu.__enter__()
        stats.started, load_epoch = time.monotonic(), time.time()
        for thread in threads_:
            thread.start()
        driver = threading.Thread(target=drive_faults, daemon=True)
        driver.start()
        while any(t.is_alive() for t in threads_):
            time.sleep(0.2)  # short sleeps: the hard timeout's signal lands in this thread
        wall = stats.clock()
        cpu.__exit__(None, None, None)
        moto_cpu = (_ticks(moto.pid) - moto_ticks) / cpu.hz
        driver.join(timeout=max(1.0, load_deadline - time.monotonic()))
        print(f"load over in {wall:.1f} s")

        derived_in = wait_for_derivation(
            conninfo, env, inline=not jobs, until=began + options.timeout - 60
        )
        checked_at = time.monotonic()
        problems, summary = check(conninfo, s3, phones, env, load_epoch)
        fivexx, error_lines = log_findings(access_log, error_log)
        print(
            f"photos derived {derived_in} after the load; end checks in"
            f" {time.monotonic() - checked_at:.1f} s"
        )

        # ---- report
        print(
            f"\n{options.inspectors} inspectors × ({options.photos} photos of"
            f" ~{len(bases[0]) / 1e6:.2f} MB), gunicorn {workers}×{threads}, PostgreSQL, moto S3"
            + (f", faults: {', '.join(options.fault)}" if options.fault else "")
            + f"; load {wall:.1f} s\n"
        )
        rows = [("endpoint", "answered", "failed+retried", "req/s", "p50 ms", "p95 ms", "p99 ms")]
        failed_by = collections.Counter()
        for (label, _kind), n in stats.errors.items():
            failed_by[label] += n
        for label in ENDPOINTS:
            samples = stats.latency.get(label, [])
            if not samples:
                rows.append((label, "0", str(failed_by[label]), "-", "-", "-", "-"))
                continue
            rows.append(
                (
                    label,
                    str(len(samples)),
                    str(failed_by[label]),
                    f"{len(samples) / wall:.1f}",
                    f"{percentile(samples, 0.50) * 1000:.0f}",
                    f"{percentile(samples, 0.95) * 1000:.0f}",
                    f"{percentile(samples, 0.99) * 1000:.0f}",
                )
            )
        print_lines(rows)
        done = sum(p.done for p in phones)
        megabytes = sum(len(p["data"]) for ph in phones if ph.done for p in ph.photos) / 1e6
        print(
            f"\nthroughput: {done / wall:.2f} visits/s, {megabytes / wall:.1f} MB/s of photos"
            f" ({done} whole visits, {megabytes:.0f} MB); duplicates answered to retried pushes:"
            f" {stats.duplicates}"
        )
        if not options.fault:  # a restarted or respawned server has other processes
            others = cpu.machine - cpu.server - cpu.own - cpu.postgres - moto_cpu
            print(f"\nCPU during the load ({os.cpu_count()} cores, {wall:.0f} s wall):")
            print_lines(
                [
                    ("who", "CPU s", "share of machine"),
                    (
                        "gunicorn (arbiter + workers)",
                        f"{cpu.server:.0f}",
                        f"{cpu.server / cpu.machine:.0%}",
                    ),
                    ("moto S3 server", f"{moto_cpu:.0f}", f"{moto_cpu / cpu.machine:.0%}"),
                    (
                        "PostgreSQL backends of the run",
                        f"{cpu.postgres:.0f}",
                        f"{cpu.postgres / cpu.machine:.0%}",
                    ),
                    (
                        f"{options.inspectors} client threads (this process)",
                        f"{cpu.own:.0f}",
                        f"{cpu.own / cpu.machine:.0%}",
                    ),
                    (
                        "anything else on the machine",
                        f"{others:.0f}",
                        f"{others / cpu.machine:.0%}",
                    ),
                    (
                        "machine (busy)",
                        f"{cpu.machine:.0f}",
                        f"of {os.cpu_count() * wall:.0f} core-s",
                    ),
                ]
            )
        if stats.errors:
            print("\nfailed attempts (each retried by the client):")
            for (label, kind), n in stats.errors.most_common(12):
                sample = stats.error_samples[(label, kind)].replace("\n", " ")[:150]
                print(f"  {n:5d}  {label:9s} {kind:22s} {sample}")
        for k, fault in enumerate(fault_log):
            until = fault_log[k + 1]["start"] if k + 1 < len(fault_log) else wall + 1
            measured = after_fault(stats, fault, until)
            print(
                f"\nfault {fault['name']} at {fault['start']:.1f} s, over at {fault['end']:.1f} s:"
                f" {fault}"
            )
            for key, value in measured.items():
                print(f"  {key}: {value}")
            fault.update(measured)
        failures = [p for p in phones if not p.done]
        if failures:
            print(f"\n{len(failures)} phones did not finish; first reasons:")
            for reason, n in collections.Counter(p.failure for p in failures).most_common(5):
                print(f"  {n}× {str(reason).strip()[:300]}")
        if stats.anomalies:
            print(f"\nprotocol anomalies ({len(stats.anomalies)}):")
            for line in stats.anomalies[:10]:
                print("  ", line)
        print("\nend checks (database and bucket):")
        for key, value in summary.items():
            print(f"  {key}: {value}")
        if fivexx:
            print("\n5xx answers in gunicorn's access log:")
            for (method, path, status), n in fivexx.most_common():
                print(f"  {n:5d}  {status} {method} {path}")
        if error_lines:
            print(f"\ngunicorn error log ({error_log}):")
            for line in error_lines:
                print("  ", line)
        verdict = not problems and not failures
        print(
            "\nverdict: "
            + ("nothing lost, nothing duplicated" if verdict else f"{len(problems)} PROBLEMS")
        )
        for problem in problems[:20]:
            print("  ", problem)

        label = f"load ({'+'.join(options.fault) or 'no fault'})"
        for row in rows[1:]:
            if row[4] == "-":
                continue
            report.headline(
                label,
                f"{row[0]} p50/p95/p99 ms, {options.inspectors} at once",
                f"{row[4]}/{row[5]}/{row[6]} @ {row[3]} req/s",
                "–",
                None,
                "nothing lost or duplicated",
                verdict,
            )
        report.headline(
            label,
            f"whole visits, {options.inspectors} inspectors × {options.photos} photos",
            f"{done / wall:.2f} visits/s, {megabytes / wall:.1f} MB/s",
            "–",
            None,
            f"{options.inspectors}/{options.inspectors} done, nothing lost or duplicated",
            verdict and done == options.inspectors,
        )
        exit_code = 0 if verdict else 1
    except TimeoutError as stop:
        print(f"STOPPED: {stop}")
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
        for job in jobs:
            job.terminate()
            job.wait(timeout=30)
        if gate is not None:
            gate.close()
        if moto is not None:
            moto.terminate()
            moto.wait(timeout=30)
        if options.redis:
            import redis

            redis.Redis.from_url(options.redis).flushdb()
        drop()
        # Partial uploads and the like; the logs stay for reading.
        shutil.rmtree(workdir / "instance", ignore_errors=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
