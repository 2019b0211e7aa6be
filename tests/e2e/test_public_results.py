"""The public side of "一公开" in Chromium on a phone: a business finds its published result, files
an objection with a PDF attached, and follows it by its reference number."""

from __future__ import annotations

import pytest

from tests.e2e.support import assert_fits_width

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_business_objects_to_its_published_result_and_follows_it_by_reference(
    browser, live_server, screenshot_dir, tmp_path
):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/public/results")
    assert_fits_width(page)
    page.click("text=单用途商业预付卡资金存管专项抽查")
    page.wait_for_selector("text=公示记录")
    text = page.inner_text("main")
    # What is published names businesses and results, never people's numbers or signatures.
    assert "未发现问题" in text and "发现问题已责令改正" in text
    assert "11010519491231002X" not in text and "13963100188" not in text
    assert_fits_width(page)
    page.screenshot(path=str(screenshot_dir / "public-result-390.png"), full_page=True)

    page.locator("text=对该结果提出异议").first.click()
    page.wait_for_selector("#f-uscc")
    uscc = page.input_value("#f-uscc")
    assert len(uscc) == 18  # carried over from the result the business came from
    page.fill("#f-applicant_name", "法定代表人")
    page.fill("#f-contact", "13912345678")
    page.fill("#f-grounds", "检查当日已出示全部台账，公示结果与现场情况不符。")
    proof = tmp_path / "台账.pdf"
    proof.write_bytes(PDF)
    page.set_input_files("#f-attachments", str(proof))
    page.click("text=提交异议申请")
    page.wait_for_selector("#reference")
    reference = page.inner_text("#reference").strip()
    assert reference.startswith("YY")
    page.screenshot(path=str(screenshot_dir / "public-objection-filed-390.png"), full_page=True)

    page.click("a.btn:has-text('查询办理进度')")
    page.fill("#f-reference", reference)
    page.fill("#f-uscc", uscc)
    page.click("button:has-text('查询')")
    page.wait_for_selector(f"text={reference}")
    status = page.inner_text("main")
    assert "13912345678" not in status  # the applicant's own contact is not echoed either
    assert_fits_width(page)
    page.screenshot(path=str(screenshot_dir / "public-objection-status-390.png"), full_page=True)
    context.close()
