"""Demo tasks and checklists for `seed-demo`: idempotent, written through the operations."""

from __future__ import annotations

import collections
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.operations import Actor
from server.auth.models import User
from server.clock import local_today
from server.items.models import Item
from server.tasks import operations, queries
from server.tasks.models import ChecklistTemplate, Task
from server.tasks.schemas import TaskArgs

# (item code, checklist name, [(question, answer type, required, help)])
CHECKLISTS = [
    ("SWJ-001", "单用途商业预付卡发卡企业检查表", [
        ("是否在规定时间内办理单用途卡发卡备案", "yes_no_na", True, "查看备案回执"),
        ("购卡章程、购卡协议是否公示", "yes_no_na", True, None),
        ("单张记名卡面额是否超过 5000 元", "yes_no_na", True, "不记名卡不超过 1000 元"),
        ("上季度末预收资金余额（万元）", "number", True, None),
        ("资金存管协议签订日期", "date", False, None),
        ("拍摄经营场所公示的购卡章程", "photo_required", True, None),
    ]),
    ("SWJ-002", "成品油零售经营企业检查表", [
        ("是否取得成品油零售经营批准证书并在有效期内", "yes_no_na", True, None),
        ("购销台账是否完整，进货来源是否合法", "yes_no_na", True, "抽查最近三个月台账"),
        ("散装汽油销售是否实名登记", "yes_no_na", True, None),
        ("拍摄加油站经营证照", "photo_required", True, None),
        ("其他需要说明的情况", "text", False, None),
    ]),
    ("SWJ-003", "报废机动车回收拆解企业检查表", [
        ("是否取得报废机动车回收拆解资质认定", "yes_no_na", True, None),
        ("回收的报废机动车是否按规定登记并出具回收证明", "yes_no_na", True, None),
        ("“五大总成”是否按规定交售或销毁", "yes_no_na", True, None),
        ("拍摄拆解场地", "photo_required", True, None),
    ]),
]  # fmt: skip

WORKFLOW = "1. 出示执法证件、送达抽查告知书；2. 对照检查表逐项检查并拍照取证；3. 现场制作检查记录，由当事人签字确认；4. 检查结束后 5 个工作日内录入结果。"  # noqa: E501


def _window(today: dt.date) -> tuple[str, str]:
    end = min(today + dt.timedelta(days=45), dt.date(today.year, 12, 31))
    return today.isoformat(), end.isoformat()


def _template(session, actor, user, item, name, questions, created) -> ChecklistTemplate:
    found = session.scalars(
        select(ChecklistTemplate).where(
            ChecklistTemplate.name == name, ChecklistTemplate.is_current.is_(True)
        )
    ).first()
    if found is not None:
        return found
    template = operations.create_template(
        session,
        actor=actor,
        user=None,
        data={"name": name, "department_id": item.department_id, "description": None},
    )
    template.created_by_id = user.id if user else None
    for text, answer_type, required, help_text in questions:
        template = operations.add_question(
            session,
            actor=actor,
            user=None,
            template=template,
            data={
                "text": text,
                "answer_type": answer_type,
                "required": required,
                "help": help_text,
                "item_code": item.code,
            },
        )
    created["checklists"] += 1
    return template


def _task_form(session, item, template, year, **extra) -> dict:
    start, end = _window(local_today())
    lines = queries.plan_lines(session, item.department_id, year) or {}
    planned = item.id in lines
    form = {
        "department_id": str(item.department_id),
        "year": str(year),
        "origin": "plan" if planned else "ad_hoc",
        "ad_hoc_reason": None if planned else "演示数据：年度抽查计划尚未录入本事项",
        "item_ids": [str(item.id)],
        "targeting": "untargeted",
        "team_size": "2",
        "pool_mode": "automatic",
        "window_start": start,
        "window_end": end,
        "sample_kind": "ratio",
        "sample_percent": "20",
        "methods": ["onsite", "documentary"],
        "checklist_template_id": str(template.id),
        "workflow_notes": WORKFLOW,
        "materials": "营业执照、相关许可或备案材料、近一年经营台账",
    }
    form.update(extra)
    return form


def seed_tasks(session: Session, actor: Actor) -> collections.Counter:
    """Checklists for three demo items and three tasks (approved, submitted, returned)."""
    created: collections.Counter = collections.Counter()
    users = {u.username: u for u in session.scalars(select(User))}
    items = {i.code: i for i in session.scalars(select(Item))}
    head, admin = users.get("head1"), users.get("admin")
    if head is None or admin is None or not all(code in items for code, *_ in CHECKLISTS):
        return created  # seed-demo's bureau is not there yet
    templates = {
        code: _template(session, actor, head, items[code], name, questions, created)
        for code, name, questions in CHECKLISTS
    }
    year = local_today().year
    demo = [
        (
            "单用途商业预付卡发卡企业年度抽查",
            head,
            "SWJ-001",
            {},
            [("submit", head, None), ("approve", head, "同意按工作方案实施")],
        ),
        (
            "加油站成品油经营专项抽查",
            admin,
            "SWJ-002",
            {
                "targeting": "targeted",
                "target_tags": "加油站",
                "pool_mode": "manual",
                "pool_expertise": "成品油流通",
                "team_size": "2",
                "sample_kind": "count",
                "sample_count": "3",
            },
            [("submit", admin, None)],
        ),
        (
            "报废机动车回收拆解企业抽查",
            head,
            "SWJ-003",
            {},
            [("submit", head, None), ("return", head, "请补充拆解场地检查的工作流程")],
        ),
    ]
    for name, owner, code, extra, steps in demo:
        exists = session.scalars(select(Task).where(Task.name == name, Task.year == year)).first()
        if exists is not None:
            continue
        form = _task_form(session, items[code], templates[code], year, name=name, **extra)
        args = TaskArgs().load(form)
        task = operations.create_task(session, actor=actor, user=owner, data=args)
        for action, user, comment in steps:
            operations.transition(session, task, action, actor=actor, user=user, comment=comment)
        created["tasks"] += 1
    return created
