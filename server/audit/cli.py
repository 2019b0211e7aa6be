"""`flask audit verify` and `flask audit head`.

`verify` walks the chain from genesis: exit 0 and "OK: N events, head <seq> <hash>" when intact,
exit 1 naming the first broken event otherwise. `head` prints "<seq> <hash>" — the line to
publish (draw announcements, the public site) so a later `verify --anchor` can prove that
nothing was cut off or rewritten since.

Both only read: verifying from the command line leaves no event, so it can run against a
read-only replica and does not move the head it reports.
"""

from __future__ import annotations

import click

from server.audit import operations
from server.audit.chain import GENESIS_HASH
from server.extensions import db


def _parse_anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.strip().isdigit() or len(digest.strip()) != 64:
        raise click.BadParameter(
            "expected SEQ:HASH, as printed by `audit head`", param_hint="--anchor"
        )
    return int(seq), digest.strip()


@click.group("audit", help="审计日志（哈希链）：校验与链头。")
def audit() -> None:
    pass


@audit.command("verify", help="从创世事件起逐条校验哈希链。")
@click.option(
    "--anchor",
    metavar="SEQ:HASH",
    help="A head published earlier (from `audit head`); it must still be in the chain.",
)
def verify(anchor: str | None) -> None:
    published = _parse_anchor(anchor)
    result = operations.verify(db.session)
    if result.broken is not None:
        click.echo(
            f"BROKEN: event {result.broken.seq}: {result.broken.reason} "
            f"({result.checked} events before it are intact)",
            err=True,
        )
        raise click.exceptions.Exit(1)
    if published is not None:
        problem = operations.check_anchor(db.session, *published)
        if problem is not None:
            click.echo(f"BROKEN: anchor {published[0]}: {problem}", err=True)
            raise click.exceptions.Exit(1)
    click.echo(f"OK: {result.checked} events, head {result.head_seq} {result.head_hash}")


@audit.command("head", help="打印链头（序号 哈希），用于公开发布或外部存证。")
def head() -> None:
    result = operations.head(db.session)
    if result is None:
        click.echo(f"0 {GENESIS_HASH}")
    else:
        click.echo(f"{result.seq} {result.hash}")


commands = [audit]
