"""Import the two directories from a spreadsheet: map columns, validate rows, upsert, report.

Validation is the directories' own (SubjectArgs / InspectorArgs from schemas.py); this module only
turns spreadsheet cells into the dicts those schemas read, names each problem by the line a
person sees in Excel, and writes through the operations (one audit event per changed object,
plus one summary event per import that changed something).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.directory import identifiers, operations
from server.directory.import_reader import Limits, Refused, Table, open_table
from server.directory.models import Inspector, Subject
from server.directory.schemas import inspector_args, subject_args
from server.validation import InputError, parse

HEADER_SCAN_ROWS = 20
MAX_CELL_CHARS = 5000
CHUNK = 500
MAX_MESSAGE_CHARS = 300


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of an import sheet: the schema field it feeds and how to read its cells."""

    field: str
    header: str
    required: bool = False
    # text | id (identifier: numbers in it are suspicious) | phone | date | list | bool
    cell: str = "text"
    aliases: tuple[str, ...] = ()
    note: str = ""
    # Where the schema puts this field after loading (e.g. region → region_code).
    output: str | None = None

    @property
    def title(self) -> str:
        return f"{self.header}*" if self.required else self.header


@dataclasses.dataclass(frozen=True)
class Directory:
    """Everything the importer needs to know about one directory."""

    kind: str
    label: str
    columns: tuple[Column, ...]
    key: str  # the natural key field: re-imports update by it
    schema: Callable[[Session], Any]
    upsert: Callable[..., tuple[Any, str]]
    model: Any
    example: dict[str, str]

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


SUBJECT_COLUMNS = (
    Column("uscc", "统一社会信用代码", True, "id", ("社会信用代码", "信用代码", "统一代码"),
           "18位，校验位按 GB 32100-2015 检查；重复导入时按此代码更新"),
    Column("name", "名称", True, aliases=("企业名称", "主体名称", "单位名称", "市场主体名称")),
    Column("kind", "主体类型", True, aliases=("类型", "市场主体类型")),
    Column("scale", "经营规模", aliases=("规模",)),
    Column("region", "所属区域", True, aliases=("区域", "所属街道", "街道"), output="region_code",
           note="填写系统中已有的区域名称或代码"),
    Column("address", "经营地址", True, aliases=("地址", "住所", "经营场所", "住所（经营场所）")),
    Column("legal_rep", "法定代表人", aliases=("法定代表人（负责人）", "负责人", "经营者")),
    Column("contact_name", "联系人"),
    Column("contact_phone", "联系电话", cell="phone", aliases=("电话", "手机")),
    Column("business_scope", "经营范围"),
    Column("established_on", "成立日期", cell="date", aliases=("成立时间", "注册日期"),
           note="例如 2020-05-18"),
    Column("status", "经营状态", aliases=("登记状态", "状态"), note="空白视为存续"),
    Column("departments", "监管科室", cell="list", output="department_ids",
           note="可填多个，用“、”或“；”分隔"),
    Column("tags", "标签", cell="list",
           note="可填多个，用“、”或“；”分隔，例如 加油站、预付卡发卡企业"),
    Column("risk_flags", "风险标记", cell="list",
           note="可填多个，用“、”或“；”分隔；导入只新增标记，不会清除已有标记"),
)  # fmt: skip

INSPECTOR_COLUMNS = (
    Column("name", "姓名", True),
    Column("id_number", "身份证号码", cell="id", aliases=("身份证号", "公民身份号码", "身份证"),
           note="18位，校验位按 GB 11643-1999 检查；请把该列设为“文本”格式"),
    Column("phone", "联系电话", cell="phone", aliases=("手机", "手机号码", "电话")),
    Column("department", "所属科室", True, aliases=("科室", "部门"), output="department_id",
           note="填写系统中已有的科室名称或代码"),
    Column("credential_no", "执法证号", True, "id", ("执法证件号", "执法证编号", "执法证件号码"),
           "字母、数字或“-”；重复导入时按此证号更新"),
    Column("credential_issuer", "发证机关", True),
    Column("credential_valid_from", "有效期起", cell="date", aliases=("有效期自", "发证日期")),
    Column("credential_valid_until", "有效期至", True, "date", ("有效期止", "有效期截止"),
           "过期的执法证不会被抽取"),
    Column("qualification", "执法资质", True, aliases=("资质",)),
    Column("is_team_lead_qualified", "可任组长", cell="bool", note="是 / 否，空白视为否"),
    Column("expertise", "业务专长", cell="list", note="可填多个，用“、”或“；”分隔"),
    Column("is_active", "在岗", cell="bool", aliases=("是否在岗",), note="是 / 否，空白视为是"),
    Column("username", "登录账号", aliases=("账号", "用户名"), output="user_id",
           note="可空；填写后与该用户账号关联"),
)  # fmt: skip

# The template's example rows. A row equal to the example (key and name) is skipped with a note,
# so a filled-in template whose example row was left in place does not import a fake subject.
EXAMPLE_SUBJECT = {
    "uscc": "91371000MA3EXAMP78",
    "name": "（示例）威海某某商贸有限公司",
    "kind": "企业",
    "scale": "小型",
    "address": "威海经济技术开发区示例路 1 号",
    "legal_rep": "张三",
    "contact_name": "李四",
    "contact_phone": "0631-5000000",
    "business_scope": "日用百货销售；单用途商业预付卡发行",
    "established_on": "2020-05-18",
    "status": "存续",
    "tags": "预付卡发卡企业",
    "risk_flags": "",
}
EXAMPLE_INSPECTOR = {
    "name": "（示例）王五",
    "id_number": "11010519491231002X",
    "phone": "13800000000",
    "credential_no": "EXAMPLE-0001",
    "credential_issuer": "山东省人民政府",
    "credential_valid_from": "2024-01-01",
    "credential_valid_until": "2028-12-31",
    "qualification": "行政执法资格",
    "is_team_lead_qualified": "是",
    "expertise": "成品油、预付卡",
    "is_active": "是",
    "username": "",
}

DIRECTORIES = {
    "subjects": Directory(
        kind="subjects",
        label="检查对象",
        columns=SUBJECT_COLUMNS,
        key="uscc",
        schema=subject_args,
        upsert=operations.upsert_subject,
        model=Subject,
        example=EXAMPLE_SUBJECT,
    ),
    "inspectors": Directory(
        kind="inspectors",
        label="执法人员",
        columns=INSPECTOR_COLUMNS,
        key="credential_no",
        schema=inspector_args,
        upsert=operations.upsert_inspector,
        model=Inspector,
        example=EXAMPLE_INSPECTOR,
    ),
}


# ---- report --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Issue:
    """One problem: a whole-file note (line None) or a cell/row of a given line."""

    line: int | None
    column: str | None
    message: str
    is_warning: bool = False

    def text(self) -> str:
        where = f"第 {self.line} 行 " if self.line is not None else ""
        what = f"{self.column}：" if self.column else ""
        prefix = "[提示] " if self.is_warning else ""
        return f"{prefix}{where}{what}{self.message}"


@dataclasses.dataclass
class Report:
    """What an import (or a check) found and did; `refused` is set when the file was refused."""

    kind: str
    filename: str
    sha256: str
    valid_only: bool = False
    refused: str | None = None
    sheet: str | None = None
    rows: int = 0  # non-blank data rows
    bad_rows: int = 0
    new: int = 0  # valid rows whose key is not in the directory yet
    existing: int = 0
    applied: bool = False
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    )
    issues: list[Issue] = dataclasses.field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_warning]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.is_warning]

    @property
    def valid(self) -> int:
        return self.rows - self.bad_rows

    @property
    def importable(self) -> bool:
        """Whether confirming would write: a readable file, and no bad row unless valid-only."""
        return self.refused is None and self.valid > 0 and (self.valid_only or not self.bad_rows)

    @property
    def failed(self) -> bool:
        """Exit status 1: refused, or bad rows while all-or-nothing."""
        return self.refused is not None or (self.bad_rows > 0 and not self.valid_only)

    def summary(self) -> str:
        c = self.counts
        return (
            f"新增 {c['created']} 条，更新 {c['updated']} 条，未变 {c['unchanged']} 条，"
            f"拒绝 {c['rejected']} 条"
        )

    def lines(self) -> list[str]:
        """The report as text lines (what the CLI prints to stderr)."""
        if self.refused:
            return [f"文件被拒绝：{self.refused}"]
        out = [i.text() for i in self.errors] + [i.text() for i in self.warnings]
        if self.bad_rows and not self.valid_only:
            out.append(
                f"共 {self.bad_rows} 行有错误，未导入任何数据。请修正后重新导入，"
                "或选择“只导入正确的行”（--valid-only）。"
            )
        return out

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["issues"] = [dataclasses.asdict(i) for i in self.issues]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        issues = [Issue(**i) for i in data.get("issues", [])]
        return cls(**{**data, "issues": issues})


# ---- header --------------------------------------------------------------------------------------

_REQUIRED_MARKS = re.compile(r"[*]+$|[(（]必填[)）]$")


def normalise_header(value: Any) -> str:
    """Full-width → half-width, no spaces, no trailing * or （必填）, lower case (English names)."""
    text = unicodedata.normalize("NFKC", str(value or "")).replace("\ufeff", "")
    text = "".join(text.split())
    previous = None
    while previous != text:
        previous, text = text, _REQUIRED_MARKS.sub("", text)
    return text.lower()


def header_lookup(directory: Directory) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in directory.columns:
        for name in (column.header, column.field, *column.aliases):
            table.setdefault(normalise_header(name), column)
    return table


@dataclasses.dataclass
class Header:
    line: int
    positions: dict[str, int]  # field → 0-based column index
    issues: list[Issue]


def find_header(directory: Directory, rows: list[tuple[int, list[Any]]]) -> Header | None:
    """The row among the first few that names the most known columns (a title row may precede)."""
    lookup = header_lookup(directory)
    best: tuple[int, int, list[Any]] | None = None
    for line, cells in rows[:HEADER_SCAN_ROWS]:
        matches = {lookup[n].field for n in map(normalise_header, cells) if n in lookup}
        if len(matches) >= 2 and (best is None or len(matches) > best[0]):
            best = (len(matches), line, cells)
    if best is None:
        return None
    _, line, cells = best
    positions: dict[str, int] = {}
    issues: list[Issue] = []
    for index, raw in enumerate(cells):
        name = normalise_header(raw)
        if not name:
            continue
        letter = get_column_letter(index + 1)
        column = lookup.get(name)
        if column is None:
            issues.append(
                Issue(None, None, f"未识别的列“{str(raw)[:30]}”（第 {letter} 列），已忽略", True)
            )
        elif column.field in positions:
            first = get_column_letter(positions[column.field] + 1)
            raise Refused(
                f"表头中“{column.header}”出现了两次（第 {first} 列和第 {letter} 列），"
                "请删除其中一列。"
            )
        else:
            positions[column.field] = index
    return Header(line, positions, issues)


def _pick_sheet(directory: Directory, table: Table) -> tuple[int, Header]:
    """The first sheet with a recognisable header that has every required column."""
    fallback: tuple[int, Header] | None = None
    for index, _name in enumerate(table.sheet_names()):
        header = find_header(directory, table.rows(index, first=HEADER_SCAN_ROWS))
        if header is None:
            continue
        if all(c.field in header.positions for c in directory.columns if c.required):
            return index, header
        fallback = fallback or (index, header)
    if fallback is None:
        expected = "、".join(c.title for c in directory.columns if c.required)
        raise Refused(
            f"没有找到表头行。请使用{directory.label}导入模板，表头至少包含：{expected}。"
        )
    _, header = fallback
    missing = [
        c.header for c in directory.columns if c.required and c.field not in header.positions
    ]
    raise Refused(
        f"第 {header.line} 行表头缺少必填列：{'、'.join(missing)}。"
        f"请使用{directory.label}导入模板。"
    )


# ---- cells ---------------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
_MIDNIGHT = re.compile(r"^(.+?)[ T]0?0:00(:00)?(\.0+)?$")
TEXT_FORMAT_HINT = "请把该列设为“文本”格式后重新输入"
NUMERIC_ID_WARNING = (
    "该单元格是数字格式，Excel 会把超过 15 位的数字改掉（末尾变成 0 或显示为科学计数法）。"
    + TEXT_FORMAT_HINT
)
SCIENTIFIC_ID_WARNING = "该单元格显示为科学计数法，数字已经丢失。" + TEXT_FORMAT_HINT


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_value(column: Column, value: Any) -> tuple[Any, str | None]:
    """A cell as the schema expects it (None when blank), and a warning for the person."""
    if value is None:
        return None, None
    warning = None
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, dt.datetime | dt.date):
        if column.cell == "date":
            return (value.date() if isinstance(value, dt.datetime) else value), None
        value = value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    elif isinstance(value, int | float):
        if column.cell == "date" and 1 <= value < 2_958_466:  # an Excel serial day number
            try:
                return from_excel(value).date(), None
            except (ValueError, OverflowError):
                pass
        if column.cell == "id":
            warning = NUMERIC_ID_WARNING
        value = _number_text(value)
    text = str(value).strip().strip("\u200b\ufeff").strip()
    if not text:
        return None, None
    if column.cell == "id" and _SCIENTIFIC.match(text):
        warning = SCIENTIFIC_ID_WARNING
    if column.cell == "date":
        match = _MIDNIGHT.match(text)
        if match:
            text = match.group(1)
    return text, warning


# ---- rows ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class RowResult:
    line: int
    raw_key: str | None
    data: dict | None = None
    errors: list[Issue] = dataclasses.field(default_factory=list)
    is_example: bool = False


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + "…"


def validate_rows(
    session: Session,
    directory: Directory,
    header: Header,
    rows: Iterable[tuple[int, list[Any]]],
    issues: list[Issue],
) -> list[RowResult]:
    """Validate each non-blank row below the header with the directory's schema."""
    schema = directory.schema(session)
    by_field = {c.field: c for c in directory.columns}
    absent = [c for c in directory.columns if c.field not in header.positions]
    results: list[RowResult] = []
    for line, cells in rows:
        if line <= header.line or not any(c is not None and str(c).strip() for c in cells):
            continue
        data: dict[str, Any] = {}
        result = RowResult(line, None)
        for field, index in header.positions.items():
            column = by_field[field]
            raw = cells[index] if index < len(cells) else None
            value, warning = cell_value(column, raw)
            if warning:
                issues.append(Issue(line, column.header, warning, True))
            if value is None:
                continue
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                result.errors.append(
                    Issue(line, column.header, f"内容过长（超过 {MAX_CELL_CHARS} 个字符）")
                )
                continue
            data[field] = value
        if directory.key in data:
            result.raw_key = identifiers.normalise(str(data[directory.key]))
        example = directory.example
        if (
            result.raw_key == identifiers.normalise(example[directory.key])
            and str(data.get("name", "")).strip() == example["name"]
        ):
            result.is_example = True
            issues.append(Issue(line, None, "这是模板中的示例行，已跳过", True))
            continue
        try:
            loaded = parse(schema, data)
        except InputError as error:
            # Report a row's problems left to right, as the person reads the sheet.
            order = {c.field: i for i, c in enumerate(directory.columns)}
            for field, messages in sorted(
                error.errors.items(), key=lambda item: order.get(item[0], len(order))
            ):
                column = by_field.get(field)
                texts = messages if isinstance(messages, list) else [str(messages)]
                for message in texts:
                    result.errors.append(
                        Issue(line, column.header if column else None, _shorten(str(message)))
                    )
        else:
            if not result.errors:
                # A column missing from the file leaves that field alone on update (the
                # spreadsheet did not speak about it); a blank cell in a present column clears.
                for column in absent:
                    loaded.pop(column.output or column.field, None)
                result.data = loaded
        results.append(result)
    return results


def _mark_duplicates(directory: Directory, results: list[RowResult]) -> None:
    """Two rows with the same key: both are wrong (which one is right is not ours to guess)."""
    column = directory.column(directory.key).header
    lines: dict[str, list[RowResult]] = defaultdict(list)
    for result in results:
        if result.raw_key:
            lines[result.raw_key].append(result)
    for key, group in lines.items():
        if len(group) < 2:
            continue
        for result in group:
            others = "、".join(str(r.line) for r in group if r is not result)
            result.errors.append(
                Issue(result.line, column, f"{key} 在文件中重复出现（另见第 {others} 行）")
            )
            result.data = None


def _check_account_links(session: Session, results: list[RowResult]) -> None:
    """An account may belong to one inspector only: in the file and in the directory."""
    by_user: dict[Any, list[RowResult]] = defaultdict(list)
    for result in results:
        if result.data and result.data.get("user_id"):
            by_user[result.data["user_id"]].append(result)
    for group in by_user.values():
        if len(group) > 1:
            for result in group:
                others = "、".join(str(r.line) for r in group if r is not result)
                result.errors.append(
                    Issue(
                        result.line,
                        "登录账号",
                        f"同一账号在文件中关联了多名人员（另见第 {others} 行）",
                    )
                )
                result.data = None
    linked: dict[Any, str] = {}
    user_ids = list(by_user)
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        rows = session.execute(
            select(Inspector.user_id, Inspector.credential_no).where(Inspector.user_id.in_(chunk))
        )
        linked.update({r.user_id: r.credential_no for r in rows})
    for result in results:
        if not result.data or not result.data.get("user_id"):
            continue
        owner = linked.get(result.data["user_id"])
        if owner is not None and owner != result.data["credential_no"]:
            result.errors.append(
                Issue(result.line, "登录账号", f"该用户账号已关联其他执法人员（执法证号 {owner}）")
            )
            result.data = None


def _existing_keys(session: Session, directory: Directory, keys: list[str]) -> set[str]:
    column = getattr(directory.model, directory.key)
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(column).where(column.in_(keys[start : start + CHUNK]))))
    return found


# ---- the import ----------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(
    session: Session,
    *,
    kind: str,
    data: bytes,
    filename: str,
    limits: Limits,
    valid_only: bool = False,
) -> tuple[Report, list[RowResult]]:
    """Read and validate a file; writes nothing. Returns the report and the validated rows."""
    directory = DIRECTORIES[kind]
    report = Report(
        kind=kind, filename=(filename or "")[:200], sha256=sha256_hex(data), valid_only=valid_only
    )
    table = None
    try:
        table = open_table(data, filename, limits)
        index, header = _pick_sheet(directory, table)
        report.sheet = table.sheet_names()[index]
        report.issues.extend(header.issues)
        rows = table.rows(index)
        data_rows = sum(
            1
            for line, cells in rows
            if line > header.line and any(c is not None and str(c).strip() for c in cells)
        )
        if data_rows > limits.max_rows:
            raise Refused(
                f"文件有 {data_rows} 行数据，超过 {limits.max_rows} 行的上限，请拆分后导入。"
            )
        if data_rows == 0:
            raise Refused("表头下面没有数据行。")
    except Refused as refused:
        report.refused = str(refused)
        return report, []
    finally:
        if table is not None:
            table.close()
    results = validate_rows(session, directory, header, rows, report.issues)
    _mark_duplicates(directory, results)
    if kind == "inspectors":
        _check_account_links(session, results)
    for result in results:
        report.issues.extend(result.errors)
    report.rows = len(results)
    report.bad_rows = sum(1 for r in results if r.errors)
    keys = [r.data[directory.key] for r in results if r.data]
    existing = _existing_keys(session, directory, keys)
    report.existing = len(existing)
    report.new = len(keys) - len(existing)
    report.issues.sort(key=lambda i: (i.is_warning, i.line or 0))
    return report, results


def run_import(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    data: bytes,
    filename: str,
    limits: Limits,
    valid_only: bool = False,
) -> Report:
    """Check the file, then (when allowed) upsert every valid row in the caller's transaction.

    All-or-nothing unless `valid_only`: with any bad row nothing is written. The caller commits
    or rolls back (one transaction per request / CLI command).
    """
    report, results = check(
        session, kind=kind, data=data, filename=filename, limits=limits, valid_only=valid_only
    )
    report.counts["rejected"] = report.bad_rows
    if not report.importable:
        return report
    directory = DIRECTORIES[kind]
    column = getattr(directory.model, directory.key)
    good = [r for r in results if r.data]
    for start in range(0, len(good), CHUNK):
        chunk = good[start : start + CHUNK]
        # One query (plus the selectin children) per chunk instead of a lookup per row.
        loaded = session.scalars(
            select(directory.model).where(column.in_([r.data[directory.key] for r in chunk]))
        ).all()
        existing = {getattr(obj, directory.key): obj for obj in loaded}
        for result in chunk:
            key = result.data[directory.key]
            try:
                _, outcome = directory.upsert(
                    session, actor=actor, data=result.data, existing=existing.get(key)
                )
            except operations.DirectoryError as error:
                fields = {c.field: c.header for c in directory.columns}
                report.issues.append(Issue(result.line, fields.get(error.field), str(error)))
                report.counts["rejected"] += 1
                report.bad_rows += 1
                if not valid_only:
                    report.counts.update(created=0, updated=0, unchanged=0)
                    raise ImportAborted(report) from None
                continue
            report.counts[outcome] += 1
    report.applied = True
    if report.counts["created"] or report.counts["updated"]:
        # Re-importing an unchanged file writes nothing at all, not even this summary.
        audit.record(
            session,
            actor=actor,
            action="directory.import",
            object_type="directory_import",
            object_id=report.sha256,
            details={
                "kind": kind,
                "filename": report.filename[:120],
                "sha256": report.sha256,
                "valid_only": valid_only,
                "rows": report.rows,
                **report.counts,
            },
        )
    return report


class ImportAborted(Exception):
    """A row failed while writing an all-or-nothing import; the caller must roll back."""

    def __init__(self, report: Report):
        super().__init__(report.summary())
        self.report = report
