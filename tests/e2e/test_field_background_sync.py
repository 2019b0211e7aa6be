"""Background Sync with the app closed: work done offline reaches the server when the browser
wakes the service worker, with no page of the app open (the worker pushes and pulls itself;
photos and audio wait for the app, whose uploads need a page)."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.visits.record_models import VisitEvent
from tests.e2e.field import idb_rows, new_phone, sign_in, wait_until

pytestmark = pytest.mark.browser


def events_on_server(server, visit_id: str) -> list[str]:
    with server.app.app_context():
        stmt = select(VisitEvent.kind).where(VisitEvent.visit_id == uuid.UUID(visit_id))
        kinds = sorted(db.session.scalars(stmt))
        db.session.remove()
        return kinds


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


def test_the_worker_sends_the_outbox_when_no_page_is_open(field_server, browser):
    context, page = new_phone(browser, field_server.url)
    sign_in(page)
    assert page.evaluate("'sync' in ServiceWorkerRegistration.prototype")

    # Offline at the premises: the visit is started; the mutation waits in the outbox.
    context.set_offline(True)
    page.locator(".visit").first.click()
    page.wait_for_selector("#start-visit")
    visit_id = page.url.split("#/visit/")[1]
    page.click("#start-visit")
    wait_until(lambda: any(r["state"] == "pending" for r in idb_rows(page, "outbox")))
    assert events_on_server(field_server, visit_id) == []

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

    # Opening the app again: the worker settled the outbox row (an applied mutation leaves the
    # phone), so nothing is sent twice.
    page = context.new_page()
    page.goto("/app/")
    page.wait_for_selector(".visit")
    outbox = idb_rows(page, "outbox")
    assert [row for row in outbox if row["state"] == "pending"] == [], outbox
    page.wait_for_timeout(1500)  # the app's own drain on open
    assert events_on_server(field_server, visit_id) == ["visit.start"]
    context.close()
