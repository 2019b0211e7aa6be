"""Benchmarks of the field app (pwa/dist) in headless Debian Chromium on this machine.

    python -m bench.pwa [--runs 7]

Budgets (architecture.md, issue "The field PWA"):
- field bundle (JS + CSS, gzip) ≤ 150 KB — read from pwa/dist/assets;
- offline cold start to an interactive visit list ≤ 1 s — a new page of a signed-in phone,
  network off, served by the service worker; the floor is a blank page (pwa/public/blank.html)
  from the same service worker in the same run;
- photo capture → SHA-256 → stored in IndexedDB ≤ 1 s for a 4000×3000 JPEG — from handing the
  file to the evidence screen's camera input until its row is listed, with the location
  permission granted (the photo's GPS fix is part of it).

Builds its own demo database in a temporary folder (SQLite) and serves the app with werkzeug on
127.0.0.1; the app must be built first (`make pwa`). Medians of `--runs`.
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from flask_migrate import upgrade
from PIL import Image
from werkzeug.serving import make_server

from bench import report
from server import MIGRATIONS_DIR, create_app
from server.extensions import db

DIST = Path(__file__).resolve().parents[1] / "pwa" / "dist"
BUNDLE_BUDGET_KB = 150
START_BUDGET_S = 1.0
PHOTO_BUDGET_S = 1.0
GPS = {"latitude": 37.5123, "longitude": 122.1193, "accuracy": 12}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def bundle_kb() -> tuple[float, float]:
    """(raw KB, gzip KB) of the JavaScript and CSS the app loads."""
    raw = zipped = 0
    for path in (DIST / "assets").iterdir():
        if path.suffix in (".js", ".css"):
            data = path.read_bytes()
            raw += len(data)
            zipped += len(gzip.compress(data, compresslevel=9))
    return raw / 1024, zipped / 1024


def camera_jpeg(path: Path) -> Path:
    """A 4000×3000 JPEG with a camera's entropy (noise upscaled), ~3–5 MB."""
    small = Image.frombytes("RGB", (1000, 750), os.urandom(1000 * 750 * 3))
    buffer = io.BytesIO()
    small.resize((4000, 3000), Image.BILINEAR).save(buffer, "JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


def serve(workdir: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "bench-pwa",
        }
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def measure(base: str, runs: int, photo: Path) -> dict:
    from playwright.sync_api import sync_playwright

    out = {"blank": [], "start": [], "photo": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=ARGS
        )
        # Location allowed, as on an inspector's phone: a photo's GPS fix is part of capture →
        # stored (a denied permission would answer at once and hide that wait).
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            base_url=base,
            permissions=["geolocation"],
            geolocation=GPS,
        )
        page = context.new_page()
        page.goto("/app/")
        page.fill("#username", "inspector1")
        page.fill("#password", "spotcheck-demo")
        page.click("button[type=submit]")
        page.wait_for_selector(".visit", timeout=30000)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.wait_for_selector(".visit")
        context.set_offline(True)
        for _ in range(runs):
            fresh = context.new_page()  # a cold page: nothing in memory, all from the phone
            started = time.perf_counter()
            fresh.goto("/app/blank.html", wait_until="load")
            out["blank"].append(time.perf_counter() - started)
            fresh.close()
            fresh = context.new_page()
            started = time.perf_counter()
            fresh.goto("/app/#/visits")
            fresh.wait_for_selector(".visit")
            out["start"].append(time.perf_counter() - started)
            fresh.close()
        page.locator(".visit").first.click()
        page.wait_for_selector("#start-visit")
        visit = page.url.split("#/visit/")[1]
        page.goto(f"/app/#/visit/{visit}/evidence")
        page.wait_for_selector("#add-photo", state="attached")
        for n in range(runs):
            started = time.perf_counter()
            page.locator("#add-photo").set_input_files(str(photo))
            page.wait_for_function(
                f"() => document.querySelectorAll('.media-row').length >= {n + 1}"
            )
            out["photo"].append(time.perf_counter() - started)
        browser.close()
    return {k: statistics.median(v) for k, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args(argv)
    if not (DIST / "index.html").exists():
        raise SystemExit("pwa/dist is missing: run `make pwa` first")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    raw, zipped = bundle_kb()
    with tempfile.TemporaryDirectory(prefix="bench-pwa-") as tmp:
        workdir = Path(tmp)
        photo = camera_jpeg(workdir / "camera.jpg")
        size_mb = photo.stat().st_size / 1024 / 1024
        server, base = serve(workdir)
        try:
            result = measure(base, options.runs, photo)
        finally:
            server.shutdown()
    rows = [
        (
            "field bundle JS+CSS gzip (KB)",
            f"{zipped:.1f}",
            f"budget {BUNDLE_BUDGET_KB}",
            f"{zipped / BUNDLE_BUDGET_KB:.0%} of budget",
        ),
        (
            "offline cold start → visit list (s)",
            f"{result['start']:.3f}",
            f"blank page {result['blank']:.3f}",
            f"{result['start'] / result['blank']:.1f}× (budget ≤ {START_BUDGET_S} s)",
        ),
        (
            f"photo 4000×3000 ({size_mb:.1f} MB) → hash → stored (s)",
            f"{result['photo']:.3f}",
            f"budget {PHOTO_BUDGET_S}",
            f"{result['photo'] / PHOTO_BUDGET_S:.0%} of budget",
        ),
    ]
    report.headline(
        "field app",
        "bundle JS+CSS gzip",
        f"{zipped:.1f} KB",
        f"budget {BUNDLE_BUDGET_KB} KB",
        zipped / BUNDLE_BUDGET_KB,
        "≤ 1.00",
        zipped <= BUNDLE_BUDGET_KB,
    )
    report.headline(
        "field app",
        "offline cold start → visit list",
        f"{result['start']:.3f} s",
        f"blank page {result['blank']:.3f} s",
        result["start"] / result["blank"],
        f"≤ {START_BUDGET_S} s",
        result["start"] <= START_BUDGET_S,
    )
    report.headline(
        "field app",
        f"photo 4000×3000 ({size_mb:.1f} MB) → hash → stored",
        f"{result['photo']:.3f} s",
        f"budget {PHOTO_BUDGET_S} s",
        result["photo"] / PHOTO_BUDGET_S,
        f"≤ {PHOTO_BUDGET_S} s",
        result["photo"] <= PHOTO_BUDGET_S,
    )
    print(f"\nField app (raw JS+CSS {raw:.0f} KB), Chromium headless, medians of {options.runs}")
    width = max(len(r[0]) for r in rows)
    for name, figure, floor, ratio in rows:
        print(f"  {name:<{width}}  {figure:>8}  {floor:<22} {ratio}")


if __name__ == "__main__":
    main()
