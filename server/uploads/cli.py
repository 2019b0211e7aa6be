"""`flask uploads expire`: discard unfinished uploads past their expiry, and orphan files.

Run it from cron (e.g. hourly). Output: one line a script can parse,
`expired=<n> orphans=<n>`.
"""

from __future__ import annotations

import click
from flask import current_app

from server.audit.operations import CLI
from server.extensions import db
from server.transactions import transactional
from sync import uploads as tus


@click.group("uploads", help="证据文件上传（tus）维护。")
def uploads() -> None:
    pass


@uploads.command("expire", help="删除超过期限仍未完成的上传及其临时文件。")
def expire_command() -> None:
    settings = tus.Settings.from_config(current_app.config, current_app.instance_path)
    expired = _expire(settings)
    # After the commit: the files go only once the rows are gone.
    for upload_id in expired:
        tus.discard_partial(settings, upload_id)
    orphans = tus.sweep_partials(db.session, settings)
    db.session.rollback()  # the sweep only read
    click.echo(f"expired={len(expired)} orphans={orphans}")


@transactional
def _expire(settings: tus.Settings):
    return tus.expire(db.session, actor=CLI, settings=settings)


commands = [uploads]
