"""Driving the field app (/app/) in Chromium: a restartable live server and the visit steps."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

from PIL import Image
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

from server import create_app
from server.extensions import db

PHONE = {"width": 390, "height": 844}
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
GPS = {"latitude": 37.5123, "longitude": 122.1193, "accuracy": 12}


class LiveServer:
    """A demo-seeded server on a fixed loopback port that can be restarted (a new app object
    and a new listening socket on the same database and instance folder, as after a crash)."""

    def __init__(self, url: str, workdir: Path, **config):
        self.config = {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "field-e2e-secret",
            **config,
        }
        self.app = create_app(self.config)
        with self.app.app_context():
            result = self.app.test_cli_runner().invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
            db.session.remove()
        self.port = 0
        self._start()

    def _start(self) -> None:
        self.active = 0
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", self.port, self._counted, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _counted(self, environ, start_response):
        """The app, counting requests in flight (a stop waits for them to give back their
        database connections before the pool is disposed)."""
        with self.lock:
            self.active += 1
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return ClosingIterator(body, [self._done])  # closes the app's body, then counts down

    def _done(self) -> None:
        with self.lock:
            self.active -= 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        deadline = time.monotonic() + 10
        while self.active and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.app.app_context():
            db.engine.dispose()

    def restart(self) -> None:
        self.stop()
        self.app = create_app(self.config)
        for _ in range(50):
            try:
                self._start()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the port did not come back")


def jpeg(path: Path, size=(4000, 3000), noise: bool = False) -> Path:
    """A camera-sized JPEG (noise makes it incompressible: several upload chunks)."""
    if noise:
        image = Image.frombytes(
            "RGB", (size[0] // 2, size[1] // 2), os.urandom(size[0] * size[1] * 3 // 4)
        )
        image = image.resize(size)
    else:
        image = Image.new("RGB", size, (120, 160, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


def new_phone(browser, base_url: str):
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        permissions=["geolocation", "microphone"],
        geolocation=GPS,
        base_url=base_url,
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


def sign_in(page, username: str = "inspector1") -> None:
    page.goto("/app/")
    page.wait_for_selector("#username")
    page.fill("#username", username)
    page.fill("#password", "spotcheck-demo")
    page.click("button[type=submit]")
    page.wait_for_selector(".visit", timeout=20000)
    # The service worker controls the page from the next load on.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector(".visit")
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")


def draw(page, selector: str) -> None:
    """A finger signature on the canvas."""
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 40)
    page.mouse.down()
    for i in range(12):
        page.mouse.move(box["x"] + 40 + i * 20, box["y"] + 50 + (i % 3) * 30, steps=3)
    page.mouse.up()


def step(page, label: str) -> None:
    page.locator(".step-button", has_text=label).first.click()


def back_to_visit(page, visit_id: str) -> None:
    page.goto(f"/app/#/visit/{visit_id}")
    page.wait_for_selector("#start-visit")


def answer_checklist(page, photo: Path) -> None:
    """Answer every question the first way, fill numbers and dates, photograph what must be."""
    page.wait_for_selector(".question")
    questions = page.locator(".question")
    for i in range(questions.count()):
        q = questions.nth(i)
        if q.locator(".choice").count():
            q.locator(".choice").first.click()
        elif q.locator("input[type=number]").count():
            q.locator("input[type=number]").fill("12.5")
        elif q.locator("input[type=date]").count():
            q.locator("input[type=date]").fill("2026-11-20")
        elif q.locator("textarea").count() and q.locator("textarea").first.is_visible():
            q.locator("textarea").first.fill("无")
        if "必须拍照" in q.inner_text():
            q.locator("input[type=file]").set_input_files(str(photo))
            q.locator("figure").first.wait_for()


_IDB = """async ([store, keysOnly]) => {
  const open = indexedDB.open('spotcheck');
  const handle = await new Promise((ok, bad) => {
    open.onsuccess = () => ok(open.result);
    open.onerror = bad;
  });
  const objects = handle.transaction(store).objectStore(store);
  const request = keysOnly ? objects.getAllKeys() : objects.getAll();
  const rows = await new Promise((ok, bad) => {
    request.onsuccess = () => ok(request.result);
    request.onerror = bad;
  });
  handle.close();
  return rows;
}"""


def idb_rows(page, store: str) -> list:
    """Every row of one of the app's IndexedDB tables (read as the app stored it)."""
    return page.evaluate(_IDB, [store, False])


def idb_keys(page, store: str) -> list:
    return page.evaluate(_IDB, [store, True])


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting")


# Everything a finger may touch. A checkbox, radio or file input is touched through the label
# that wraps it (the label is the target, the camera input is an invisible layer over its
# button), so the label's box is measured for those.
_SMALL_TARGETS = """() => {
  const small = [];
  const controls = 'button, a[href], input, select, textarea, summary, [role=button], [role=radio]';
  for (const el of document.querySelectorAll(controls)) {
    let box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;  // not rendered: display none, closed <details>
    if (getComputedStyle(el).visibility === 'hidden') continue;
    const wrapped = el.tagName === 'INPUT' && ['checkbox', 'radio', 'file'].includes(el.type);
    if (wrapped && el.closest('label')) box = el.closest('label').getBoundingClientRect();
    if (box.height < 44) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
      small.push(`${el.tagName.toLowerCase()}.${el.className || ''} "${text.slice(0, 24)}" ` +
        `${Math.round(box.height)}px`);
    }
  }
  return small;
}"""

_HAN_COUNT = (
    "() => { const m = document.querySelector('main');"
    " return m ? (m.innerText.match(/[\\u4e00-\\u9fff]/g) || []).length : 0; }"
)


def small_targets(page) -> list[str]:
    """Visible controls less than 44 px tall (the field app's minimum touch target)."""
    return page.evaluate(_SMALL_TARGETS)


def check_screen(page, name: str, screenshot_dir: Path) -> None:
    """One screen as the inspector sees it at 390×844: Chinese text (more than ten Han
    characters in <main>), nothing wider than the screen, every touch target at least 44 px
    tall, and a full-page screenshot `app-<name>.png` for people to look at."""
    from tests.e2e.support import assert_fits_width

    assert page.viewport_size == PHONE, page.viewport_size
    page.wait_for_function(f"({_HAN_COUNT})() > 10")
    page.wait_for_timeout(150)  # let live queries settle before measuring
    try:
        assert_fits_width(page)
    except AssertionError as wide:
        raise AssertionError(f"{name}: {wide}") from None
    assert small_targets(page) == [], f"{name}: touch targets under 44 px"
    # From the top: scrolled down (a signature pad brought into view), the sticky title bar
    # would be painted over the middle of the full-page picture.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / f"app-{name}.png"), full_page=True)
