"""`flask --app server seed-demo [--if-empty]`."""

from __future__ import annotations

import click
from flask import current_app

from server.extensions import db
from server.jobs import queue
from server.seed import demo
from server.transactions import transactional

LABELS = {
    "departments": "科室",
    "regions": "区域",
    "users": "用户",
    "items": "抽查事项",
    "items_retired": "其中已停用事项",
    "subjects": "检查对象",
    "inspectors": "执法人员",
    "risk_flags": "风险标记",
    "conflicts": "利害关系",
    "plans": "年度计划",
    "checklists": "检查表",
    "tasks": "抽查任务",
    "draws": "抽取",
    "merged visits": "合并检查",
    "replacement requests": "人员更换申请",
    "visits done": "已完成检查",
    "publications": "结果公示",
    "objection under review": "办理中的异议",
    "objection answered": "已答复的异议",
    "followups_closed": "已办结的后续处置",
    "transfers": "移交移送",
}


@click.command("seed-demo", help="创建演示数据（威海经济技术开发区商务局）；可重复运行。")
@click.option(
    "--if-empty", is_flag=True, help="数据库中已有任何用户时不做任何事（make run 使用）。"
)
def seed_demo(if_empty: bool) -> None:
    _seed(if_empty)
    # The demo's background jobs (thumbnails, letters) right away, not at the next `jobs run`.
    queue.drain_committed(db.session)


@transactional
def _seed(if_empty: bool) -> None:
    if if_empty and demo.any_user(db.session):
        click.echo("已有用户，跳过演示数据。")
        return
    # from_prefixed_env reads SPOTCHECK_DEMO_PASSWORD as JSON when it can ("12345678901" → int).
    password = str(current_app.config["DEMO_PASSWORD"])
    created = demo.seed_demo(db.session, password=password)
    if not created:
        click.echo("演示数据已存在，无需新增。")
        return
    summary = "，".join(f"{LABELS[k]} {created[k]}" for k in LABELS if created[k])
    click.echo(f"已新增演示数据：{summary}。")
    click.echo(
        "演示账号：admin、head1、head2、leader1、office1、office2、lead1、inspector1、inspector2；"
        "密码为配置项 DEMO_PASSWORD（环境变量 SPOTCHECK_DEMO_PASSWORD，默认 spotcheck-demo）。"
    )


commands = [seed_demo]
