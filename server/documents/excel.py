"""The task list and the visit list as Excel workbooks (the bureau's working format), in Chinese.

Same look as the item and plan exports (server/items/export.py, server/plans/export.py): one
title row, a bold header row frozen under it, fixed column widths, dates as Excel dates. The rows
are exactly those of the list page with the same filters and the user's scope, unpaged.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.clock import local_today
from server.documents.content import RECORD_STATES
from server.items.present import method_names
from server.items.queries import method_codes
from server.tasks import workflow
from server.tasks.vocab import ORIGINS
from server.visits import queries as visit_queries
from server.visits.models import CANCELLED, MERGED, PLANNED, Visit
from server.visits.record_models import VisitRecord
from server.web import local_time

DATE_FORMAT = "yyyy-mm-dd"
VISIT_STATES = {PLANNED: "待检查", MERGED: "已合并", CANCELLED: "已取消"}
# Visits are read, and their teams looked up, this many at a time.
BATCH = 500

TASK_COLUMNS = [
    ("序号", 6),
    ("任务编号", 26),
    ("任务名称", 30),
    ("年度", 7),
    ("责任科室", 16),
    ("状态", 10),
    ("任务来源", 16),
    ("开始日期", 12),
    ("结束日期", 12),
    ("抽查事项", 40),
    ("检查方式", 18),
    ("提交时间", 17),
    ("审核通过时间", 17),
]

VISIT_COLUMNS = [
    ("序号", 6),
    ("任务编号", 26),
    ("检查对象", 30),
    ("统一社会信用代码", 21),
    ("开始日期", 12),
    ("截止日期", 12),
    ("状态", 9),
    ("检查组", 36),
    ("组长", 12),
    ("检查记录", 22),
]


def _sheet(workbook: Workbook, title: str, heading: str, columns) -> object:
    sheet = workbook.active
    sheet.title = title
    sheet.append([heading])
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append([header for header, _ in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    return sheet


def _append(sheet, values: list) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if isinstance(cell.value, dt.date):
            cell.number_format = DATE_FORMAT


def _bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def tasks_workbook(session: Session, tasks: Iterable, *, bureau_name: str) -> bytes:
    with force_locale("zh"):
        methods = method_codes(session)
        workbook = Workbook()
        sheet = _sheet(
            workbook,
            "抽查任务",
            f"{bureau_name}抽查任务（{local_today().isoformat()}）",
            TASK_COLUMNS,
        )
        for n, task in enumerate(tasks, start=1):
            _append(
                sheet,
                [
                    n,
                    task.number or "",
                    task.name,
                    task.year,
                    task.department.name,
                    str(workflow.STATES.get(task.state, task.state)),
                    str(ORIGINS.get(task.origin, task.origin)),
                    task.window_start,
                    task.window_end,
                    "\n".join(f"{ti.item.code} {ti.item_version.name}" for ti in task.items),
                    "、".join(method_names(task.methods, methods)),
                    local_time(task.submitted_at),
                    local_time(task.approved_at),
                ],
            )
        return _bytes(workbook)


def _record_states(session: Session, visit_ids: list) -> dict:
    """{(visit id, task id): state of the latest version of its record}."""
    if not visit_ids:
        return {}
    stmt = (
        select(VisitRecord.visit_id, VisitRecord.task_id, VisitRecord.state)
        .where(VisitRecord.visit_id.in_(visit_ids))
        .order_by(VisitRecord.version, VisitRecord.created_at)
    )
    return {(v, t): state for v, t, state in session.execute(stmt)}


def visits_workbook(session: Session, user, args: dict, *, bureau_name: str) -> bytes:
    """Every visit of the list page (same filters and scope), soonest due first."""
    conditions = visit_queries.list_conditions(user, args)
    stmt = select(Visit).where(*conditions).order_by(Visit.window_end, Visit.uscc, Visit.id)
    with force_locale("zh"):
        workbook = Workbook()
        sheet = _sheet(
            workbook, "检查", f"{bureau_name}抽查检查（{local_today().isoformat()}）", VISIT_COLUMNS
        )
        n = 0
        for batch in session.scalars(stmt).unique().partitions(BATCH):
            teams = visit_queries.teams_for(session, [link for v in batch for link in v.tasks])
            sections = visit_queries.sections_of(batch, teams)
            states = _record_states(session, [v.id for v in batch])
            for visit in batch:
                n += 1
                own = sections[visit.id]
                team: dict[str, str] = {}
                for s in own:
                    for m in s.team:
                        team.setdefault(m.credential_no, f"{m.name}（{m.credential_no}）")
                leads = list(dict.fromkeys(s.lead.name for s in own if s.lead))
                records = [
                    (s.task.number or s.task.name, states.get((visit.id, s.task.id))) for s in own
                ]
                _append(
                    sheet,
                    [
                        n,
                        "\n".join(s.task.number or "" for s in own),
                        visit.subject.name,
                        visit.uscc,
                        visit.window_start,
                        visit.window_end,
                        VISIT_STATES.get(visit.state, visit.state),
                        "\n".join(team.values()),
                        "、".join(leads),
                        _record_text(records),
                    ],
                )
        return _bytes(workbook)


def _record_text(records: list[tuple[str, str | None]]) -> str:
    names = [RECORD_STATES.get(state, state) if state else "未提交" for _, state in records]
    if len(records) == 1:
        return names[0]
    return "\n".join(f"{label}：{name}" for (label, _), name in zip(records, names, strict=True))
