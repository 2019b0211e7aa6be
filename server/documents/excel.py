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


RESULT_COLUMNS = [
    ("序号", 6),
    ("检查对象", 30),
    ("统一社会信用代码", 21),
    ("抽查事项", 30),
    ("检查结果", 30),
    ("核查方式", 20),
    ("后续处置", 34),
    ("版本", 6),
    ("状态", 9),
    ("审核通过时间", 17),
]
RESULT_SHEET_STATES = {
    "draft": "草稿",
    "submitted": "待审核",
    "returned": "退回",
    "approved": "通过",
}
FOLLOWUP_STATUS = {"open": "未办结", "closed": "已办结"}


def _live_followups(session: Session, task_id) -> dict:
    """{(visit id, item id, code): (status, closed_on)} of the task's follow-ups as handled
    since approval (server/followups), which may be ahead of the result's own entries."""
    from server.followups.models import FollowUp

    stmt = select(
        FollowUp.visit_id, FollowUp.item_id, FollowUp.code, FollowUp.status, FollowUp.closed_on
    ).where(FollowUp.task_id == task_id)
    return {(v, i, c): (s, d) for v, i, c, s, d in session.execute(stmt)}


def _followup_text(line, visit_id, names: dict, live: dict) -> str:
    parts = []
    for measure in line.followups or []:
        code = measure.get("code")
        status, closed_on = live.get(
            (visit_id, line.item_id, code), (measure.get("status"), measure.get("closed_on"))
        )
        text = names.get(code, code)
        if code != "none":
            text += f"（{FOLLOWUP_STATUS.get(status, status or '')}"
            text += f" {closed_on}）" if status == "closed" and closed_on else "）"
        parts.append(text)
    return "\n".join(parts)


def results_workbook(session: Session, task, *, bureau_name: str) -> bytes:
    """A task's results: one row per section and item (a section without a result: one row)."""
    from server.codes.reference import FOLLOWUP, METHOD, RESULT
    from server.results import queries as result_queries

    codes = {
        kind: {c: row.name_zh for c, row in result_queries.codes(session, kind).items()}
        for kind in (RESULT, METHOD, FOLLOWUP)
    }
    sections = result_queries.task_sections(session, task.id)
    sheets = result_queries.sheets_for(session, sections)
    live = _live_followups(session, task.id)
    items = {ti.item_id: f"{ti.item.code} {ti.item_version.name}" for ti in task.items}
    with force_locale("zh"):
        workbook = Workbook()
        heading = f"{bureau_name}检查结果 {task.number or ''} {task.name}（{local_today()}）"
        sheet = _sheet(workbook, "检查结果", heading, RESULT_COLUMNS)
        n = 0
        for link in sections:
            visit = link.visit
            current = sheets.get((link.visit_id, link.task_id))
            state = RESULT_SHEET_STATES.get(current.state, current.state) if current else "未录入"
            lines = current.lines if current else []
            for line in lines or [None]:
                n += 1
                _append(
                    sheet,
                    [
                        n,
                        visit.subject.name,
                        visit.uscc,
                        items.get(line.item_id, "") if line else "",
                        "、".join(codes[RESULT].get(c, c) for c in line.result_codes)
                        if line
                        else "",
                        "、".join(codes[METHOD].get(c, c) for c in line.method_codes)
                        if line
                        else "",
                        _followup_text(line, visit.id, codes[FOLLOWUP], live) if line else "",
                        current.version if current else "",
                        state,
                        local_time(current.reviewed_at)
                        if current and current.state == "approved"
                        else "",
                    ],
                )
        return _bytes(workbook)


PROGRESS_COLUMNS = [
    ("序号", 6),
    ("事项编码", 12),
    ("事项名称", 26),
    ("抽查对象", 26),
    ("抽查方式", 16),
    ("计划比例", 10),
    ("每年抽查次数", 12),
    ("开始日期", 12),
    ("结束日期", 12),
    ("对象总数", 10),
    ("已抽取", 9),
    ("抽取比例", 10),
    ("已检查", 9),
    ("完成比例", 10),
    ("是否达到计划比例", 12),
]
SUBJECT_CHECK_COLUMNS = [
    ("序号", 6),
    ("检查对象", 30),
    ("统一社会信用代码", 21),
    ("本年度检查", 10),
    ("本年度已完成检查", 14),
    ("超过每年 2 次", 12),
]


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def plan_progress_workbook(progress, *, methods: dict, bureau_name: str) -> bytes:
    """The plan with its execution (server/plans/progress.py): one row per line; a second sheet
    lists the checks per subject this year, those over the yearly cap marked."""
    from server.plans import present

    plan = progress.plan
    with force_locale("zh"):
        workbook = Workbook()
        heading = (
            f"{bureau_name}{plan.department.name} {plan.year} 年度抽查工作计划执行进度"
            f"（{local_today().isoformat()}）"
        )
        sheet = _sheet(workbook, "计划执行进度", heading, PROGRESS_COLUMNS)
        for n, row in enumerate(progress.lines, start=1):
            line = row.line
            _append(
                sheet,
                [
                    n,
                    line.item.code,
                    line.item_version.name,
                    line.objects,
                    "、".join(method_names(line.methods, methods)),
                    present.ratio(line.ratio_percent),
                    line.frequency_per_year,
                    line.window_start,
                    line.window_end,
                    row.population,
                    row.drawn,
                    _pct(row.drawn_percent),
                    row.checked,
                    _pct(row.achieved_percent),
                    "是" if row.is_met else "否",
                ],
            )
        subjects = workbook.create_sheet("对象检查次数")
        subjects.append([f"{plan.year} 年度检查对象检查次数（超过 2 次的标出）"])
        subjects["A1"].font = Font(size=14, bold=True)
        subjects.append([header for header, _ in SUBJECT_CHECK_COLUMNS])
        for cell in subjects[2]:
            cell.font = Font(bold=True)
        for index, (_, width) in enumerate(SUBJECT_CHECK_COLUMNS, start=1):
            subjects.column_dimensions[get_column_letter(index)].width = width
        subjects.freeze_panes = "A3"
        for n, s in enumerate(progress.subjects, start=1):
            _append(subjects, [n, s.name, s.uscc, s.visits, s.checks, "是" if s.is_over else ""])
            if s.is_over:
                for cell in subjects[subjects.max_row]:
                    cell.fill = PatternFill("solid", fgColor="F8CBAD")
        return _bytes(workbook)
