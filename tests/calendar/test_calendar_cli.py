"""`flask workdays add|check`: one parseable line out, Chinese errors with exit code 2."""

from __future__ import annotations

import datetime as dt

from server.audit.operations import CLI
from server.calendar import operations


def run(app, *args):
    return app.test_cli_runner().invoke(args=["workdays", *args])


def test_add_prints_the_iso_due_date(app):
    # 9/28–30, 10/8, 10/9, the make-up Saturday 10/10, then 14 weekdays: 10/29 (see the service
    # tests for the day-by-day count).
    result = run(app, "add", "2026-09-25", "20")
    assert result.exit_code == 0
    assert result.output == "2026-10-29\n"


def test_add_marks_a_deadline_in_an_unknown_year_provisional(app):
    result = run(app, "add", "2026-12-20", "20")
    assert result.exit_code == 0
    assert result.output == "2027-01-15 provisional\n"


def test_add_honours_an_override(app, db):
    operations.set_override(
        db.session, actor=CLI, day=dt.date(2026, 10, 9), is_workday=False, note="临时安排"
    )
    db.session.commit()
    assert run(app, "add", "2026-09-25", "20").output == "2026-10-30\n"


def test_check_prints_workday_or_holiday(app):
    assert run(app, "check", "2026-10-10").output == "workday\n"  # make-up Saturday
    assert run(app, "check", "2026-10-05").output == "holiday\n"  # National Day
    assert run(app, "check", "2027-01-09").output == "holiday provisional\n"


def test_bad_date_is_refused_in_chinese_with_exit_code_2(app):
    result = run(app, "add", "2026-13-01", "20")
    assert result.exit_code == 2
    assert "日期 “2026-13-01” 无效" in result.output
    result = run(app, "check", "明天")
    assert result.exit_code == 2
    assert "格式应为 YYYY-MM-DD" in result.output


def test_bad_count_is_refused_in_chinese_with_exit_code_2(app):
    for bad in ("x", "-1", "99999"):
        result = run(app, "add", "2026-09-25", bad)
        assert result.exit_code == 2, bad
        assert "工作日数" in result.output
