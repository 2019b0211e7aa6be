"""The export for the National Enterprise Credit Information Publicity System (国家企业信用信息
公示系统): one row per business × item of a published version, as JSON and as an Excel workbook.

Built from the publication's snapshot (exactly what was published) plus the national GS52 code
of every result, method and follow-up code from the codes table (server/codes: `gs52_code`, filled
when the national mapping is known; empty until then).
"""

from __future__ import annotations

import io
import json

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.clock import SHANGHAI
from server.codes.models import Code

EXPORT_FORMAT = "spotcheck-gsxt-result-v1"

COLUMNS = [
    ("序号", 6),
    ("统一社会信用代码", 21),
    ("企业（主体）名称", 30),
    ("抽查计划", 30),
    ("任务编号", 26),
    ("任务名称", 30),
    ("抽查类型", 10),
    ("抽查事项编码", 14),
    ("抽查事项", 30),
    ("检查结果", 30),
    ("检查结果代码（GS52）", 16),
    ("核查方式", 18),
    ("核查方式代码（GS52）", 16),
    ("后续处置", 24),
    ("后续处置代码（GS52）", 16),
    ("检查日期", 12),
    ("完成日期", 12),
    ("检查实施机关", 30),
    ("公示日期", 12),
    ("公示版本", 8),
    ("更正说明", 30),
]


def gs52_codes(session: Session) -> dict[tuple[str, str], str | None]:
    return {(c.kind, c.code): c.gs52_code for c in session.scalars(select(Code))}


def _coded(values: list[dict], kind: str, gs52: dict) -> list[dict]:
    return [
        {**{k: v for k, v in value.items() if k in ("code", "name", "status", "closed_on")},
         "gs52_code": gs52.get((kind, value["code"]))}
        for value in values
    ]  # fmt: skip


def national_export(session: Session, publication) -> dict:
    """The JSON document: the version's header and one record per business × item."""
    snap = publication.snapshot
    gs52 = gs52_codes(session)
    task, body = snap["task"], snap["checking_body"]
    checking_body = " ".join(x for x in (body.get("bureau"), body.get("department")) if x)
    plan = (snap.get("plan") or {}).get("title")
    published_on = publication.published_at.astimezone(SHANGHAI).date().isoformat()
    records = []
    for subject in snap["subjects"]:
        for line in subject["items"]:
            records.append(
                {
                    "uscc": subject["uscc"],
                    "name": subject["name"],
                    "plan": plan,
                    "task_number": task["number"],
                    "task_name": task["name"],
                    "targeted": task["targeted"],
                    "item_code": line["item_code"],
                    "item_name": line["item_name"],
                    "results": _coded(line["results"], "result", gs52),
                    "methods": _coded(line["methods"], "method", gs52),
                    "followups": _coded(line["followups"], "followup", gs52),
                    "check_date": subject.get("check_date"),
                    "completion_date": snap["completed_on"],
                    "checking_body": checking_body,
                    "correction_reason": subject.get("correction_reason"),
                }
            )
    return {
        "format": EXPORT_FORMAT,
        "publication_id": str(publication.id),
        "task_id": task["id"],
        "version_no": publication.version_no,
        "published_on": published_on,
        "reason": publication.reason,
        "snapshot_sha256": publication.sha256,
        "records": records,
    }


def export_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def _names(values: list[dict]) -> str:
    return "；".join(v["name"] for v in values)


def _gs52(values: list[dict]) -> str:
    return (
        "；".join(v["gs52_code"] or "" for v in values)
        if any(v["gs52_code"] for v in values)
        else ""
    )


def export_workbook(document: dict) -> bytes:
    """The same records as an .xlsx in the bureau's usual export look."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "抽查检查结果"
    sheet.append(["双随机抽查检查结果（报送国家企业信用信息公示系统）"])
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append([header for header, _ in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2DCDB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    for n, record in enumerate(document["records"], start=1):
        sheet.append(
            [
                n,
                record["uscc"],
                record["name"],
                record["plan"] or "",
                record["task_number"],
                record["task_name"],
                "定向" if record["targeted"] else "不定向",
                record["item_code"],
                record["item_name"],
                _names(record["results"]),
                _gs52(record["results"]),
                _names(record["methods"]),
                _gs52(record["methods"]),
                _names(record["followups"]),
                _gs52(record["followups"]),
                record["check_date"] or "",
                record["completion_date"],
                record["checking_body"],
                document["published_on"],
                document["version_no"],
                record["correction_reason"] or document["reason"] or "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_stem(document: dict) -> str:
    """`<task id>-v<n>`: stable, ASCII, one per published version."""
    return f"{document['task_id']}-v{document['version_no']}"
