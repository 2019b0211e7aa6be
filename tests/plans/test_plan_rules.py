"""The plan rules as pure functions (Art. 6, Art. 12)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from server.plans import rules

YEAR = 2026


def _item(code="SWJ-001", **kw) -> rules.ItemRule:
    return rules.ItemRule(item_id=kw.pop("item_id", uuid.uuid4()), code=code, name=code, **kw)


def _line(item, ratio="5", frequency=1, start=(1, 1), end=(12, 31), **filters):
    return rules.LineFacts(
        item_id=item.item_id,
        code=item.code,
        ratio_percent=Decimal(ratio),
        frequency_per_year=frequency,
        window_start=dt.date(YEAR, *start),
        window_end=dt.date(YEAR, *end),
        filters=filters,
    )


def _codes(findings) -> list[str]:
    return [f.code for f in findings]


def _profile(count=10, kind="enterprise", tags=()):
    return rules.SubjectProfile(kind, "small", "HG", frozenset(tags), count)


def test_a_plan_with_one_default_line_per_item_has_no_findings():
    a, b = _item("A"), _item("B")
    findings = rules.check_plan(
        year=YEAR, items=[a, b], lines=[_line(a), _line(b)], profiles=[_profile()]
    )
    assert findings == []


def test_an_item_without_a_line_is_a_coverage_finding():
    a, b = _item("A"), _item("B")
    findings = rules.check_plan(year=YEAR, items=[a, b], lines=[_line(a)])
    assert _codes(findings) == ["coverage"]
    assert findings[0].item_id == b.item_id
    assert "未列入计划" in findings[0].text()


def test_a_ratio_of_3_percent_on_a_non_statutory_item_is_a_finding():
    a = _item("A")
    findings = rules.check_plan(year=YEAR, items=[a], lines=[_line(a, ratio="3")])
    assert _codes(findings) == ["ratio"]
    assert "3%" in findings[0].text() and "低于 5%" in findings[0].text()


def test_frequency_zero_is_a_finding():
    a = _item("A")
    assert _codes(rules.check_plan(year=YEAR, items=[a], lines=[_line(a, frequency=0)])) == [
        "frequency"
    ]


def test_frequency_three_breaks_the_two_checks_cap():
    a = _item("A")
    findings = rules.check_plan(year=YEAR, items=[a], lines=[_line(a, frequency=3)])
    assert "frequency_cap" in _codes(findings)


def test_a_statutory_item_with_its_own_2_percent_passes_at_2_percent():
    a = _item("A", ratio_percent=Decimal("2"), ratio_is_statutory=True)
    assert rules.check_plan(year=YEAR, items=[a], lines=[_line(a, ratio="2")]) == []


def test_below_the_statutory_ratio_is_a_finding_naming_it():
    a = _item("A", ratio_percent=Decimal("2"), ratio_is_statutory=True)
    findings = rules.check_plan(year=YEAR, items=[a], lines=[_line(a, ratio="1.5")])
    assert _codes(findings) == ["ratio"]
    assert "法定比例 2%" in findings[0].text()


def test_a_ratio_that_is_not_statutory_does_not_lower_the_5_percent_floor():
    a = _item("A", ratio_percent=Decimal("2"), ratio_is_statutory=False)
    assert _codes(rules.check_plan(year=YEAR, items=[a], lines=[_line(a, ratio="2")])) == ["ratio"]


def test_a_statutory_frequency_of_four_is_the_rule_not_a_cap_breach():
    a = _item("A", frequency_per_year=4, frequency_is_statutory=True)
    assert rules.check_plan(year=YEAR, items=[a], lines=[_line(a, frequency=4)]) == []
    assert _codes(rules.check_plan(year=YEAR, items=[a], lines=[_line(a, frequency=2)])) == [
        "frequency"
    ]


def test_a_window_outside_the_year_or_reversed_is_a_finding():
    a = _item("A")
    outside = _line(a)
    outside = rules.LineFacts(**{**outside.__dict__, "window_end": dt.date(YEAR + 1, 1, 5)})
    reversed_ = _line(a, start=(6, 1), end=(3, 1))
    assert _codes(rules.check_line(outside, a, YEAR)) == ["window"]
    assert _codes(rules.check_line(reversed_, a, YEAR)) == ["window"]


def test_lines_in_separate_windows_add_up_for_the_same_subject():
    a, b, c = _item("A"), _item("B"), _item("C")
    lines = [
        _line(a, start=(1, 1), end=(3, 31)),
        _line(b, start=(5, 1), end=(6, 30)),
        _line(c, start=(9, 1), end=(10, 31)),
    ]
    findings = rules.check_plan(year=YEAR, items=[a, b, c], lines=lines, profiles=[_profile(7)])
    assert _codes(findings) == ["subject_cap"]
    assert "3 次" in findings[0].text() and "7 户" in findings[0].text()


def test_lines_with_overlapping_windows_count_as_one_merged_visit():
    a, b, c = _item("A"), _item("B"), _item("C")
    lines = [_line(a), _line(b), _line(c)]  # all year: one visit checks all three items
    assert rules.check_plan(year=YEAR, items=[a, b, c], lines=lines, profiles=[_profile()]) == []


def test_a_line_twice_a_year_plus_a_separate_line_breaks_the_cap():
    a, b = _item("A"), _item("B")
    lines = [_line(a, frequency=2, end=(6, 30)), _line(b, start=(7, 1))]
    assert rules.planned_checks(lines) == 3
    assert "subject_cap" in _codes(rules.check_subject_cap(lines, [_profile()]))


def test_filters_decide_which_subjects_a_line_reaches():
    a, b, c = _item("A"), _item("B"), _item("C")
    lines = [
        _line(a, end=(3, 31)),
        _line(b, start=(5, 1), end=(6, 30), kinds=["individual"]),
        _line(c, start=(9, 1), tags=["加油站"]),
    ]
    assert rules.check_subject_cap(lines, [_profile(kind="enterprise")]) == []
    assert rules.check_subject_cap(lines, [_profile(kind="individual", tags=["加油站"])])


def test_lines_aimed_at_risk_flags_only_reach_exempt_subjects():
    a, b, c = _item("A"), _item("B"), _item("C")
    lines = [
        _line(a, end=(3, 31)),
        _line(b, start=(5, 1), end=(6, 30), risk_flags=["complaints"]),
        _line(c, start=(9, 1)),
    ]
    assert rules.check_subject_cap(lines, [_profile()]) == []


def test_open_findings_leave_out_the_overridden_ones():
    a, b = _item("A"), _item("B")
    findings = rules.check_plan(year=YEAR, items=[a, b], lines=[_line(a, ratio="3")])
    still_open = rules.open_findings(findings, {("ratio", a.item_id)})
    assert _codes(still_open) == ["coverage"]
