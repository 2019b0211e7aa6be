"""`flask followups open`: open the follow-ups of approved results (idempotent).

The results approval opens them as it happens (`operations.open_for_sheet`); this command
catches up sheets approved before that hook existed, or imported. Output: `opened=<n>`.
"""

from __future__ import annotations

import click

from server.audit.operations import CLI
from server.extensions import db
from server.followups import operations
from server.transactions import transactional


@click.group("followups", help="后续处置维护。")
def followups() -> None:
    pass


@followups.command("open", help="为已审核通过的检查结果补建后续处置（可重复执行）。")
def open_command() -> None:
    click.echo(f"opened={_open()}")


@transactional
def _open() -> int:
    return operations.open_missing(db.session, CLI)


commands = [followups]
