"""The subject directory list: search, filters, paging, soft delete and risk flags."""

from __future__ import annotations

import re

import pytest


def names(response) -> list[str]:
    """Names of the subjects listed on a page (links to their detail pages)."""
    html = response.get_data(as_text=True)
    return re.findall(r'<a href="/subjects/[0-9a-f-]{36}">([^<]+)</a>', html)


@pytest.fixture
def reader(signed_in):
    return signed_in("inspector")


def test_list_shows_subjects_ordered_by_name(reader, make_subject):
    make_subject(name="乙公司")
    make_subject(name="甲公司")
    response = reader.get("/subjects")
    assert response.status_code == 200
    assert names(response) == ["乙公司", "甲公司"]  # unicode order of the names


def test_search_matches_name_substring(reader, make_subject):
    make_subject(name="威海华联加油站有限公司")
    make_subject(name="威海鑫源典当行")
    assert names(reader.get("/subjects?q=加油")) == ["威海华联加油站有限公司"]


def test_search_matches_uscc_prefix_not_middle(reader, make_subject):
    first = make_subject(name="一号公司")
    make_subject(name="二号公司")
    # The USCCs share the first 8 characters; the 9–17th (org code) differ.
    assert names(reader.get(f"/subjects?q={first.uscc[:16]}")) == ["一号公司"]
    assert names(reader.get(f"/subjects?q={first.uscc}")) == ["一号公司"]
    assert names(reader.get(f"/subjects?q={first.uscc[4:12]}")) == []


def test_search_accepts_lower_case_uscc(reader, make_subject):
    subject = make_subject(name="小写查询公司", uscc="91110108551385082Q")
    assert names(reader.get(f"/subjects?q={subject.uscc.lower()}")) == ["小写查询公司"]


def test_filters_by_kind_scale_region_and_status(reader, make_subject, make_region):
    make_region("SQ", "双岛街道")
    make_subject(name="甲", kind="enterprise", scale="small")
    make_subject(name="乙", kind="individual", scale="micro")
    make_subject(name="丙", kind="individual", scale="micro", region_code="SQ")
    make_subject(name="丁", kind="individual", scale="micro", status="suspended")
    assert names(reader.get("/subjects?kind=individual")) == ["丁", "丙", "乙"]
    assert names(reader.get("/subjects?kind=individual&region=SQ")) == ["丙"]
    assert names(reader.get("/subjects?scale=small")) == ["甲"]
    assert names(reader.get("/subjects?status=suspended")) == ["丁"]


def test_filter_by_department_scope(reader, make_subject, make_department):
    trade, oil = make_department("市场科"), make_department("成品油科")
    make_subject(name="甲", departments=[trade])
    make_subject(name="乙", departments=[trade, oil])
    make_subject(name="丙")
    assert names(reader.get(f"/subjects?department={oil.id}")) == ["乙"]
    assert names(reader.get(f"/subjects?department={trade.id}")) == ["乙", "甲"]


def test_filter_by_tag(reader, make_subject):
    make_subject(name="甲", tags=["加油站"])
    make_subject(name="乙", tags=["典当"])
    assert names(reader.get("/subjects?tag=加油站")) == ["甲"]


def test_high_risk_filter_any_and_specific_flag(reader, make_subject):
    make_subject(name="甲", risk_flags=["abnormal"])
    make_subject(name="乙", risk_flags=["dishonest", "complaints"])
    make_subject(name="丙")
    assert names(reader.get("/subjects?risk=any")) == ["乙", "甲"]
    assert names(reader.get("/subjects?risk=dishonest")) == ["乙"]


def test_flagged_rows_are_marked_with_red_badges(reader, make_subject):
    make_subject(name="甲", risk_flags=["abnormal"])
    html = reader.get("/subjects").get_data(as_text=True)
    assert 'class="is-flagged"' in html
    assert '<span class="badge danger">列入经营异常名录</span>' in html


def test_unknown_filter_value_is_refused_with_chinese_message(reader, make_subject):
    make_subject(name="甲")
    response = reader.get("/subjects?risk=bogus")
    assert response.status_code == 422
    assert "取值无效" in response.get_data(as_text=True)
    assert names(response) == []


def test_paging_splits_the_list_and_keeps_filters(reader, make_subject):
    for n in range(1, 8):
        make_subject(name=f"企业{n:02d}", kind="individual")
    make_subject(name="企业99", kind="enterprise")
    first = reader.get("/subjects?kind=individual&page_size=3")
    assert names(first) == ["企业01", "企业02", "企业03"]
    html = first.get_data(as_text=True)
    assert "第 1 / 3 页，共 7 条" in html
    assert "page=2" in html and "kind=individual" in html
    assert names(reader.get("/subjects?kind=individual&page_size=3&page=3")) == ["企业07"]


def test_page_past_the_end_shows_the_last_page(reader, make_subject):
    for n in range(1, 4):
        make_subject(name=f"企业{n}")
    assert names(reader.get("/subjects?page_size=2&page=99")) == ["企业3"]


def test_removed_subject_hidden_unless_asked(reader, db, make_subject):
    from server.audit.operations import SYSTEM
    from server.directory.operations import delete_subject

    gone = make_subject(name="已注销公司")
    make_subject(name="在册公司")
    delete_subject(db.session, actor=SYSTEM, subject=gone, reason="迁出本区")
    db.session.commit()
    assert names(reader.get("/subjects")) == ["在册公司"]
    assert names(reader.get("/subjects?removed=1")) == ["在册公司", "已注销公司"]


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/subjects")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
