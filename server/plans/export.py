"""A plan as an Excel workbook (the bureau's working format), always in Chinese."""

from __future__ import annotations

import io

from flask import send_file
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from server.items.export import XLSX_MIMETYPE
from server.items.present import method_names
from server.plans import present

_COLUMNS = [
    ("序号", 6),
    ("事项编码", 12),
    ("事项名称", 26),
    ("事项版本", 8),
    ("抽查对象", 30),
    ("对象筛选条件", 24),
    ("抽查内容", 40),
    ("抽查方式", 16),
    ("抽查比例", 10),
    ("每年抽查次数", 12),
    ("开始日期", 12),
    ("结束日期", 12),
    ("备注", 24),
]


def plan_workbook(plan, lines: list[dict], overrides: list[dict], *, methods, title: str) -> bytes:
    """Title row, header row, one row per line; then the justified rule breaks, if any."""
    with force_locale("zh"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "年度抽查工作计划"
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([header for header, _ in _COLUMNS])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for n, line in enumerate(lines, start=1):
            sheet.append(
                [
                    n,
                    line["item_code"],
                    line["item_name"],
                    line["item_version_no"],
                    line["objects"],
                    present.filter_text(line["filters"]),
                    line["content"],
                    "、".join(method_names(line["methods"], methods)),
                    present.ratio(line["ratio_percent"]),
                    line["frequency_per_year"],
                    line["window_start"],
                    line["window_end"],
                    line["notes"],
                ]
            )
        for index, (_, width) in enumerate(_COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A3"
        if overrides:
            notes = workbook.create_sheet("规则突破说明")
            notes.append(["规则", "事项编码", "理由", "记录时间"])
            for o in overrides:
                notes.append([o["rule_name"], o["item_code"] or "", o["justification"], o["at"]])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def xlsx_response(content: bytes, name: str):
    return send_file(
        io.BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name
    )
