"""The field app end to end in Chromium on a phone-sized screen: a whole visit offline, reloads
in the middle, a flaky network and a server restart during the upload, a refusal with a witness,
the credential QR page, and every screen in Chinese, no wider than the phone, with touch targets
of 44 px or more (screenshots at 390×844)."""

from __future__ import annotations

import collections
import hashlib
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select

from server.auth.models import Device
from server.extensions import db
from server.visits.record_models import SUBMITTED, VisitEvent, VisitRecord
from sync.integrity import record_hash, verify_signature
from sync.models import Media, Upload
from sync.storage import derived_key, storage_from_config
from tests.e2e.field import (
    LiveServer,
    answer_checklist,
    back_to_visit,
    check_screen,
    draw,
    idb_keys,
    idb_rows,
    jpeg,
    new_phone,
    sign_in,
    step,
    wait_until,
)
from tests.e2e.support import reset_database

pytestmark = pytest.mark.browser


def my_sections(visit: dict) -> list[dict]:
    """The sections of a visit whose team has this phone's inspector (a merged visit may also
    carry another team's task, which that team signs)."""
    return [s for s in visit["sections"] if any(m["is_me"] for m in s["team"])]


def open_visit(page, text: str) -> str:
    """Open a visit to do, showing `text`, whose every section of this inspector's has a
    checklist (the demo draw is random: a merged visit may join a task without one)."""
    tasks = {t["id"]: t for t in idb_rows(page, "tasks")}
    done = {r["visit_id"] for r in idb_rows(page, "records")}  # handed in already: nothing to start
    for visit in idb_rows(page, "visits"):
        mine = my_sections(visit)
        if visit["id"] in done:
            continue
        if not mine or not all(tasks.get(s["task_id"], {}).get("checklist_id") for s in mine):
            continue
        card = page.locator(f'.visit[data-visit="{visit["id"]}"]')
        if card.count() and text in card.inner_text():
            # The subject's name: the card's middle may be its address, which opens the map app.
            card.locator("h3").click()
            try:
                page.wait_for_selector("#start-visit")
            except PlaywrightError:
                raise AssertionError(
                    f"visit {visit['id']} did not open: at {page.url}, showing "
                    f"{page.inner_text('body')[:300]!r}; errors {page.errors}"
                ) from None
            return visit["id"]
    raise AssertionError(f"no visit of this inspector's with a checklist showing {text!r}")


def read_qr(png: bytes) -> list[str]:
    """The texts of the QR codes in a screenshot."""
    import io

    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    return [
        code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


def server_state(server, visit_id: str):
    with server.app.app_context():
        key = uuid.UUID(visit_id)
        records = list(db.session.scalars(select(VisitRecord).where(VisitRecord.visit_id == key)))
        events = list(db.session.scalars(select(VisitEvent).where(VisitEvent.visit_id == key)))
        ids = [uuid.UUID(m["media_id"]) for r in records for m in (r.media_manifest or [])]
        media = (
            list(db.session.scalars(select(Media).where(Media.media_id.in_(ids)))) if ids else []
        )
        devices = {d.id: d.public_key for d in db.session.scalars(select(Device))}
        storage = storage_from_config(server.app.config, server.app.instance_path)
        stored = {
            m.media_id: hashlib.sha256(storage.read(m.storage_key)).hexdigest() for m in media
        }
        db.session.expunge_all()
        db.session.remove()
        return records, events, media, devices, stored


def recusals(server, explanation: str) -> list:
    from server.draws.replacement_models import ReplacementRequest

    with server.app.app_context():
        stmt = select(ReplacementRequest.id).where(ReplacementRequest.explanation == explanation)
        found = list(db.session.scalars(stmt))
        db.session.remove()
        return found


def pending_on_phone(page) -> int:
    return sum(1 for row in idb_rows(page, "outbox") if row["state"] == "pending")


def sections_of(page, visit_id: str) -> int:
    """How many task sections of the visit this phone signs (a merged visit has one per task;
    another team's are signed on that team's phone)."""
    return len(my_sections(next(v for v in idb_rows(page, "visits") if v["id"] == visit_id)))


def assert_intact(server, visit_id: str, media_count: int, sections: int) -> list:
    """One submitted record per section, each hash and device signature valid, every file on
    the server once with the SHA-256 the phone computed; the visit's three events."""
    records, events, media, devices, stored = server_state(server, visit_id)
    assert len(records) == sections == len({r.task_id for r in records}), [
        (r.task_id, r.state, r.version) for r in records
    ]
    for record in records:
        assert record.state == SUBMITTED
        # The server's own recomputation and the device's key agree with what was signed.
        assert record_hash(record.record) == record.record_hash
        assert verify_signature(
            devices[record.device_id], record.record_hash, record.device_signature
        )
        assert len(record.media_manifest) == media_count == len(media)
    for m in media:
        assert stored[m.media_id] == m.sha256  # the bytes on the server are the bytes hashed
    kinds = sorted(e.kind for e in events)
    assert kinds == ["credential.shown", "notice.delivered", "visit.start"], kinds
    return records, media


MEDIA_FOLDERS = ("photo", "audio", "video", "document")  # sync.uploads stores <kind>/<yyyy>/…


def assert_one_copy(server, page, visit_id: str) -> None:
    """Exactly one copy of everything, checked where copies could hide: every file in the
    evidence folder's media folders is a verified media row's original with that row's SHA-256
    (or a thumbnail/preview derived from one), each row has exactly one stored original, no
    temporary file is left; the visit's uploads are all complete with their partial files gone;
    and the phone's outbox has nothing pending or rejected."""
    records = server_state(server, visit_id)[0]
    visit_media = {uuid.UUID(m["media_id"]) for r in records for m in r.media_manifest or []}
    with server.app.app_context():
        rows = list(db.session.scalars(select(Media)))
        uploads = list(db.session.scalars(select(Upload).where(Upload.media_id.in_(visit_media))))
        partial_dir = Path(
            server.app.config.get("UPLOAD_PARTIAL_DIR")
            or Path(server.app.instance_path) / "uploads"
        )
        db.session.expunge_all()
        db.session.remove()
    originals = {m.storage_key: m for m in rows}
    # Thumbnails and previews (server/uploads/jobs.py) sit beside their original; a job may
    # have written its file a moment before committing the key, so the names count.
    derived = {derived_key(m.storage_key, v) for m in rows for v in ("thumb", "preview")}
    root = storage_from_config(server.app.config, server.app.instance_path).root
    files = [
        path
        for folder in MEDIA_FOLDERS
        if (root / folder).is_dir()
        for path in (root / folder).rglob("*")
        if path.is_file()
    ]
    assert files, "no evidence stored"
    seen = collections.Counter()
    for path in files:
        key = path.relative_to(root).as_posix()
        assert not path.name.startswith(".tmp-"), f"half-written file left: {key}"
        if key in derived:
            continue
        assert key in originals, f"stored object of no media row: {key}"
        media = originals[key]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert media.verified_at is not None and digest == media.sha256, key
        seen[digest] += 1
    # One stored original per media row, no more: the same photo taken twice is two rows and
    # two files, a retried upload is one row and must stay one file.
    expected = collections.Counter(
        m.sha256 for m in rows if m.storage_key.split("/")[0] in MEDIA_FOLDERS
    )
    assert seen == expected, "stored copies differ from the verified media rows"
    assert visit_media <= {m.media_id for m in rows}
    assert sorted(u.media_id for u in uploads) == sorted(visit_media)
    assert {u.state for u in uploads} == {"complete"}, [(u.media_id, u.state) for u in uploads]
    for upload in uploads:
        assert upload.offset == upload.length and upload.completed_at is not None
        assert not (partial_dir / f"{upload.id.hex}.part").exists()
    stuck = [
        (r["seq"], r["type"], r["state"])
        for r in idb_rows(page, "outbox")
        if r["state"] in ("pending", "rejected")
    ]
    assert stuck == [], stuck


def send_back(server, visit_id: str, comment: str) -> None:
    """The task's department head returns the visit's records with a comment (console review)."""
    from server.auth.models import User
    from server.auth.operations import actor_for
    from server.tasks.models import Task
    from server.visits import review

    with server.app.app_context():
        records = db.session.scalars(
            select(VisitRecord).where(VisitRecord.visit_id == uuid.UUID(visit_id))
        ).all()
        for row in records:
            department = db.session.get(Task, row.task_id).department_id
            head = next(
                u
                for u in db.session.scalars(select(User).where(User.department_id == department))
                if u.has_role("dept_head")
            )
            review.send_back(db.session, actor_for(head), head, row, comment)
        db.session.commit()
        db.session.remove()


def test_a_whole_visit_done_offline_arrives_complete_and_exactly_once(
    field_server, phone_browser, tmp_path, screenshot_dir
):
    photo = jpeg(tmp_path / "photo.jpg")
    context, page = new_phone(phone_browser, field_server.url)
    sign_in(page)

    def shot(name: str) -> None:
        check_screen(page, name, screenshot_dir)

    shot("visits")

    context.set_offline(True)
    page.reload()
    page.wait_for_selector(".visit")  # the shell and the visits come from the phone itself
    visit_id = open_visit(page, "单用途商业预付卡发卡企业")
    page.click("#start-visit")
    page.wait_for_selector(".step.done")
    shot("visit")

    step(page, "出示证件")
    page.wait_for_selector("#credential-shown")
    assert page.locator(".qr img").count() == 1
    shot("credential")
    page.click("#credential-shown")
    page.wait_for_selector("text=已出示")

    back_to_visit(page, visit_id)
    step(page, "送达告知书")
    page.wait_for_selector("#notice-text")
    notice = page.inner_text("#notice-text")
    assert "抽查检查告知书" in notice and "执法证号" in page.inner_text("#notice-text")
    assert "申请其回避" in notice
    shot("notice")
    page.fill("#notice-signer", "谷海燕")
    draw(page, "#notice-pad")
    page.click("#notice-save")
    page.wait_for_selector("#start-visit")

    step(page, "检查表")
    answer_checklist(page, photo)
    page.fill("#findings", "未发现问题")
    page.wait_for_timeout(300)
    page.reload()  # a reload in the middle of the checklist loses nothing
    page.wait_for_selector(".question")
    assert page.input_value("#findings") == "未发现问题"
    assert page.locator(".choice.on").count() >= 3
    shot("checklist")

    back_to_visit(page, visit_id)
    step(page, "证据")
    page.click("#start-audio")
    page.wait_for_selector(".timer")
    page.wait_for_timeout(2500)
    shot("recording")
    page.reload()  # killed while recording: the chunks so far are on the phone
    page.click("#recover-audio")
    page.wait_for_selector(".media-row")
    page.locator("#add-photo").set_input_files(str(photo))
    wait_until(lambda: page.locator(".media-row").count() == 3, timeout=20)
    shot("evidence")

    back_to_visit(page, visit_id)
    step(page, "签字确认")
    page.fill("#signer", "谷海燕")
    page.click("#freeze")
    page.wait_for_selector("#party-pad")
    shown_hashes = {h.strip() for h in page.locator(".consent .hash").all_inner_texts()}
    draw(page, "#party-pad")
    shot("signoff")
    page.click("#submit-record")
    page.wait_for_selector("#start-visit")

    # Offline: everything waits on the phone; the server has nothing of this visit yet.
    assert pending_on_phone(page) >= 6
    assert server_state(field_server, visit_id)[0] == []
    page.goto("/app/#/sync")
    page.wait_for_selector("#retry-now")
    shot("sync-offline")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until(
        lambda: (
            (r := server_state(field_server, visit_id)[0])
            and all(x.state == SUBMITTED for x in r)
            and pending_on_phone(page) == 0
        ),
        timeout=60,
    )
    records, media = assert_intact(
        field_server, visit_id, media_count=3, sections=sections_of(page, visit_id)
    )
    # What the party saw is what was signed.
    assert {r.record_hash for r in records} == shown_hashes
    for record in records:
        assert record.signatures["party"]["signer"] == "谷海燕"
        assert record.signatures["party"]["image"].startswith("data:image/png;base64,")
    assert sorted(m.kind for m in media) == ["audio", "photo", "photo"]
    # The phone frees the uploaded bytes once it holds the server's verification (the answer
    # to the last PATCH may still be on its way when the server's side is complete).
    wait_until(
        lambda: [k for k in idb_keys(page, "blobs") if k != "credential-photo"] == [],
        timeout=30,
    )
    assert {m["state"] for m in idb_rows(page, "media")} == {"verified"}
    assert_one_copy(field_server, page, visit_id)

    # The head sends the record back from the console: the next sync brings the comment to
    # the visit screen, where the inspector reads what to correct.
    send_back(field_server, visit_id, "第1项照片不清晰，请补拍后重新签字提交")
    back_to_visit(page, visit_id)

    def comment_arrived() -> bool:
        page.evaluate("window.dispatchEvent(new Event('online'))")
        return "第1项照片不清晰" in page.inner_text("main")

    wait_until(comment_arrived, timeout=60, interval=1.0)
    shot("review-comment")
    assert page.errors == []
    context.close()


def test_flaky_network_and_a_server_restart_during_upload_leave_one_copy_of_everything(
    field_server, phone_browser, tmp_path
):
    import random

    big = jpeg(tmp_path / "big.jpg", noise=True)  # several 1 MiB chunks
    context, page = new_phone(phone_browser, field_server.url)
    sign_in(page, "inspector2")
    visit_id = open_visit(page, "单用途商业预付卡发卡企业")
    page.click("#start-visit")
    step(page, "出示证件")
    page.click("#credential-shown")
    back_to_visit(page, visit_id)
    step(page, "送达告知书")
    page.click("text=拒绝签收")
    page.fill("#notice-refusal", "负责人拒绝签收告知书")
    page.click("#notice-save")
    page.wait_for_selector("#start-visit")
    step(page, "检查表")
    answer_checklist(page, big)

    rng = random.Random(20261127)
    failures = {"n": 0}

    def flaky(route):
        # Fail a third of the pushes and upload requests, some before and some after the
        # server has seen them (the answer is lost on the way back).
        if rng.random() < 0.35 and failures["n"] < 40:
            failures["n"] += 1
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/api/v1/sync/push", flaky)
    context.route("**/api/v1/uploads/**", flaky)

    back_to_visit(page, visit_id)
    step(page, "签字确认")
    page.fill("#signer", "法定代表人")
    page.click("#freeze")
    draw(page, "#party-pad")
    page.click("#submit-record")
    page.wait_for_selector("#start-visit")

    # Restart the server while the photo is going up.
    wait_until(lambda: idb_keys(page, "tusurls"), timeout=60, interval=0.1)
    field_server.restart()

    def all_arrived() -> bool:
        # Nudge the phone as a returning network would: after the restart its backoff may be long.
        page.evaluate("window.dispatchEvent(new Event('online'))")
        records = server_state(field_server, visit_id)[0]
        return (
            bool(records)
            and all(x.state == SUBMITTED for x in records)
            and (pending_on_phone(page) == 0)
        )

    wait_until(all_arrived, timeout=120, interval=1.5)
    assert failures["n"] > 0
    assert_intact(field_server, visit_id, media_count=1, sections=sections_of(page, visit_id))
    # Retried creations and PATCHes, answers lost on the way back and a restart mid-upload
    # never made a second copy, an orphan file or a half-finished upload.
    assert_one_copy(field_server, page, visit_id)
    context.close()


def test_a_refusal_needs_a_witness_with_a_valid_resident_id(
    field_server, phone_browser, tmp_path, screenshot_dir
):
    photo = jpeg(tmp_path / "p.jpg", size=(800, 600))
    context, page = new_phone(phone_browser, field_server.url)
    sign_in(page, "lead1")
    visit_id = open_visit(page, "单用途商业预付卡发卡企业")
    page.click("#start-visit")
    step(page, "送达告知书")
    page.click("text=拒绝签收")
    page.fill("#notice-refusal", "拒绝签收")
    check_screen(page, "notice-refusal", screenshot_dir)
    page.click("#notice-save")
    page.wait_for_selector("#start-visit")
    step(page, "检查表")
    answer_checklist(page, photo)
    back_to_visit(page, visit_id)
    step(page, "签字确认")
    page.click("text=当事人拒绝签字")
    page.fill("#refusal", "法定代表人拒绝在检查记录上签字")
    page.fill("#witness-name", "王五")
    page.fill("#witness-id", "110105194912310021")  # wrong check digit
    page.fill("#witness-contact", "13800000000")
    page.click("#freeze")
    assert "校验位不符" in page.inner_text("[role=alert]")
    page.fill("#witness-id", "11010519491231002X")
    page.click("#freeze")
    draw(page, "#witness-pad")
    check_screen(page, "signoff-refusal", screenshot_dir)
    page.click("#submit-record")
    page.wait_for_selector("#start-visit")
    wait_until(
        lambda: (
            (r := server_state(field_server, visit_id)[0]) and all(x.state == SUBMITTED for x in r)
        ),
        timeout=60,
    )
    record = server_state(field_server, visit_id)[0][0]
    assert record.record["sign"]["refused"] is True
    assert record.record["sign"]["witness"]["id_number"] == "11010519491231002X"
    assert record.signatures["refusal"]["note"] == "法定代表人拒绝在检查记录上签字"
    assert record.signatures["witness"]["signer"] == "王五"
    context.close()


def test_every_screen_is_chinese_fits_the_phone_with_big_targets_and_the_qr_checks_out(
    field_server, phone_browser, screenshot_dir
):
    """Every screen of the app, as the team lead (who also sees the team's records), in its
    state before the visit is done: Chinese text, no sideways overflow at 390 px, touch
    targets ≥ 44 px, a screenshot each. The screens in their filled-in states (photos, the
    consent and pads, the review comment) are checked the same way by the visit tests."""
    context, page = new_phone(phone_browser, field_server.url)
    page.goto("/app/")
    page.wait_for_selector("#username")
    check_screen(page, "login", screenshot_dir)
    sign_in(page, "lead1")
    check_screen(page, "visits-lead", screenshot_dir)
    # A visit to do that lead1 leads, and a section of his with a checklist (the demo draw is
    # random: a merged visit's first section may be another team's task, or have none).
    tasks = {t["id"]: t for t in idb_rows(page, "tasks")}
    done = {r["visit_id"] for r in idb_rows(page, "records")}
    visit, section = next(
        (v, s)
        for v in idb_rows(page, "visits")
        if v["i_am_lead"] and v["id"] not in done
        for s in my_sections(v)
        if tasks.get(s["task_id"], {}).get("checklist_id")
    )
    visit_id, task_id = visit["id"], section["task_id"]

    url = visit["credential_url"]
    assert url and "/c/" in url
    check = context.new_page()
    check.goto(url)
    text = check.inner_text("body")
    assert "有效" in text and "执法" in text
    check.screenshot(path=str(screenshot_dir / "app-credential-check.png"), full_page=True)
    check.close()

    screens = [
        ("visit-lead", f"/visit/{visit_id}", "#start-visit"),
        ("credential-lead", f"/visit/{visit_id}/credential", "#credential-shown"),
        ("notice-lead", f"/visit/{visit_id}/notice", "#notice-text"),
        ("checklist-lead", f"/visit/{visit_id}/checklist/{task_id}", ".question"),
        ("evidence-lead", f"/visit/{visit_id}/evidence", "#start-audio"),
        ("signoff-blocked", f"/visit/{visit_id}/signoff", "[role=alert]"),
        ("sync", "/sync", "#retry-now"),
        ("settings", "/settings", "#lang-en"),
        ("team", f"/visit/{visit_id}/team", "main .card, main .empty"),
        ("recusal", f"/visit/{visit_id}/recusal", "#recusal-text"),
    ]
    for name, path, ready in screens:
        page.goto(f"/app/#{path}")
        page.wait_for_selector(ready)
        check_screen(page, name, screenshot_dir)
        if name == "credential-lead":
            # What another phone's camera reads off this screen is the URL checked above.
            assert read_qr(page.locator(".qr img").screenshot()) == [url]
        if name == "notice-lead":
            page.click("text=拒绝签收")
            page.wait_for_selector("#notice-refusal")
            check_screen(page, "notice-refusal-form", screenshot_dir)
        if name == "signoff-blocked":
            # Nothing done yet: the blockers are listed and there is nothing to sign.
            assert "暂不能签字" in page.inner_text("main") and page.locator("#freeze").count() == 0
    # The visit screen links to the team's records for a lead.
    page.goto(f"/app/#/visit/{visit_id}")
    page.click("text=组员记录")
    page.wait_for_selector("main")
    assert page.url.endswith(f"/visit/{visit_id}/team")

    # A recusal asked from the phone reaches the leader's queue.
    page.goto(f"/app/#/visit/{visit_id}/recusal")
    page.fill("#recusal-text", "检查对象负责人是本人的表兄")
    page.click("#recusal-send")
    page.wait_for_selector("#start-visit")
    wait_until(lambda: pending_on_phone(page) == 0, timeout=90)
    rejected = [r for r in idb_rows(page, "outbox") if r["state"] == "rejected"]
    assert rejected == [], rejected
    assert recusals(field_server, "检查对象负责人是本人的表兄")
    page.goto("/app/#/settings")
    page.click("#lang-en")
    page.goto("/app/#/visits")
    assert page.inner_text(".bar h1") == "My visits"
    page.screenshot(path=str(screenshot_dir / "app-visits-english.png"), full_page=True)
    assert page.errors == []
    context.close()


def test_a_new_version_is_offered_during_a_visit_and_applied_when_asked_or_idle(
    _schema, tmp_path, phone_browser, screenshot_dir
):
    import shutil

    from server.config import Defaults

    dist = tmp_path / "dist"
    shutil.copytree(Defaults.PWA_DIST, dist)
    server = LiveServer(reset_database(_schema, tmp_path), tmp_path, PWA_DIST=str(dist))
    try:
        context, page = new_phone(phone_browser, server.url)
        sign_in(page)
        visit_id = open_visit(page, "威海")
        step(page, "检查表")
        page.wait_for_selector("main")
        # A new build is deployed: its service worker differs, so the phone installs it.
        worker = dist / "sw.js"
        worker.write_text(worker.read_text() + "\n// build 2\n")
        page.evaluate("navigator.serviceWorker.getRegistration('/app/').then(r => r.update())")
        page.wait_for_selector("#apply-update", timeout=20000)
        # Offered, not forced: the inspector is still on the same screen of the same visit.
        assert f"/visit/{visit_id}/checklist/" in page.url
        page.screenshot(path=str(screenshot_dir / "app-update.png"))
        old = page.evaluate("navigator.serviceWorker.controller.scriptURL")
        with page.expect_navigation():
            page.click("#apply-update")
        page.wait_for_selector("main")
        assert page.evaluate(
            "navigator.serviceWorker.getRegistration('/app/').then(r => !r.waiting)"
        )
        assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == old
        assert page.locator("#apply-update").count() == 0

        # Another build while the inspector fills the checklist: offered, left alone while the
        # checklist is open, and applied by itself once the inspector is back on the visit list
        # (nothing is being entered there).
        worker.write_text(worker.read_text() + "\n// build 3\n")
        page.evaluate("window.oldPage = true")
        page.evaluate("navigator.serviceWorker.getRegistration('/app/').then(r => r.update())")
        page.wait_for_selector("#apply-update", timeout=20000)
        page.wait_for_timeout(3000)  # longer than the app waits for a screen to settle
        assert f"/visit/{visit_id}/checklist/" in page.url
        assert page.evaluate("window.oldPage === true")
        page.evaluate("location.hash = '#/visits'")

        def reloaded_with_the_new_version() -> bool:
            try:  # the page may be reloading under the call
                return page.evaluate(
                    """navigator.serviceWorker.getRegistration('/app/').then(
                         (r) => window.oldPage === undefined && !r.waiting)"""
                )
            except PlaywrightError:
                return False

        # Seconds as a rule; up to Chromium's 30-s idle timeout of the old worker when a request
        # happened to arrive while it was being stopped (main.jsx, SETTLE_MS).
        try:
            wait_until(reloaded_with_the_new_version, timeout=60)
        except AssertionError:
            state = page.evaluate(
                """navigator.serviceWorker.getRegistration('/app/').then((r) => ({
                     old: window.oldPage, hash: location.hash,
                     waiting: r.waiting && r.waiting.state, active: r.active && r.active.state,
                     banner: !!document.querySelector('#apply-update')}))"""
            )
            raise AssertionError(f"not applied: {state}") from None
        page.wait_for_selector(".visit")
        assert page.locator("#apply-update").count() == 0
        context.close()
    finally:
        server.stop()
