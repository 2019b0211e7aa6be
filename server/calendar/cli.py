"""`flask workdays add DATE N` and `flask workdays check DATE`.

Output is one line a script can parse: an ISO date (or workday/holiday), followed by
" provisional" when a guessed year was involved. Bad input: a Chinese message, exit code 2
(click's own convention for usage errors).
"""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import click

from server.calendar import service
from server.extensions import db


def _fail(message: str) -> NoReturn:
    click.echo(f"错误：{message}", err=True)
    raise click.exceptions.Exit(2)


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        _fail(f"日期 “{value}” 无效，格式应为 YYYY-MM-DD，例如 2026-09-25")


def _parse_count(value: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        n = -1
    if not 0 <= n <= service.MAX_WORKDAYS:
        _fail(f"工作日数 “{value}” 无效，应为 0 到 {service.MAX_WORKDAYS} 之间的整数")
    return n


def _line(text: str, provisional: bool) -> str:
    return f"{text} provisional" if provisional else text


@click.group("workdays", help="工作日计算（国务院节假日安排 + 本局调整）。")
def workdays() -> None:
    pass


# A negative N must reach our own check, not be taken for an unknown option.
@workdays.command(
    "add",
    help="START 之后第 N 个工作日（START 当日不计）。",
    context_settings={"ignore_unknown_options": True},
)
@click.argument("start")
@click.argument("n")
def add(start: str, n: str) -> None:
    day = _parse_date(start)
    count = _parse_count(n)
    due, provisional = service.add_workdays(db.session, day, count)
    click.echo(_line(due.isoformat(), provisional))


@workdays.command("check", help="DAY 是工作日（workday）还是休息日（holiday）。")
@click.argument("day")
def check(day: str) -> None:
    is_workday, provisional = service.is_workday(db.session, _parse_date(day))
    click.echo(_line("workday" if is_workday else "holiday", provisional))


commands = [workdays]
