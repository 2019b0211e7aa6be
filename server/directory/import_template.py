"""The downloadable import templates (.xlsx), built at request time from the current vocabularies.

Sheet 1: a title row, the header row (required columns marked *), one example row that
validates, dropdowns for closed vocabularies and text format for long numbers. Sheet 2 (说明)
explains every column and lists the allowed values, including the regions and departments in
the database right now. A hidden sheet holds the dropdown lists.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Department
from server.directory import vocab
from server.directory.importer import DIRECTORIES, Column, Directory
from server.directory.models import Region

TEMPLATE_ROWS = 10_000  # dropdowns and text formats reach this far below the header
HEADER_ROW, EXAMPLE_ROW = 2, 3

WIDTHS = {
    "uscc": 24, "name": 32, "address": 36, "business_scope": 40, "region": 16, "kind": 16,
    "departments": 22, "tags": 22, "risk_flags": 22, "id_number": 22, "credential_no": 18,
    "credential_issuer": 22, "expertise": 22, "qualification": 16, "established_on": 14,
    "credential_valid_from": 14, "credential_valid_until": 14, "contact_phone": 16, "phone": 16,
}  # fmt: skip
RED, GREY, INK = "B3261E", "5F5B66", "1D1B20"
THIN = Side(style="thin", color="DCD8E0")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _text(ws: Worksheet, row: int, column: int, value, **style):
    """Write a value; text is always stored as text (a name starting with = is not a formula)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    for key, item in style.items():
        setattr(cell, key, item)
    return cell


def _choices(session: Session) -> dict[str, list[str]]:
    """Allowed values per field, as people write them (labels, names)."""
    regions = session.scalars(
        select(Region.name).where(Region.is_active.is_(True)).order_by(Region.sort, Region.code)
    ).all()
    departments = session.scalars(
        select(Department.name).where(Department.is_active.is_(True)).order_by(Department.code)
    ).all()
    yes_no = ["是", "否"]
    return {
        "kind": [vocab.zh(v) for v in vocab.SUBJECT_KINDS.values()],
        "scale": [vocab.zh(v) for v in vocab.SUBJECT_SCALES.values()],
        "status": [vocab.zh(v) for v in vocab.SUBJECT_STATUSES.values()],
        "risk_flags": [vocab.zh(v) for v in vocab.RISK_FLAGS.values()],
        "qualification": [vocab.zh(v) for v in vocab.QUALIFICATIONS.values()],
        "region": list(regions),
        "departments": list(departments),
        "department": list(departments),
        "is_team_lead_qualified": yes_no,
        "is_active": yes_no,
    }


# Closed vocabularies get a strict dropdown; multi-valued columns a dropdown that also accepts
# several values typed with 、 (Excel cannot pick more than one from a list).
MULTI_VALUED = {"departments", "risk_flags"}


def _example(directory: Directory, choices: dict[str, list[str]]) -> dict[str, object]:
    row: dict[str, object] = dict(directory.example)
    first_region = choices["region"][0] if choices["region"] else ""
    first_department = choices["department"][0] if choices["department"] else ""
    if directory.kind == "subjects":
        row["region"] = first_region
        row["departments"] = first_department
    else:
        row["department"] = first_department
    for column in directory.columns:
        value = row.get(column.field)
        if column.cell == "date" and isinstance(value, str) and value:
            row[column.field] = dt.date.fromisoformat(value)
    return row


def _data_sheet(ws: Worksheet, directory: Directory, choices: dict[str, list[str]], lists) -> None:
    columns = directory.columns
    last = get_column_letter(len(columns))
    ws.merge_cells(f"A1:{last}1")
    _text(
        ws, 1, 1,
        f"{directory.label}名录导入模板 — 带 * 的列必须填写；第 {EXAMPLE_ROW} 行是示例，"
        "可直接改写（原样保留会被跳过）；请勿修改表头。各列说明见“说明”工作表。",
        font=Font(bold=True, size=12, color=INK),
        alignment=Alignment(wrap_text=True, vertical="center"),
    )  # fmt: skip
    ws.row_dimensions[1].height = 36
    example = _example(directory, choices)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        _text(
            ws, HEADER_ROW, index, column.title,
            font=Font(bold=True, color="FFFFFF" if column.required else INK),
            fill=PatternFill("solid", fgColor=RED if column.required else "ECE9F0"),
            alignment=Alignment(horizontal="center", vertical="center"),
            border=BOX,
        )  # fmt: skip
        cell = _text(ws, EXAMPLE_ROW, index, example.get(column.field) or None)
        dimension = ws.column_dimensions[letter]
        dimension.width = WIDTHS.get(column.field, max(12, len(column.title) * 2 + 4))
        if column.cell in ("id", "phone"):
            # Text format: Excel would otherwise turn an 18-digit ID into 1.10105E+17.
            dimension.number_format = "@"
            cell.number_format = "@"
        elif column.cell == "date":
            dimension.number_format = "yyyy-mm-dd"
            cell.number_format = "yyyy-mm-dd"
        if column.field in lists:
            _dropdown(ws, column, letter, lists[column.field])
    ws.row_dimensions[HEADER_ROW].height = 24
    ws.freeze_panes = f"A{EXAMPLE_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW}"


def _dropdown(ws: Worksheet, column: Column, letter: str, source: str) -> None:
    strict = column.field not in MULTI_VALUED
    validation = DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=strict,
        showInputMessage=True,
        promptTitle=column.header[:32],
        prompt=(column.note or "请从下拉列表中选择")[:255],
        errorTitle="取值无效",
        error="请从下拉列表中选择",
    )
    validation.add(f"{letter}{EXAMPLE_ROW}:{letter}{HEADER_ROW + TEMPLATE_ROWS}")
    ws.add_data_validation(validation)


def _lists_sheet(wb: Workbook, directory: Directory, choices: dict[str, list[str]]) -> dict:
    """A hidden sheet with one list per column; dropdowns refer to its ranges."""
    ws = wb.create_sheet("下拉选项")
    ws.sheet_state = "hidden"
    sources: dict[str, str] = {}
    index = 0
    for column in directory.columns:
        values = choices.get(column.field)
        if not values:
            continue
        index += 1
        letter = get_column_letter(index)
        _text(ws, 1, index, f"{column.header}可选值")
        for offset, value in enumerate(values, start=2):
            _text(ws, offset, index, value)
        sources[column.field] = f"'下拉选项'!${letter}$2:${letter}${len(values) + 1}"
    return sources


def _help_sheet(wb: Workbook, directory: Directory, choices: dict[str, list[str]]) -> None:
    ws = wb.create_sheet("说明")
    key = directory.column(directory.key).header
    notes = [
        f"{directory.label}名录导入说明",
        "1. 在第一个工作表填写，每行一条记录；表头（第 2 行）不要修改，列的顺序可以调整，"
        "多余的列会被忽略。",
        f"2. 重复导入时按“{key}”更新已有记录；内容没有变化的行不会产生任何修改。",
        "3. 默认只要有一行错误就不导入任何数据，并列出每个错误的行号和原因；"
        "也可以选择“只导入正确的行”。",
        "4. 身份证号码、统一社会信用代码、执法证号等长数字请保持“文本”格式，"
        "否则 Excel 会改掉末尾的数字。",
        "5. 也可以在 Excel 中另存为 CSV（UTF-8 或 GBK 编码）后导入；不支持旧版 .xls 格式。",
    ]
    for row, note in enumerate(notes, start=1):
        _text(ws, row, 1, note, font=Font(bold=row == 1, size=13 if row == 1 else 11))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    top = len(notes) + 2
    for index, title in enumerate(("列名", "是否必填", "填写说明", "可选值"), start=1):
        _text(
            ws, top, index, title, font=Font(bold=True),
            fill=PatternFill("solid", fgColor="ECE9F0"), border=BOX,
        )  # fmt: skip
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, column in enumerate(directory.columns, start=top + 1):
        values = choices.get(column.field)
        if values is not None:
            allowed = "、".join(values) if values else "（系统中尚未维护，请联系管理员）"
        elif column.cell == "date":
            allowed = "日期，例如 2026-01-31、2026/1/31、2026年1月31日"
        else:
            allowed = ""
        cells = (column.title, "必填" if column.required else "", column.note, allowed)
        for index, value in enumerate(cells, start=1):
            _text(ws, row, index, value or None, alignment=wrap, border=BOX)
    for letter, width in zip("ABCD", (20, 10, 48, 60), strict=True):
        ws.column_dimensions[letter].width = width


def build_template(session: Session, kind: str) -> bytes:
    """The .xlsx template of `kind` ("subjects" or "inspectors") as bytes."""
    directory = DIRECTORIES[kind]
    choices = _choices(session)
    wb = Workbook()
    ws = wb.active
    ws.title = directory.label
    lists = _lists_sheet(wb, directory, choices)
    _data_sheet(ws, directory, choices, lists)
    _help_sheet(wb, directory, choices)
    # Data sheet first, then 说明, then the hidden lists.
    wb.move_sheet("说明", offset=-1)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
