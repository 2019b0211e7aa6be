"""Full-process audio in the field app, end to end in Chromium (fake microphone), offline: the
recording started on the evidence screen keeps running while the inspector delivers the notice
and fills in the checklist (an indicator with its clock above every screen), survives a reload
(recovered, then continued), and sign-off stops it so the audio is in the signed record. A
required photo blocks sign-off until it is taken. Back online, the server holds every recording
with the SHA-256 the phone computed, listed in the record's manifest."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.visits.record_models import SUBMITTED, VisitRecord
from sync.models import Media
from sync.storage import storage_from_config
from tests.e2e.field import (
    PHONE,
    LiveServer,
    back_to_visit,
    draw,
    idb_keys,
    idb_rows,
    jpeg,
    new_phone,
    sign_in,
    step,
    wait_until,
)
from tests.e2e.support import assert_fits_width

pytestmark = pytest.mark.browser

CLOCK = re.compile(r"(\d\d):(\d\d)")


def indicator_seconds(page) -> int:
    """The elapsed time the header indicator shows, in seconds."""
    minutes, seconds = CLOCK.search(page.inner_text("#rec-indicator")).groups()
    return int(minutes) * 60 + int(seconds)


def my_sections(page, visit_id: str) -> set[str]:
    """The task ids of the visit whose team has this inspector (a merged visit has others)."""
    visit = next(v for v in idb_rows(page, "visits") if v["id"] == visit_id)
    return {s["task_id"] for s in visit["sections"] if any(m["is_me"] for m in s["team"])}


def visit_with_required_photo(page) -> str:
    """A visit whose checklist of this inspector's team asks for a photo. (The demo draw is
    random: a merged visit may join a task of another team, or one without a checklist.)"""
    tasks = {t["id"]: t for t in idb_rows(page, "tasks")}
    photo_lists = {
        c["id"]
        for c in idb_rows(page, "checklists")
        if any(q["answer_type"] == "photo_required" for q in c["questions"])
    }
    # A merged visit first, when the draw made one: only this team's section may be signed.
    for visit in sorted(idb_rows(page, "visits"), key=lambda v: -len(v["sections"])):
        mine = [s for s in visit["sections"] if any(m["is_me"] for m in s["team"])]
        if len(mine) == 1 and tasks.get(mine[0]["task_id"], {}).get("checklist_id") in photo_lists:
            return visit["id"]
    raise AssertionError("no visit with a required photo in the demo data")


def answer_all_but_photos(page) -> None:
    """Every question answered, none photographed: only the required photos are missing."""
    page.wait_for_selector(".question")
    for q in page.locator(".question").all():
        if q.locator(".choice").count():
            q.locator(".choice").first.click()
        elif q.locator("input[type=number]").count():
            q.locator("input[type=number]").fill("3")
        elif q.locator("input[type=date]").count():
            q.locator("input[type=date]").fill("2026-11-20")
        elif q.locator("textarea").first.is_visible():
            q.locator("textarea").first.fill("无")


def take_required_photos(page, photo) -> None:
    for q in page.locator(".question", has_text="必须拍照").all():
        q.locator("input[type=file]").set_input_files(str(photo))
        q.locator("figure").first.wait_for()


def chunks_on_phone(page) -> int:
    return len(idb_keys(page, "chunks"))


def outbox_pending(page) -> int:
    return sum(1 for row in idb_rows(page, "outbox") if row["state"] == "pending")


def on_server(live: LiveServer, record_ids: set[str]):
    """The records this phone signed, the Media rows of the audio it recorded for them, and the
    SHA-256 of the bytes the server stored for each. (Only these: the random demo data may have
    given the visit an earlier, approved record of the same task.)"""
    with live.app.app_context():
        keys = [uuid.UUID(record_id) for record_id in record_ids]
        records = list(db.session.scalars(select(VisitRecord).where(VisitRecord.id.in_(keys))))
        audio = (
            list(
                db.session.scalars(
                    select(Media).where(
                        Media.kind == "audio", Media.record_id.in_([r.id for r in records])
                    )
                )
            )
            if records
            else []
        )
        storage = storage_from_config(live.app.config, live.app.instance_path)
        stored = {
            str(m.media_id): hashlib.sha256(storage.read(m.storage_key)).hexdigest() for m in audio
        }
        db.session.expunge_all()
        db.session.remove()
        return records, audio, stored


def test_audio_runs_across_screens_survives_a_reload_and_is_signed(
    field_server, phone_browser, tmp_path, screenshot_dir
):
    photo = jpeg(tmp_path / "photo.jpg", size=(1200, 900))
    context, page = new_phone(phone_browser, field_server.url)
    sign_in(page, "inspector1")
    assert page.viewport_size == PHONE

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"app-{name}.png"))

    context.set_offline(True)
    page.reload()
    page.wait_for_selector(".visit")
    visit_id = visit_with_required_photo(page)
    page.goto(f"/app/#/visit/{visit_id}")
    page.wait_for_selector("#start-visit")
    mine = my_sections(page, visit_id)
    page.click("#start-visit")
    page.wait_for_selector(".step.done")

    # Arrival: the recording starts on the evidence screen.
    step(page, "证据")
    page.click("#start-audio")
    page.wait_for_selector("#audio-timer")
    page.wait_for_selector("#rec-indicator")

    # The notice is delivered while it records: the indicator is above this screen too.
    back_to_visit(page, visit_id)
    assert page.locator("#rec-indicator").is_visible()
    step(page, "送达告知书")
    page.wait_for_selector("#notice-text")
    page.fill("#notice-signer", "谷海燕")
    draw(page, "#notice-pad")
    page.click("#notice-save")
    page.wait_for_selector("#start-visit")

    # The checklist, everything but the required photo; still recording, chunks still arriving.
    step(page, "检查表")
    page.wait_for_selector(".question")
    before = indicator_seconds(page)
    chunks = chunks_on_phone(page)
    answer_all_but_photos(page)
    page.wait_for_timeout(2500)
    assert indicator_seconds(page) >= before + 2
    assert chunks_on_phone(page) >= chunks + 2  # the recorder kept writing off its screen
    assert "录音中" in page.inner_text("#rec-indicator")
    # The indicator is a big touch target and pushes nothing off the screen.
    box = page.locator("#rec-indicator").bounding_box()
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] - 1
    assert_fits_width(page)
    shot("recording-indicator")

    # A tap on the indicator opens the evidence controls: paused, the clock stands still.
    page.click("#rec-indicator")
    page.wait_for_selector("#pause-audio")
    assert f"/visit/{visit_id}/evidence" in page.url
    page.click("#pause-audio")
    page.wait_for_selector("#resume-audio")
    assert "录音已暂停" in page.inner_text("#rec-indicator")
    paused_at = indicator_seconds(page)
    page.wait_for_timeout(1500)
    assert indicator_seconds(page) == paused_at
    page.click("#resume-audio")
    page.wait_for_selector("#pause-audio")
    assert "录音中" in page.inner_text("#rec-indicator")

    # Sign-off is blocked while the required photo is missing: no freeze button at all.
    back_to_visit(page, visit_id)
    step(page, "签字确认")
    page.wait_for_selector("#signoff-blockers")
    blocker = page.inner_text("#signoff-blockers")
    assert "缺少必拍照片" in blocker and "必填未回答" not in blocker
    assert page.locator("#freeze").count() == 0
    assert page.locator("#rec-indicator").is_visible()
    shot("signoff-blocked")

    # The app is killed mid-recording (a reload): the chunks so far are on the phone, and every
    # screen says a recording is waiting to be saved.
    seconds_before_reload = indicator_seconds(page)
    page.reload()
    page.wait_for_selector("#rec-indicator.interrupted")
    assert chunks_on_phone(page) >= 3
    shot("recording-interrupted")
    page.click("#rec-indicator")
    page.wait_for_selector("#recover-continue")
    assert f"/visit/{visit_id}/evidence" in page.url
    shot("evidence-interrupted")
    page.click("#recover-continue")
    page.wait_for_selector("#audio-timer")
    shot("evidence-recording")
    # The first part is a file now; the clock carries on from what was saved.
    wait_until(
        lambda: len([m for m in idb_rows(page, "media") if m["kind"] == "audio"]) == 1, timeout=10
    )
    assert indicator_seconds(page) >= seconds_before_reload - 2
    first_part = next(m for m in idb_rows(page, "media") if m["kind"] == "audio")
    # No chunk of the interrupted recording is left behind: only the new one's.
    current = next(r for r in idb_rows(page, "meta") if r["key"] == "recording")["value"]["id"]
    assert current != first_part["id"]
    assert {c["recording_id"] for c in idb_rows(page, "chunks")} <= {current}

    # The photo is taken: the blocker goes, the freeze button appears.
    back_to_visit(page, visit_id)
    step(page, "检查表")
    page.wait_for_selector(".question")
    assert page.locator(".question", has_text="必须拍照").count() >= 1
    take_required_photos(page, photo)
    back_to_visit(page, visit_id)
    step(page, "签字确认")
    page.wait_for_selector("#freeze")
    assert page.locator("#signoff-blockers").count() == 0
    assert page.locator("#audio-will-stop").is_visible()
    page.wait_for_timeout(1500)

    # Making the summary to sign stops the recording and saves it into what is signed.
    page.fill("#signer", "谷海燕")
    page.click("#freeze")
    page.wait_for_selector("#party-pad")
    assert page.locator("#rec-indicator").count() == 0
    audio = [m for m in idb_rows(page, "media") if m["kind"] == "audio"]
    assert len(audio) == 2 and first_part["id"] in {m["id"] for m in audio}
    assert idb_keys(page, "chunks") == []
    assert not [r for r in idb_rows(page, "meta") if r["key"] == "recording" and r["value"]]
    draw(page, "#party-pad")
    page.click("#submit-record")
    page.wait_for_selector("#start-visit")
    signed = [row["args"] for row in idb_rows(page, "outbox") if row["type"] == "record.submit"]
    assert {s["task_id"] for s in signed} == mine  # the sections of this inspector's team only
    for args in signed:
        assert {m["id"] for m in audio} <= {m["media_id"] for m in args["media"]}
    # Each recording belongs to a record that was signed (the upload names it to the server).
    signed_ids = {args["record_id"] for args in signed}
    assert {m["record_id"] for m in audio} <= signed_ids, (
        [(m["id"], m["record_id"]) for m in audio],
        signed_ids,
    )

    # Back online: every recording on the server with the phone's SHA-256, in the manifest.
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")

    def arrived():
        records, server_audio, _ = on_server(field_server, signed_ids)
        return (
            len(records) == len(mine)
            and all(r.state == SUBMITTED for r in records)
            and len(server_audio) == 2
            and outbox_pending(page) == 0
        )

    try:
        wait_until(arrived, timeout=90)
    except AssertionError:
        records, server_audio, _ = on_server(field_server, signed_ids)
        raise AssertionError(
            f"server: records {[(str(r.task_id), r.state) for r in records]} (mine {mine}), "
            f"audio {len(server_audio)}; phone outbox "
            f"{[(r['type'], r['state'], r.get('error')) for r in idb_rows(page, 'outbox')]}, "
            f"media {[(m['kind'], m['state'], m.get('error')) for m in idb_rows(page, 'media')]}"
        ) from None
    records, server_audio, stored = on_server(field_server, signed_ids)
    assert {str(r.task_id) for r in records} == mine
    phone_sha = {m["id"]: m["sha256"] for m in audio}
    assert {str(m.media_id): m.sha256 for m in server_audio} == phone_sha
    assert stored == phone_sha  # the bytes stored are the bytes the phone hashed
    for record in records:
        manifest = {m["media_id"]: m["sha256"] for m in record.media_manifest}
        assert all(manifest.get(media_id) == sha for media_id, sha in phone_sha.items())
        listed = {m["media_id"]: m for m in record.record["media"]}
        assert all(listed[media_id]["kind"] == "audio" for media_id in phone_sha)
    assert [r for r in idb_rows(page, "outbox") if r["state"] == "rejected"] == []
    assert page.errors == []
    context.close()
