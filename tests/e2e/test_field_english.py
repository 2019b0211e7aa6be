"""The field app in English: switched on the sign-in screen, every screen of the visit (visit
list, visit, credential, notice and its refusal form, checklist, sync, settings, the lead's team
records, recusal) shows no Chinese outside the server's data, the choice survives a reload and
switches back without one, and a delivered notice carries its delivery date (screenshots of each
English screen at 390×844)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.e2e.field import idb_rows, new_phone, sign_in, step
from tests.e2e.support import assert_fits_width

pytestmark = pytest.mark.browser

# Chinese left on the screen once the server's data is set aside: the text of every element not
# inside a [data-value] (names, addresses, item wording as the server sent them) or a
# [lang=zh-CN] (the language switch's "中文"), and the attributes a reader or a finger meets.
# textContent, not innerText: hidden text (a closed <details>, a <select>'s options) counts too.
_CHINESE_LEFT = r"""() => {
  const han = /[\u4e00-\u9fff]/;
  const skip = (el) => el.closest('[data-value], [lang="zh-CN"], script, style');
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (han.test(node.nodeValue) && !skip(node.parentElement)) {
      const where = node.parentElement;
      found.push(`${where.tagName.toLowerCase()}.${where.className}: ${node.nodeValue.trim()}`);
    }
  }
  for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [alt], [title]')) {
    if (skip(el)) continue;
    for (const name of ['placeholder', 'aria-label', 'alt', 'title']) {
      const value = el.getAttribute(name);
      if (value && han.test(value)) found.push(`${el.tagName.toLowerCase()}[${name}]: ${value}`);
    }
  }
  return found;
}"""


def assert_english(page, name: str, screenshot_dir) -> None:
    """No Chinese outside data on this screen; nothing wider than the phone; a screenshot."""
    page.wait_for_selector("main")
    page.wait_for_timeout(150)  # live queries settle (a screen renders its header first)
    left = page.evaluate(_CHINESE_LEFT)
    assert left == [], f"{name}: {left}"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert_fits_width(page)
    page.screenshot(path=str(screenshot_dir / f"app-en-{name}.png"), full_page=True)


def beijing_day(iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


# Writes one row of the app's IndexedDB as the server or an earlier day would have left it.
_PUT_ROW = """async ([name, row]) => {
  const open = indexedDB.open('spotcheck');
  const handle = await new Promise((ok, bad) => {
    open.onsuccess = () => ok(open.result);
    open.onerror = bad;
  });
  const store = handle.transaction(name, 'readwrite').objectStore(name);
  await new Promise((ok, bad) => {
    const r = store.put(row);
    r.onsuccess = ok;
    r.onerror = bad;
  });
  handle.close();
}"""


def test_every_screen_in_english_and_the_choice_kept(field_server, phone_browser, screenshot_dir):
    context, page = new_phone(phone_browser, field_server.url)

    # Sign-in: the language is chosen before signing in, and applies at once.
    page.goto("/app/")
    page.wait_for_selector("#username")
    assert page.inner_text("h1") == "外勤检查"
    page.click("#lang-en")
    assert page.inner_text("h1") == "Field inspection"
    assert_english(page, "login", screenshot_dir)

    sign_in(page, "lead1")  # reloads on the way: English is kept
    assert page.inner_text(".bar h1") == "My visits"

    # Each card names its people once, the lead marked; the address is a finger's height to tap.
    # A merged visit (the demo's draws are random: made here) has one section per task, with the
    # same inspector on both: listed once, as lead since he leads one of them.
    visits = {v["id"]: v for v in idb_rows(page, "visits")}
    # A section lead1 leads, of a task with a checklist (the demo draw is random: a merged
    # visit's first section may be another team's task, a task may have no checklist).
    tasks = {t["id"]: t for t in idb_rows(page, "tasks")}
    lead_visit, first = next(
        (v, s)
        for v in visits.values()
        if v["i_am_lead"]
        for s in v["sections"]
        if any(m["is_me"] and m["is_lead"] for m in s["team"])
        and tasks.get(s["task_id"], {}).get("checklist_id")
    )
    me = next(m for m in first["team"] if m["is_me"])
    # The second section: another task of this phone's with a checklist (the first 检查表 button
    # may be either section's), else a copy of the first task (a phone-only row; nothing in this
    # test writes to it).
    task = next(
        (t for t in tasks.values() if t["id"] != first["task_id"] and t.get("checklist_id")),
        None,
    )
    if task is None:
        base = tasks[first["task_id"]]
        task = {**base, "id": str(uuid.uuid4()), "number": f"{base['number']}-2"}
        page.evaluate(_PUT_ROW, ["tasks", task])
    other_team = next(
        s["team"] for v in visits.values() for s in v["sections"] if s["team"] != first["team"]
    )
    second = {
        **first,
        "task_id": task["id"],
        "team": [
            {**me, "is_lead": False},
            *(m for m in other_team if m["credential_no"] != me["credential_no"]),
        ],
    }
    page.evaluate(_PUT_ROW, ["visits", {**lead_visit, "sections": [first, second]}])
    page.reload()
    page.wait_for_selector(".visit")
    visits = {v["id"]: v for v in idb_rows(page, "visits")}
    cards = page.locator(".visit")
    assert cards.count() == len(visits)
    for i in range(cards.count()):
        card = cards.nth(i)
        box = card.locator(".addr a").bounding_box()
        assert box["height"] >= 44, box
        assert "(Lead)" in card.locator(".team-names").inner_text()
    for visit in visits.values():
        card = page.locator(f".visit[data-visit='{visit['id']}']")
        names = card.locator(".team-names .member [data-value]").all_inner_texts()
        people = {m["credential_no"]: m["name"] for s in visit["sections"] for m in s["team"]}
        assert sorted(names) == sorted(people.values()), (names, people)
    merged = page.locator(f".visit[data-visit='{lead_visit['id']}']")
    assert "Merged visit" in merged.inner_text()
    assert merged.locator(".team-names .member").count() == len(
        {m["credential_no"] for s in (first, second) for m in s["team"]}
    )
    assert merged.locator(".team-names .lead").first.inner_text() == f"{me['name']} (Lead)"
    assert_english(page, "visits", screenshot_dir)

    visit_id = lead_visit["id"]
    page.goto(f"/app/#/visit/{visit_id}")
    page.wait_for_selector("#start-visit")
    assert_english(page, "visit", screenshot_dir)
    page.click("#start-visit")
    page.wait_for_selector(".step.done")
    assert "Arrived" in page.inner_text("#start-visit")

    step(page, "Show credential")
    page.wait_for_selector("#credential-shown")
    assert_english(page, "credential", screenshot_dir)
    page.click("#credential-shown")
    page.wait_for_selector("text=Shown")

    page.goto(f"/app/#/visit/{visit_id}/notice")
    page.wait_for_selector("#notice-text")
    notice = page.inner_text("#notice-text")
    assert "Notice of Random Inspection" in notice
    assert "right to request that inspector's recusal" in notice
    assert "law enforcement credential no." in notice
    assert_english(page, "notice", screenshot_dir)
    page.click("#notice-mode-refuse")
    page.click("#notice-save")  # nothing written: the reason is asked for, in English
    assert (
        page.inner_text("[role=alert]") == "Describe how the party refused to sign for the notice"
    )
    assert_english(page, "notice-refusal", screenshot_dir)
    page.fill("#notice-refusal", "The manager refused to sign")
    page.click("#notice-save")
    page.wait_for_selector("#start-visit")

    # Delivered: the notice is dated the day of delivery, not the day it is looked at again.
    delivered = next(e for e in idb_rows(page, "events") if e["kind"] == "notice.delivered")
    page.goto(f"/app/#/visit/{visit_id}/notice")
    page.wait_for_selector("#notice-date")
    assert page.get_attribute("#notice-date", "data-day") == beijing_day(delivered["at"])
    # Looked at again on a later day: as if it had been delivered on 5 Jan (Beijing).
    page.evaluate(_PUT_ROW, ["events", {**delivered, "at": "2026-01-04T17:30:00.000Z"}])
    page.reload()
    page.wait_for_selector("#notice-date")
    assert page.get_attribute("#notice-date", "data-day") == "2026-01-05"
    assert page.inner_text("#notice-date").endswith("5 Jan 2026")
    assert "the party refused to sign for it" in page.inner_text(".ok-text")
    assert_english(page, "notice-delivered", screenshot_dir)

    back = f"/app/#/visit/{visit_id}"
    page.goto(back)
    page.wait_for_selector("#start-visit")
    step(page, "Checklist")
    page.wait_for_selector(".question")
    page.locator(".question .choice").first.click()
    assert_english(page, "checklist", screenshot_dir)

    page.goto(back)
    page.wait_for_selector("#start-visit")
    page.click("text=Team records")
    page.wait_for_selector(".bar h1:has-text('Team records')")
    assert_english(page, "team", screenshot_dir)

    page.goto(f"/app/#/visit/{visit_id}/recusal")
    page.wait_for_selector("#recusal-send")
    page.click("#recusal-send")  # empty: asked for the reason
    assert "reason for recusal" in page.inner_text("[role=alert]")
    assert_english(page, "recusal", screenshot_dir)

    # Offline, the request waits on the phone; the sync screen says what waits and why, in English
    # (the engine's own message for a network failure).
    context.set_offline(True)
    page.fill("#recusal-text", "My cousin runs this business")
    page.click("#recusal-send")
    page.wait_for_selector("#start-visit")
    page.goto("/app/#/sync")
    page.wait_for_selector("#retry-now")
    page.click("#retry-now")
    page.wait_for_selector("text=Last sync failed")
    text = page.inner_text("main")
    assert "Recusal request" in text and "Waiting to send (" in text
    assert "Cannot reach the server (offline or a poor network)" in text
    assert_english(page, "sync", screenshot_dir)
    context.set_offline(False)

    page.goto("/app/#/settings")
    page.wait_for_selector("#lang-en")
    assert_english(page, "settings", screenshot_dir)

    # Reload keeps English; switching back to Chinese needs no reload.
    page.reload()
    page.wait_for_selector("#lang-zh")
    assert page.inner_text(".bar h1") == "Settings"
    assert page.evaluate("localStorage.getItem('spotcheck.lang')") == "en"
    page.click("#lang-zh")
    assert page.inner_text(".bar h1") == "设置"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.goto(f"/app/#/visit/{visit_id}/notice")
    page.wait_for_selector("#notice-date")
    assert page.inner_text("#notice-date").endswith("2026-01-05")
    assert "抽查检查告知书" in page.inner_text("#notice-text")
    assert page.errors == []
    context.close()
