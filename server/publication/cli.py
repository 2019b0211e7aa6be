"""`flask publication-run`: send every due publication job (outbox), one transaction per job.

Run it from cron (e.g. every minute) next to the in-process sending after each request: it
picks up failures whose backoff has passed and anything a crash left behind. Output: one line a
script can parse, `sent=<n> failed=<n> dead=<n> skipped=<n>`.
"""

from __future__ import annotations

import collections

import click

from server.extensions import db
from server.orm import utcnow
from server.publication import outbox, queries


def drain(now=None, limit: int = 500) -> collections.Counter:
    """Run the jobs due at `now`; a Counter of their new states."""
    now = now or utcnow()
    job_ids = queries.due_job_ids(db.session, now, limit)
    db.session.rollback()  # the listing only read; each job gets its own transaction
    counts: collections.Counter = collections.Counter()
    for job_id in job_ids:
        counts[outbox.run_one(db.session, job_id, now=now) or "skipped"] += 1
    return counts


@click.command("publication-run", help="发送到期的检查结果公示任务（导出文件、接口推送）。")
@click.option("--limit", default=500, show_default=True, help="本次最多处理的任务数。")
def run_command(limit: int) -> None:
    counts = drain(limit=limit)
    click.echo(" ".join(f"{k}={counts.get(k, 0)}" for k in ("sent", "failed", "dead", "skipped")))


commands = [run_command]
