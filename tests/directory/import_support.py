"""Helpers of the import tests: spreadsheets built in memory, the CLI, what was written."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.directory import identifiers
from server.directory.importer import INSPECTOR_COLUMNS, SUBJECT_COLUMNS
from server.directory.models import Inspector, Subject

SUBJECT_HEADERS = [c.title for c in SUBJECT_COLUMNS]
INSPECTOR_HEADERS = [c.title for c in INSPECTOR_COLUMNS]


def uscc(n: int, prefix: str = "91371000") -> str:
    """A valid USCC numbered n (both check characters right)."""
    org8 = f"{n:08d}"
    first17 = prefix + org8 + identifiers.org_code_check_char(org8)
    return first17 + identifiers.uscc_check_char(first17)


def subject_row(n: int, **changes) -> dict:
    """One subject row, keyed by template header, valid against the `world` fixture."""
    row = {
        "统一社会信用代码*": uscc(n),
        "名称*": f"威海测试商贸{n}有限公司",
        "主体类型*": "企业",
        "经营规模": "小型",
        "所属区域*": "皇冠街道",
        "经营地址*": f"威海经济技术开发区测试路{n}号",
        "法定代表人": "张三",
        "联系人": "李四",
        "联系电话": "0631-5000000",
        "经营范围": "日用百货销售",
        "成立日期": "2020-05-18",
        "经营状态": "存续",
        "监管科室": "市场秩序科",
        "标签": "预付卡发卡企业",
        "风险标记": "",
    }
    return _changed(row, changes)


def _changed(row: dict, changes: dict) -> dict:
    """Apply changes by header; a change may leave out the * of a required column."""
    for header, value in changes.items():
        row[header + "*" if header + "*" in row else header] = value
    return row


def inspector_row(n: int, **changes) -> dict:
    row = {
        "姓名*": f"检查员{n}",
        "身份证号码": "11010519491231002X",
        "联系电话": "13800138000",
        "所属科室*": "市场秩序科",
        "执法证号*": f"37100{n:06d}",
        "发证机关*": "山东省人民政府",
        "有效期起": "2024-01-01",
        "有效期至*": "2028-12-31",
        "执法资质*": "行政执法资格",
        "可任组长": "否",
        "业务专长": "成品油、预付卡",
        "在岗": "是",
        "登录账号": "",
    }
    return _changed(row, changes)


def xlsx_bytes(rows: list[dict], *, headers=None, title: str | None = "导入数据") -> bytes:
    """A workbook like the template: an optional title row, the header row, then the rows."""
    headers = headers or list(rows[0])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    if title:
        ws.append([title])
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) if row.get(h) != "" else None for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8-sig", headers=None) -> bytes:
    headers = headers or list(rows[0])
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue().encode(encoding)


def counts(db) -> tuple[int, int, int]:
    """(subjects, inspectors, audit events) — what an import may change."""
    return (
        db.session.scalar(select(func.count()).select_from(Subject)),
        db.session.scalar(select(func.count()).select_from(Inspector)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


_files = itertools.count(1)


@pytest.fixture
def world(make_region, make_department):
    """Two regions and two departments (their ids), as imports name them."""
    make_region("HG", "皇冠街道")
    make_region("SH", "桥头镇")
    return {
        "market": make_department("市场秩序科", "SC").id,
        "trade": make_department("对外贸易科", "WM").id,
    }


@pytest.fixture
def run_cli(app, db, tmp_path):
    """`run_cli("import-subjects", data, "x.xlsx", "--valid-only")` → click Result."""

    def run(command: str, data: bytes, name: str = "data.xlsx", *options: str):
        path = Path(tmp_path) / f"{next(_files)}-{name}"
        path.write_bytes(data)
        result = app.test_cli_runner().invoke(args=["directory", command, str(path), *options])
        db.session.remove()  # the next query sees what the command committed
        return result

    return run
