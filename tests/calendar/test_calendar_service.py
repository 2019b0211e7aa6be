"""The working-day service against the State Council schedules for 2025 and 2026.

Every date below was checked twice: against chinese_calendar 1.11 itself, and against the
notices 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12,
https://www.gov.cn/zhengce/content/202411/content_6986382.htm) and
国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04,
https://www.gov.cn/zhengce/content/202511/content_7047090.htm):
- 2025 春节 1/28–2/4 off, 1/26 (Sun) and 2/8 (Sat) worked;
  国庆节+中秋节 10/1–10/8 off, 9/28 (Sun) and 10/11 (Sat) worked.
- 2026 春节 2/15–2/23 off, 2/14 (Sat) and 2/28 (Sat) worked;
  中秋节 9/25–9/27 off; 国庆节 10/1–10/7 off, 9/20 (Sun) and 10/10 (Sat) worked.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from sqlalchemy import event

from server.audit.operations import CLI
from server.calendar import operations, service
from server.calendar.service import add_workdays, is_workday


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


DAYS_OFF = [
    # 2025 Spring Festival, every day of the break
    *[f"2025-01-{n}" for n in range(28, 32)],
    *[f"2025-02-0{n}" for n in range(1, 5)],
    # 2025 National Day + Mid-Autumn
    *[f"2025-10-0{n}" for n in range(1, 9)],
    # 2026 Spring Festival
    *[f"2026-02-{n}" for n in range(15, 24)],
    # 2026 Mid-Autumn and National Day
    "2026-09-25",
    "2026-09-26",
    "2026-09-27",
    *[f"2026-10-0{n}" for n in range(1, 8)],
]
MAKE_UP_WORKDAYS = [
    "2025-01-26",  # Sunday
    "2025-02-08",  # Saturday
    "2025-09-28",  # Sunday
    "2025-10-11",  # Saturday
    "2026-02-14",  # Saturday
    "2026-02-28",  # Saturday
    "2026-09-20",  # Sunday
    "2026-10-10",  # Saturday
]


@pytest.mark.parametrize("day", DAYS_OFF)
def test_statutory_holidays_are_not_workdays(db, day):
    assert is_workday(db.session, d(day)) == (False, False)


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS)
def test_make_up_weekend_days_are_workdays(db, day):
    assert d(day).weekday() >= 5
    assert is_workday(db.session, d(day)) == (True, False)


def test_ordinary_weekend_is_a_day_off_and_weekday_a_workday(db):
    assert is_workday(db.session, d("2026-03-01")) == (False, False)  # Sunday
    assert is_workday(db.session, d("2026-03-02")) == (True, False)  # Monday


def test_year_unknown_to_chinesecalendar_is_guessed_weekends_only_and_provisional(db):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(d("2027-01-04"))
    assert is_workday(db.session, d("2027-01-04")) == (True, True)  # Monday
    assert is_workday(db.session, d("2027-01-09")) == (False, True)  # Saturday


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Fri 1/24: 1/25 Sat off, 1/26 Sun make-up (1), 1/27 (2), 1/28–2/4 off, 2/5 (3), 2/6 (4),
        # 2/7 (5).
        ("2025-01-24", 5, "2025-02-07"),
        # 2/6 (1), 2/7 (2), the make-up Saturday 2/8 (3).
        ("2025-02-05", 3, "2025-02-08"),
        # Fri 9/26: 9/27 off, 9/28 Sun make-up (1), 9/29 (2), 9/30 (3), 10/1–10/8 off, 10/9 (4),
        # 10/10 (5), 10/11 Sat make-up (6), 10/13–17 (11), 10/20–24 (16), 10/27–30 (20).
        ("2025-09-26", 20, "2025-10-30"),
        # Fri 2/13: the make-up Saturday 2/14 is the very next working day.
        ("2026-02-13", 1, "2026-02-14"),
        # Sat 2/14: 2/15–2/23 off, 2/24 is the first working day after the break.
        ("2026-02-14", 1, "2026-02-24"),
        # 2/24–2/27 (4), the make-up Saturday 2/28 (5).
        ("2026-02-14", 5, "2026-02-28"),
        # Fri 9/18: 9/19 Sat off, 9/20 Sun make-up (1).
        ("2026-09-18", 1, "2026-09-20"),
        # Fri 9/25 (Mid-Autumn; the start never counts anyway): 9/26–27 off, 9/28–30 (3),
        # 10/1–10/7 off, 10/8 (4), 10/9 (5), 10/10 Sat make-up (6), 10/11 Sun off,
        # 10/12–16 (11), 10/19–23 (16), 10/26–29 (20).
        ("2026-09-25", 20, "2026-10-29"),
        # Fri 12/1 … 12/15: three weeks of plain working days, all in a known year.
        ("2026-12-01", 10, "2026-12-15"),
    ],
)
def test_add_workdays_follows_the_state_council_schedule(db, start, n, due):
    assert add_workdays(db.session, d(start), n) == (d(due), False)


def test_zero_workdays_is_the_start_day_itself(db):
    assert add_workdays(db.session, d("2026-10-01"), 0) == (d("2026-10-01"), False)


def test_negative_count_is_refused(db):
    with pytest.raises(ValueError):
        add_workdays(db.session, d("2026-10-01"), -1)


def test_deadline_running_into_2027_is_provisional(db):
    # 12/21–25 (5), 12/28–31 (9), then 2027 guessed: Fri 1/1 (10), 1/4–8 (15), 1/11–15 (20).
    assert add_workdays(db.session, d("2026-12-20"), 20) == (d("2027-01-15"), True)


def test_deadline_ending_on_the_last_known_day_is_not_provisional(db):
    assert add_workdays(db.session, d("2026-12-30"), 1) == (d("2026-12-31"), False)
    assert add_workdays(db.session, d("2026-12-31"), 1) == (d("2027-01-01"), True)


def test_override_making_a_workday_a_day_off_shifts_the_deadline(db):
    operations.set_override(
        db.session, actor=CLI, day=d("2026-10-09"), is_workday=False, note="本局临时安排"
    )
    # As above, but 10/9 no longer counts: 10/8 (4), 10/10 (5) … 10/30 is the 20th.
    assert add_workdays(db.session, d("2026-09-25"), 20) == (d("2026-10-30"), False)


def test_override_making_a_holiday_a_workday_counts_it(db):
    operations.set_override(
        db.session, actor=CLI, day=d("2026-10-07"), is_workday=True, note="应急值守"
    )
    assert add_workdays(db.session, d("2026-09-30"), 1) == (d("2026-10-07"), False)


def test_override_in_an_unknown_year_is_not_provisional(db):
    operations.set_override(
        db.session, actor=CLI, day=d("2027-01-01"), is_workday=False, note="元旦（预计）"
    )
    assert is_workday(db.session, d("2027-01-01")) == (False, False)


def test_adding_twenty_workdays_loads_overrides_once_per_year(db):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        add_workdays(db.session, d("2026-09-25"), 20)
        within_one_year = len(statements)
        statements.clear()
        add_workdays(db.session, d("2026-12-20"), 20)  # crosses into 2027
        across_two_years = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert within_one_year == 1
    assert across_two_years == 2


def test_official_years_cover_2025_and_2026():
    years = service.official_years()
    assert 2025 in years and 2026 in years and 2027 not in years


def test_make_up_workday_knows_its_festival(db):
    info = service.day_info(db.session, d("2026-10-10"))
    assert info.is_make_up_workday and info.festival == "国庆节"
    assert info.source == "official"
