"""The console's main pages, as a person sees them in Chromium on a phone and on a desktop."""

from __future__ import annotations

import pytest

from tests.e2e.support import assert_fits_width, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# (path, text that must be visible, account)
PAGES = [
    ("/", "您好", "office1"),
    ("/items", "抽查事项", "head1"),
    ("/plans", "年度", "head1"),
    ("/tasks", "抽查任务", "head1"),
    ("/visits", "检查", "head1"),
    ("/visits/merges", "合并", "head1"),
    ("/replacements", "回避", "head1"),
    ("/checklists", "检查", "head1"),
    ("/subjects", "检查对象", "office1"),
    ("/subjects?risk=any", "检查对象", "office1"),
    ("/inspectors", "执法证已过期", "office1"),
    ("/conflicts", "利害关系", "office1"),
    ("/imports", "导入", "office1"),
    ("/audit", "审计", "admin"),
    ("/replacements/queue", "待审批", "leader1"),
    ("/my/visits", "检查", "inspector1"),
    ("/visits", "检查", "inspector1"),
    ("/admin/users", "用户", "admin"),
    ("/admin/calendar", "工作日", "admin"),
    ("/system/jobs?state=done", "照片缩略图", "admin"),
    ("/results/deadlines", "异议办理期限", "office2"),
    ("/objections", "YY", "office2"),
    ("/followups", "责令限期整改", "office2"),
    ("/transfers/inbox", "移交", "office2"),
    ("/publication/jobs", "已发送", "office2"),
    ("/public/results", "单用途商业预付卡资金存管专项抽查", "office2"),
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_main_console_pages_render_in_chinese_and_fit_the_screen(
    browser, live_server, screenshot_dir, viewport
):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    signed_in_as = None
    for path, text, account in PAGES:
        if account != signed_in_as:
            context.clear_cookies()
            sign_in(page, live_server, account)
            signed_in_as = account
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        assert text in page.inner_text("main"), path
        if viewport is PHONE:
            assert_fits_width(page)
        name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"
        page.screenshot(
            path=str(screenshot_dir / f"{name}-{viewport['width']}.png"), full_page=True
        )
    assert errors == [], errors
    context.close()


def test_public_item_list_and_plans_need_no_sign_in(browser, live_server, screenshot_dir):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    response = page.goto(f"{live_server}/public/items")
    assert response.status == 200
    assert "单用途商业预付卡" in page.inner_text("main")
    assert_fits_width(page)
    page.screenshot(path=str(screenshot_dir / "public_items-390.png"), full_page=True)
    response = page.goto(f"{live_server}/public/plans")
    assert response.status == 200
    assert "年度抽查工作计划" in page.inner_text("body")
    assert_fits_width(page)
    page.screenshot(path=str(screenshot_dir / "public_plans-390.png"), full_page=True)
    context.close()


def test_english_switch_translates_the_console(browser, live_server):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, "office1")
    page.click("text=English")
    assert "Subjects" in page.inner_text("nav")
    context.close()


# An amendment's new team as the page would show inspectors it has no names for: many parts.
_MANY_PARTS = """(cell) => {
  cell.innerHTML = '检查组：' + Array.from({length: 8}, (_, i) =>
    `张伟（<span class="mono">SWJ-0${10 + i}</span>）；<span class="mono">SWJ-1${10 + i}</span>`
  ).join('；');
}"""


def test_a_table_cell_of_many_parts_wraps_inside_its_card_on_a_phone(browser, live_server):
    """On a phone a table is a list of cards, each value beside its label; a value of many parts
    wraps within its card (it was a flex row of unshrinkable parts: 229 px sideways in CI)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/public/draws")
    page.click("tr:has-text('单用途商业预付卡发卡企业年度抽查') a")
    cell = page.locator(".amendments table.data td[data-label='变更']").first
    before = cell.bounding_box()
    cell.evaluate(_MANY_PARTS)
    assert_fits_width(page)
    after = cell.bounding_box()
    assert after["width"] == before["width"] and after["height"] > 3 * before["height"]
    context.close()


def test_a_drawn_task_from_the_public_list_to_the_console_panel(
    browser, live_server, screenshot_dir
):
    """The demo's drawn tasks: public page with the proof and the amendments, then the panel."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/public/draws")
    assert "单用途商业预付卡发卡企业年度抽查" in page.inner_text("main")
    page.click("tr:has-text('单用途商业预付卡发卡企业年度抽查') a")
    text = page.inner_text("main")
    assert "如何核验本次抽取" in text and "替换检查人员" in text
    assert_fits_width(page)
    page.screenshot(path=str(screenshot_dir / "public_draw-390.png"), full_page=True)
    page.goto(f"{live_server}/public/draws")
    page.click("tr:has-text('预付卡发卡企业促销行为定向检查') a")
    assert "演示信标" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "public_draw_beacon-390.png"), full_page=True)
    sign_in(page, live_server, "head1")
    page.goto(f"{live_server}/tasks")
    page.click("a:has-text('单用途商业预付卡发卡企业年度抽查')")
    page.click("a:has-text('双随机抽取')")
    text = page.inner_text("main")
    assert "检查组与组长" in text and "已下达" in text
    page.screenshot(path=str(screenshot_dir / "draw_panel-390.png"), full_page=True)
    context.close()
