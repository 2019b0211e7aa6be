"""Background Sync with the app closed: work done offline — the visit's events and its photos —
reaches the server when the browser wakes the service worker, with no page of the app open (the
worker pushes, uploads over fetch and pulls itself)."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.visits.record_models import VisitEvent
from sync.models import Media, Upload
from tests.e2e.field import idb_keys, idb_rows, jpeg, new_phone, sign_in, step, wait_until

pytestmark = pytest.mark.browser


def events_on_server(server, visit_id: str) -> list[str]:
    with server.app.app_context():
        stmt = select(VisitEvent.kind).where(VisitEvent.visit_id == uuid.UUID(visit_id))
        kinds = sorted(db.session.scalars(stmt))
        db.session.remove()
        return kinds


def media_on_server(server, media_id: str) -> list[tuple[str, str]]:
    """(sha256, upload state) of each copy the server holds of the phone's file."""
    with server.app.app_context():
        key = uuid.UUID(media_id)
        media = list(db.session.scalars(select(Media).where(Media.media_id == key)))
        uploads = list(db.session.scalars(select(Upload).where(Upload.media_id == key)))
        db.session.remove()
        return [(m.sha256, u.state) for m in media for u in uploads]


def registration_id(cdp, scope: str) -> str:
    """The service worker registration's id for `scope`, as DevTools knows it."""
    found: dict[str, str] = {}

    def seen(event):
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration["isDeleted"]:
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while "id" not in found and time.monotonic() < deadline:
        cdp.send("Runtime.evaluate", {"expression": "1"})  # lets the events arrive
        time.sleep(0.1)
    assert "id" in found, "no service worker registration for the app"
    return found["id"]


def test_the_worker_sends_the_outbox_when_no_page_is_open(field_server, browser, tmp_path):
    context, page = new_phone(browser, field_server.url)
    sign_in(page)
    assert page.evaluate("'sync' in ServiceWorkerRegistration.prototype")

    # Offline at the premises: the visit is started; the mutation waits in the outbox.
    context.set_offline(True)
    page.locator(".visit h3").first.click()  # the name: the address opens the map app
    page.wait_for_selector("#start-visit")
    visit_id = page.url.split("#/visit/")[1]
    page.click("#start-visit")
    wait_until(lambda: any(r["state"] == "pending" for r in idb_rows(page, "outbox")))
    assert events_on_server(field_server, visit_id) == []
    # A photo of the premises (several upload chunks), on the phone only.
    step(page, "证据")
    page.locator("#add-photo").set_input_files(str(jpeg(tmp_path / "shop.jpg", noise=True)))
    wait_until(lambda: len(idb_rows(page, "media")) == 1, timeout=20)
    photo = idb_rows(page, "media")[0]
    assert photo["state"] == "local" and idb_keys(page, "blobs") == [photo["id"]]

    # The inspector closes the app; later the network is back. No page of the app is open:
    # DevTools (from a blank tab of another origin) fires the sync the browser would fire.
    page.close()
    context.set_offline(False)
    other = context.new_page()
    other.goto("about:blank")
    cdp = context.new_cdp_session(other)
    scope = f"{field_server.url}/app/"
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": field_server.url,
            "registrationId": registration_id(cdp, scope),
            "tag": "spotcheck-outbox",
            "lastChance": False,
        },
    )
    wait_until(lambda: events_on_server(field_server, visit_id) == ["visit.start"], timeout=30)
    wait_until(lambda: media_on_server(field_server, photo["id"]), timeout=60)
    assert media_on_server(field_server, photo["id"]) == [(photo["sha256"], "complete")]

    # Opening the app again: the worker settled the outbox row (an applied mutation leaves the
    # phone), so nothing is sent twice.
    page = context.new_page()
    page.goto("/app/")
    page.wait_for_selector(".visit")
    outbox = idb_rows(page, "outbox")
    assert [row for row in outbox if row["state"] == "pending"] == [], outbox
    # The photo's bytes left the phone once the server had verified them (the worker may be
    # writing that down as the app opens); its row stays.
    wait_until(lambda: [m["state"] for m in idb_rows(page, "media")] == ["verified"], timeout=20)
    assert idb_keys(page, "blobs") == []
    page.wait_for_timeout(1500)  # the app's own drain on open
    assert events_on_server(field_server, visit_id) == ["visit.start"]
    assert media_on_server(field_server, photo["id"]) == [(photo["sha256"], "complete")]
    context.close()
