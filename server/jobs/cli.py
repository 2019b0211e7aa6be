"""`flask jobs run` (cron: due and abandoned jobs, here) and `flask jobs worker` (RQ).

flask jobs run [--limit N]            run every due job in this process, then the due
                                      publication deliveries; prints `done=… queued=… dead=…`
flask jobs worker [--burst]           an RQ worker on REDIS_URL's queue "spotcheck", with
                                      RQ's scheduler (retries at their backoff time)
flask jobs list [--state dead]        what is in the table (for a shell on the server)
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from server.extensions import db
from server.jobs import backend, queue
from server.jobs.models import STATES, BackgroundJob

jobs = AppGroup("jobs", help="后台任务：缩略图、PDF、公示发送。")


@jobs.command("run", help="在本进程执行到期的后台任务（含重试和中断后遗留的任务）。")
@click.option("--limit", default=500, show_default=True, help="本次最多处理的任务数。")
def run_command(limit: int) -> None:
    from server.publication.cli import drain as drain_publication

    counts = queue.run_due(db.session, limit=limit)
    sent = drain_publication(limit=limit)
    click.echo(
        " ".join(f"{k}={counts.get(k, 0)}" for k in ("done", "queued", "dead", "skipped"))
        + f" publication_sent={sent.get('sent', 0)} publication_failed={sent.get('failed', 0)}"
    )


@jobs.command("worker", help="启动 RQ 工作进程（需要设置 REDIS_URL）。")
@click.option("--burst", is_flag=True, help="队列清空后退出（测试、一次性处理）。")
@click.option("--name", default=None, help="工作进程名（每台主机唯一）。")
def worker_command(burst: bool, name: str | None) -> None:
    if not backend.uses_rq():
        raise click.ClickException("未设置 REDIS_URL：后台任务在 Web 进程内执行，无需工作进程。")
    from rq import SimpleWorker

    queue_ = backend.rq_queue()
    # SimpleWorker: jobs run in this process, with the app and its pools already built.
    worker = SimpleWorker([queue_], connection=queue_.connection, name=name)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@jobs.command("list", help="列出后台任务。")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--limit", default=50, show_default=True)
def list_command(state: str | None, limit: int) -> None:
    stmt = select(BackgroundJob).order_by(BackgroundJob.updated_at.desc()).limit(limit)
    if state:
        stmt = stmt.where(BackgroundJob.state == state)
    for job in db.session.scalars(stmt):
        click.echo(
            f"{job.id} {job.kind} {job.state} {job.attempts}/{job.max_attempts} "
            f"{(job.last_error or '').splitlines()[0] if job.last_error else ''}"
        )


commands = [jobs]
