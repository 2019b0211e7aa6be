"""Working days: the State Council schedule (chinesecalendar) with the bureau's overrides on top.

Rules (domain.md, "Working days"):
- an override row wins over everything;
- otherwise chinesecalendar decides; make-up weekend workdays (调休上班) are working days and
  statutory holidays are not;
- for a year chinesecalendar does not know (it raises NotImplementedError) we fall back to
  "Monday–Friday" and mark the answer provisional, so every deadline computed from a guess
  says so where it is shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.calendar.models import CalendarOverride

# A deadline beyond this many working days is a typo, not a legal period; it also bounds the loop.
MAX_WORKDAYS = 2000


@dataclasses.dataclass(frozen=True)
class DayInfo:
    """What the calendar says about one day, and why."""

    day: dt.date
    is_workday: bool
    provisional: bool  # decided by the weekends-only guess
    source: str  # "override", "official" or "guess"
    festival: str | None = None  # the festival a holiday or make-up workday belongs to (中文)

    @property
    def is_make_up_workday(self) -> bool:
        """A weekend day worked in exchange for a festival break (调休上班)."""
        return self.is_workday and self.day.weekday() >= 5


def official(day: dt.date) -> bool | None:
    """chinesecalendar's verdict, or None for a year it does not cover."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def official_years() -> range:
    """The years chinesecalendar carries a State Council schedule for."""
    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    return range(min(years), max(years) + 1)


class WorkdayCalendar:
    """One calendar per session and computation: loads each year's overrides with one query."""

    def __init__(self, session: Session):
        self.session = session
        self._overrides: dict[int, dict[dt.date, bool]] = {}

    def _year_overrides(self, year: int) -> dict[dt.date, bool]:
        if year not in self._overrides:
            rows = self.session.execute(
                select(CalendarOverride.day, CalendarOverride.is_workday).where(
                    CalendarOverride.day >= dt.date(year, 1, 1),
                    CalendarOverride.day <= dt.date(year, 12, 31),
                )
            )
            self._overrides[year] = {row.day: row.is_workday for row in rows}
        return self._overrides[year]

    def info(self, day: dt.date) -> DayInfo:
        override = self._year_overrides(day.year).get(day)
        if override is not None:
            return DayInfo(day, override, False, "override")
        verdict = official(day)
        if verdict is None:
            return DayInfo(day, day.weekday() < 5, True, "guess")
        _, name = chinese_calendar.get_holiday_detail(day)
        festival = chinese_calendar.Holiday(name).chinese if name else None
        return DayInfo(day, verdict, False, "official", festival)

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        info = self.info(day)
        return info.is_workday, info.provisional

    def add_workdays(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        """The n-th working day after `start` (start itself never counts).

        Provisional when any day looked at on the way was guessed: a guessed weekend that was
        skipped moves the deadline just as much as a guessed weekday that was counted.
        """
        if n < 0 or n > MAX_WORKDAYS:
            raise ValueError(f"n must be between 0 and {MAX_WORKDAYS}")
        day, counted, provisional = start, 0, False
        while counted < n:
            day += dt.timedelta(days=1)
            info = self.info(day)
            provisional = provisional or info.provisional
            if info.is_workday:
                counted += 1
        return day, provisional


def is_workday(session: Session, day: dt.date) -> tuple[bool, bool]:
    """(is it a working day, is that answer provisional)."""
    return WorkdayCalendar(session).is_workday(day)


def add_workdays(session: Session, start: dt.date, n: int) -> tuple[dt.date, bool]:
    """(the n-th working day after start, is it provisional); the day after start is day 1."""
    return WorkdayCalendar(session).add_workdays(start, n)


def day_info(session: Session, day: dt.date) -> DayInfo:
    return WorkdayCalendar(session).info(day)
