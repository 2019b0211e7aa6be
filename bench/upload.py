"""Benchmark of evidence uploads: tus in 1 MiB chunks vs one plain PUT, through gunicorn.

    python -m bench.upload [--size-mib 50] [--chunk-mib 1] [--runs 3] [--workers 2]
                           [--threads 4] [--profile]

Builds its own data: a temporary SQLite database in a temporary instance folder (and, when
DATABASE_URL points at PostgreSQL, a temporary database next to it, dropped afterwards), one
inspector and one device token. The file is an MP4 (an `ftyp isom` box, then random bytes), so
the server's sniffing accepts it as video/mp4 (limit 1 GiB; a PDF would be capped at 50 MiB).

The app is served by gunicorn (gthread workers) on 127.0.0.1: `bench.upload:bench_app()`, which
is server.wsgi's app plus one bench-only route, PUT /bench/put. That route is the floor: it
streams the request body to a file in the instance folder in 1 MiB pieces, computing SHA-256 as
it goes, fsyncs it (the tus path fsyncs its finished file once too) and answers the hash. The
client keeps one keep-alive connection for the tus upload: POST /api/v1/uploads/ (Upload-Length,
Upload-Metadata with media_id, sha256, content_type), then PATCHes of `--chunk-mib` with
Upload-Offset, timed until the last PATCH answers 204 with Upload-Verified-SHA256; the Media row
is then checked (size, SHA-256). The PUT is one request on its own connection. Each is run
`--runs` times, alternately; the ratio uses the best run of each (least disturbed by other work
on the machine), the median is shown too. Budget (architecture.md): tus ≥ 50 % of the PUT.

`--profile` then repeats one tus upload in-process (Flask test client) with timers around the
steps of a PATCH, to show where a chunk's time goes.
"""

from __future__ import annotations

import argparse
import base64
import collections
import functools
import hashlib
import http.client
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select

import server.models  # noqa: F401 - every table, for building the schema directly
from bench import report
from bench.directory_listing import print_lines, temporary_postgres
from bench.sync_submit import scratch_instance, start_gunicorn, stop_gunicorn
from server import create_app
from server.audit import guard
from server.auth.bearer import new_token
from server.auth.models import Device, User
from server.extensions import db
from server.orm import Base
from sync.models import Media

MIB = 1024 * 1024
TUS = "1.0.0"
GOAL = 0.50
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


# ---------------------------------------------------------------- the served app


def bench_app():
    """gunicorn's app: server.wsgi's, plus the floor route PUT /bench/put (bench only)."""
    from flask import current_app, request

    from server.extensions import csrf

    app = create_app()

    def put():
        # A plain streaming upload: no protocol, no database, the same 1 MiB reads as tus.
        # The app-wide MAX_CONTENT_LENGTH is meant for forms. (None would not lift it: Flask
        # 3.1 then falls back to the config value.)
        request.max_content_length = 1 << 40
        target = Path(current_app.instance_path) / "bench-put" / f"{uuid.uuid4().hex}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with open(target, "wb") as out:
            while chunk := request.stream.read(MIB):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        target.unlink()  # the bytes were written and made durable; keep the disk clean
        return {"sha256": digest.hexdigest(), "size": size}

    app.add_url_rule("/bench/put", "bench_put", put, methods=["PUT"])
    csrf.exempt(put)
    return app


# ---------------------------------------------------------------- data


def mp4(size: int) -> bytes:
    """`size` bytes the server sniffs as video/mp4: an ftyp box, then random bytes."""
    return MP4_HEAD + os.urandom(size - len(MP4_HEAD))


def build(url: str) -> str:
    """Schema, one inspector and one device in the database at `url`; returns the token."""
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
        guard.install(conn)  # as the migrations do
    engine.dispose()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": scratch_instance(),
        }
    )
    with app.app_context():
        # No one signs in with a password here: the device token is what the uploads use.
        user = User(username="insp-upload", display_name="上传基准", password_hash="-")  # noqa: S106
        user.set_roles({"inspector"})
        db.session.add(user)
        db.session.flush()
        token, digest = new_token()
        db.session.add(Device(user_id=user.id, name="基准手机", public_key={}, token_hash=digest))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token


def verified(url: str, media_id: uuid.UUID) -> Media | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Media).where(Media.media_id == media_id)).first()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the clients


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def tus_upload(port: int, token: str, data: bytes, digest: str, chunk: int) -> dict:
    """One tus upload on one keep-alive connection; seconds overall and per PATCH."""
    media_id = uuid.uuid4()
    auth = {"Tus-Resumable": TUS, "Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    view = memoryview(data)
    patches = []
    started = time.perf_counter()
    conn.request(
        "POST",
        "/api/v1/uploads/",
        headers={
            **auth,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(
                media_id=str(media_id), sha256=digest, content_type="video/mp4"
            ),
        },
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 201, response.status
    location = response.headers["Location"]
    create = time.perf_counter() - started
    offset = 0
    while offset < len(data):
        piece = view[offset : offset + chunk]
        sent = time.perf_counter()
        headers = {
            **auth,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(len(piece)),
        }
        conn.request("PATCH", location, body=piece, headers=headers)
        response = conn.getresponse()
        body = response.read()
        patches.append(time.perf_counter() - sent)
        assert response.status == 204, (response.status, body[:300])
        offset = int(response.headers["Upload-Offset"])
    seconds = time.perf_counter() - started
    assert response.headers.get("Upload-Verified-SHA256") == digest, "not verified"
    conn.close()
    return {"seconds": seconds, "create": create, "patches": patches, "media_id": media_id}


def plain_put(port: int, data: bytes, digest: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request(
        "PUT",
        "/bench/put",
        body=data,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
    )
    response = conn.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    conn.close()
    assert response.status == 200, (response.status, body[:300])
    assert f'"sha256":"{digest}"' in body.decode().replace(" ", ""), body[:300]
    return seconds


# ---------------------------------------------------------------- a run on one database


def run(url: str, label: str, data: bytes, options) -> dict:
    token = build(url)
    digest = hashlib.sha256(data).hexdigest()
    mib = len(data) / MIB
    result = {"label": label, "token": token, "tus": [], "put": [], "patches": []}
    result |= {"create": [], "last": []}
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as instance:
        env = {
            "DATABASE_URL": url,
            "SPOTCHECK_INSTANCE_PATH": instance,
            "SPOTCHECK_SECRET_KEY": "bench",
        }
        process, port = start_gunicorn(
            "bench.upload:bench_app()", env, options.workers, options.threads
        )
        try:
            chunk = int(options.chunk_mib * MIB)
            # Warm-up: every worker imports lazily and opens its database connection on first use.
            tus_upload(
                port, token, data[: 4 * MIB], hashlib.sha256(data[: 4 * MIB]).hexdigest(), chunk
            )
            plain_put(port, data[: 4 * MIB], hashlib.sha256(data[: 4 * MIB]).hexdigest())
            for _ in range(options.runs):
                done = tus_upload(port, token, data, digest, chunk)
                media = verified(url, done["media_id"])
                assert media is not None and (media.sha256, media.size) == (digest, len(data))
                result["tus"].append(mib / done["seconds"])
                result["create"].append(done["create"])
                result["patches"] += done["patches"][:-1]
                result["last"].append(done["patches"][-1])
                result["put"].append(mib / plain_put(port, data, digest))
        finally:
            stop_gunicorn(process)
    return result


# ---------------------------------------------------------------- in-process profile


def profile_upload(url: str, token: str, data: bytes, chunk: int) -> None:
    """One tus upload through the Flask test client with timers around a PATCH's steps."""
    from sqlalchemy import event

    from server.auth import bearer
    from server.uploads import views
    from sync import storage as storage_module
    from sync import uploads as tus

    digest = hashlib.sha256(data).hexdigest()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": scratch_instance(),
        }
    )
    client = app.test_client()
    auth = {"Tus-Resumable": TUS, "Authorization": f"Bearer {token}"}
    seconds: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    undo = []

    def wrap(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - started
                calls[label] += 1

        setattr(owner, name, timed)
        undo.append(lambda: setattr(owner, name, original))

    with app.app_context():
        engine = db.engine
    dialect = engine.dialect

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seconds["SQL round trips (all)"] += time.perf_counter() - conn.info.pop("bench_started")
        calls["SQL round trips (all)"] += 1

    wrap(bearer, "authenticate", "authenticate (bearer token)")
    wrap(tus, "get_upload", "get_upload (SELECT uploads)")
    wrap(tus, "append", "tus.append (all)")
    wrap(tus, "_copy_bounded", "copy body → partial file")
    wrap(tus, "_finish", "finish: sniff, SHA-256, store, Media, audit")
    wrap(tus, "_sha256_of", "SHA-256 of the whole partial file")
    wrap(storage_module.LocalStorage, "put_file", "storage.put_file (fsync + rename)")
    wrap(tus, "record", "audit record() (chain append)")
    wrap(dialect, "do_commit", "COMMIT round trips")
    wrap(views, "_commit_then_discard", "final commit + discard partial")
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        created = client.post(
            "/api/v1/uploads/",
            headers={
                **auth,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": metadata(
                    media_id=str(uuid.uuid4()), sha256=digest, content_type="video/mp4"
                ),
            },
        )
        assert created.status_code == 201, created.get_data(as_text=True)
        location = created.headers["Location"]
        offset, patches = 0, 0
        while offset < len(data):
            response = client.patch(
                location,
                data=data[offset : offset + chunk],
                headers={
                    **auth,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                },
            )
            assert response.status_code == 204, response.get_data(as_text=True)
            offset = int(response.headers["Upload-Offset"])
            patches += 1
        wall = time.perf_counter() - started
        assert response.headers["Upload-Verified-SHA256"] == digest
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        for restore in reversed(undo):
            restore()
        with app.app_context():
            db.engine.dispose()
    print(
        f"\nin-process (test client), {engine.dialect.name}: {len(data) / MIB:.0f} MiB in"
        f" {patches} PATCHes, {wall:.2f} s ({len(data) / MIB / wall:.0f} MiB/s)"
    )
    print_lines(
        [("step (wall; nested steps inside their parent)", "total ms", "ms/PATCH", "calls")]
        + [
            (label, f"{s * 1000:.0f}", f"{s * 1000 / patches:.2f}", str(calls[label]))
            for label, s in seconds.items()
        ]
    )


# ---------------------------------------------------------------- output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=float, default=50)
    parser.add_argument("--chunk-mib", type=float, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--profile", action="store_true", help="then time a PATCH's steps")
    options = parser.parse_args(argv)
    data = mp4(int(options.size_mib * MIB))
    chunk = int(options.chunk_mib * MIB)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-db-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        results.append(run(sqlite_url, "sqlite", data, options))
        if options.profile:
            profile_upload(sqlite_url, results[-1]["token"], data, chunk)
    pg = os.environ.get("DATABASE_URL", "")
    if pg.startswith("postgresql"):
        url, drop = temporary_postgres(pg, label="upload")
        try:
            results.append(run(url, "postgresql", data, options))
            if options.profile:
                profile_upload(url, results[-1]["token"], data, chunk)
        finally:
            drop()

    print(
        f"\n{options.size_mib:g} MiB MP4, tus chunks of {options.chunk_mib:g} MiB, {options.runs}"
        f" runs each; gunicorn gthread {options.workers} workers × {options.threads} threads"
        " on 127.0.0.1\n"
    )
    rows = [("db", "case", "best MiB/s", "median MiB/s", "ratio (best)", "ratio (median)")]
    for r in results:
        put_best = max(r["put"])
        rows.append(
            (
                r["label"],
                "tus (POST + PATCHes, SHA-256 verified)",
                f"{max(r['tus']):.0f}",
                f"{statistics.median(r['tus']):.0f}",
                f"{max(r['tus']) / put_best:.0%}",
                f"{statistics.median(r['tus']) / statistics.median(r['put']):.0%}",
            )
        )
        rows.append(
            (
                r["label"],
                "floor: one plain PUT (stream + SHA-256 + fsync)",
                f"{put_best:.0f}",
                f"{statistics.median(r['put']):.0f}",
                "100%",
                "100%",
            )
        )
    print_lines(rows)
    print()
    detail = [("db", "POST ms", "PATCH p50 ms", "PATCH p95 ms", "last PATCH ms", "1 MiB at PUT ms")]
    for r in results:
        patches = sorted(r["patches"])
        detail.append(
            (
                r["label"],
                f"{statistics.median(r['create']) * 1000:.1f}",
                f"{statistics.median(patches) * 1000:.1f}",
                f"{patches[int(0.95 * (len(patches) - 1))] * 1000:.1f}",
                f"{statistics.median(r['last']) * 1000:.0f}",
                f"{1000 / max(r['put']):.1f}",
            )
        )
    print_lines(detail)
    verdict = all(max(r["tus"]) / max(r["put"]) >= GOAL for r in results)
    for r in results:
        ratio = max(r["tus"]) / max(r["put"])
        report.headline(
            f"upload ({r['label']})",
            f"tus {options.size_mib:g} MiB in {options.chunk_mib:g} MiB chunks",
            f"{max(r['tus']):.0f} MiB/s",
            f"{max(r['put']):.0f} MiB/s",
            ratio,
            f"≥ {GOAL:.0%}",
            ratio >= GOAL,
        )
    print(f"\nbudget: tus ≥ {GOAL:.0%} of the plain PUT — {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
