"""The current item list as an Excel workbook (the bureau's working format)."""

from __future__ import annotations

import io

from flask import send_file
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from server.clock import local_today
from server.codes.models import Code
from server.items import present
from server.items.models import Item
from server.items.schemas import LABELS
from server.web import local_time

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (header, width in characters, value of one item)
_COLUMNS = [
    ("序号", 6, None),
    (LABELS["code"], 12, lambda item, v, m: item.code),
    (LABELS["name"], 24, lambda item, v, m: v.name),
    (LABELS["legal_basis"], 42, lambda item, v, m: v.legal_basis),
    (LABELS["checking_body"], 18, lambda item, v, m: v.checking_body),
    (LABELS["object_scope"], 28, lambda item, v, m: v.object_scope),
    (LABELS["content"], 42, lambda item, v, m: v.content),
    (LABELS["methods"], 16, lambda item, v, m: "、".join(present.method_names(v.methods, m))),
    (LABELS["ratio_percent"], 16, lambda item, v, m: present.ratio_text(v)),
    (LABELS["frequency_per_year"], 18, lambda item, v, m: present.frequency_text(v)),
    (LABELS["inspector_requirements"], 24, lambda item, v, m: v.inspector_requirements or ""),
    (LABELS["department_id"], 16, lambda item, v, m: item.department.name),
    ("版本", 7, lambda item, v, m: v.version_no),
    ("生效日期", 12, lambda item, v, m: local_time(v.created_at, "%Y-%m-%d")),
]


def xlsx_response(content: bytes, name: str = "随机抽查事项清单"):
    """Send a workbook as a download named with today's date."""
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{name}-{local_today().isoformat()}.xlsx",
    )


def items_workbook(items: list[Item], *, bureau_name: str, methods: dict[str, Code]) -> bytes:
    """One title row, one header row, one row per item; always in Chinese (the official list)."""
    with force_locale("zh"):
        return _build(items, bureau_name, methods)


def _build(items: list[Item], bureau_name: str, methods: dict[str, Code]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "随机抽查事项清单"
    last = get_column_letter(len(_COLUMNS))

    sheet.append([f"{bureau_name}随机抽查事项清单（{local_today().isoformat()}）"])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.append([str(header) for header, _width, _value in _COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border

    wrap = Alignment(vertical="top", wrap_text=True)
    for number, item in enumerate(items, start=1):
        version = item.current
        row = [number] + [value(item, version, methods) for _h, _w, value in _COLUMNS[1:]]
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
            cell.border = border

    for index, (_header, width, _value) in enumerate(_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
