"""`flask sync compact [--days N]`: drop change-log rows older than the retention period.

Phones whose cursor is older than what is kept get `reset: true` on their next pull and
download their scope again; run it daily from a timer (deploy/).
"""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app

from server.audit import operations as audit
from server.audit.operations import CLI
from server.extensions import db
from server.transactions import transactional
from sync import changes


@click.group("sync", help="外勤同步：变更日志维护。")
def sync() -> None:
    pass


@sync.command("compact", help="删除超过保留期（默认 SYNC_CHANGE_RETENTION 天）的变更记录。")
@click.option("--days", type=click.IntRange(min=1), default=None, help="保留天数")
@transactional
def compact(days: int | None) -> None:
    days = days or int(
        current_app.config.get("SYNC_CHANGE_RETENTION", changes.DEFAULT_RETENTION_DAYS)
    )
    deleted = changes.compact(db.session, retention=dt.timedelta(days=days))
    _, floor = changes.current(db.session)
    audit.record(
        db.session,
        actor=CLI,
        action="sync.compact",
        object_type="sync_changes",
        details={"retention_days": days, "deleted": deleted, "floor": floor},
    )
    click.echo(f"已删除 {deleted} 条变更记录；保留起点序号 {floor}")


commands = [sync]
