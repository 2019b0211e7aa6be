"""Deadline boards: what is due by working days (publication, objections), per department,
grouped overdue / due soon / later — one grouping for every dashboard that shows deadlines."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from server.auth.models import Department
from server.calendar.service import WorkdayCalendar

# "Due soon": within this many working days from today.
SOON_WORKDAYS = 5


@dataclasses.dataclass
class DepartmentBoard:
    department: Department
    overdue: list = dataclasses.field(default_factory=list)
    soon: list = dataclasses.field(default_factory=list)
    later: list = dataclasses.field(default_factory=list)


def board(
    rows: Iterable,
    *,
    department_of: Callable[[object], Department],
    due_of: Callable[[object], dt.date],
    today: dt.date,
    calendar: WorkdayCalendar,
) -> list[DepartmentBoard]:
    """Group `rows` (kept in the order given) per department: overdue (due before today), due
    within SOON_WORKDAYS working days, later. Departments in code order."""
    horizon, _ = calendar.add_workdays(today, SOON_WORKDAYS)
    groups: dict = {}
    for row in rows:
        department = department_of(row)
        group = groups.setdefault(department.id, DepartmentBoard(department))
        due = due_of(row)
        if due < today:
            group.overdue.append(row)
        elif due <= horizon:
            group.soon.append(row)
        else:
            group.later.append(row)
    return sorted(groups.values(), key=lambda g: g.department.code)
