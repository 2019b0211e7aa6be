"""Read an uploaded spreadsheet (.xlsx or .csv) into rows, refusing anything unsafe or unreadable.

Knows nothing about subjects or inspectors: it turns bytes into sheets of (line number, cells)
and raises `Refused` (a Chinese message for people) for a file that is not a spreadsheet, an old
.xls, an encrypted workbook, a zip bomb, a CSV in an unknown encoding, or one that is too big.
"""

from __future__ import annotations

import abc
import csv
import dataclasses
import io
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

import openpyxl

# Excel's own limits: a sheet claiming more is hand-made to hurt whoever opens it.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# Our columns fit in 30; reading more per row only costs memory.
READ_COLUMNS = 60
MAX_ZIP_MEMBERS = 1000
# Small members (styles, relationships) may compress very well and cannot hurt: the ratio limit
# is applied to members whose uncompressed size is above this.
RATIO_FLOOR_BYTES = 256 * 1024
MAX_SHEETS = 50
BLANK_SLACK = 10_000  # blank lines tolerated on top of the row limit
HEADER_ROWS = 20  # title and header rows above the data (the importer counts data rows exactly)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_SPREADSHEETS = (
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"%PDF", "PDF 文档"),
    (b"BM", "BMP 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
)
TEXT_SUFFIXES = {".csv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xls", ".et"}
SAVE_AS_HINT = "请在 Excel 或 WPS 中“另存为” Excel 工作簿（.xlsx）或 CSV（UTF-8）后重新上传。"


class Refused(ValueError):
    """The whole file is refused; the message (Chinese) says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds for one file; the defaults mirror server.config.Defaults."""

    max_bytes: int = 20 * 1024 * 1024
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 200
    max_rows: int = 200_000

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            max_bytes=config["IMPORT_MAX_BYTES"],
            max_uncompressed=config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
            max_ratio=config["IMPORT_MAX_COMPRESSION_RATIO"],
            max_rows=config["IMPORT_MAX_ROWS"],
        )


Row = tuple[int, list[Any]]  # (line number as Excel shows it, cell values)


class Table(abc.ABC):
    """An opened file: one or more sheets, read on demand (xlsx and csv implement it)."""

    format: str = ""

    @abc.abstractmethod
    def sheet_names(self) -> list[str]: ...

    @abc.abstractmethod
    def rows(self, index: int, *, first: int | None = None) -> list[Row]:
        """Rows of sheet `index` (all of them, or only the first `first` lines)."""

    def close(self) -> None:  # noqa: B027 - optional hook: only xlsx holds a file open
        """Release the file; CSV tables hold nothing."""


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def open_table(data: bytes, filename: str, limits: Limits) -> Table:
    """Sniff the content (not only the name) and open it, or raise Refused."""
    if not data:
        raise Refused("文件是空的。")
    if len(data) > limits.max_bytes:
        raise Refused(f"文件过大（{_mib(len(data))}），上限为 {_mib(limits.max_bytes)}。")
    suffix = PurePath(filename or "").suffix.lower()
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _XlsxTable(data, limits)
    if data.startswith(OLE_MAGIC):
        # Both an Excel 97–2003 workbook and a password-protected .xlsx are OLE2 containers;
        # the encrypted one carries the stream names EncryptionInfo / EncryptedPackage.
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise Refused("该工作簿设置了打开密码，无法读取。请取消密码保护后重新上传。")
        raise Refused(
            "不支持旧版 Excel 97–2003 格式（.xls）。请在 Excel 中“另存为” Excel 工作簿（.xlsx）"
            "后重新上传。"
        )
    for magic, what in _NOT_SPREADSHEETS:
        if data.startswith(magic):
            raise Refused(f"该文件是{what}，不是电子表格。{SAVE_AS_HINT}")
    if b"\x00" in data[:8192]:
        raise Refused(f"该文件不是电子表格（无法识别的二进制文件）。{SAVE_AS_HINT}")
    if suffix in TEXT_SUFFIXES:
        return _CsvTable(data, limits)
    if suffix in EXCEL_SUFFIXES:
        raise Refused(
            f"该文件扩展名为 {suffix}，但内容不是 Excel 工作簿"
            f"（可能是改了扩展名的文本或网页文件）。{SAVE_AS_HINT}"
        )
    raise Refused(f"仅支持 Excel 工作簿（.xlsx）和 CSV 文件（.csv）。{SAVE_AS_HINT}")


# ---- xlsx -----------------------------------------------------------------------------------


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb from the central directory alone, before anything is decompressed.

    The declared sizes can be trusted as bounds: Python's zipfile never inflates a member beyond
    its declared file_size (and fails the CRC check if the data does not match).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Refused(f"文件已损坏，无法作为 Excel 工作簿（.xlsx）打开。{SAVE_AS_HINT}") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise Refused(f"工作簿结构异常（包含 {len(members)} 个部件），已拒绝。")
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names:
            if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
                raise Refused(f"不支持 OpenDocument（.ods）格式。{SAVE_AS_HINT}")
            if "word/document.xml" in names:
                raise Refused(f"该文件是 Word 文档，不是电子表格。{SAVE_AS_HINT}")
            raise Refused(f"该压缩文件不是 Excel 工作簿（.xlsx）。{SAVE_AS_HINT}")
        total = 0
        for member in members:
            if member.flag_bits & 0x1:
                raise Refused("工作簿的部件经过加密，无法读取。请取消密码保护后重新上传。")
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
                raise Refused(
                    f"工作簿中的 {member.filename[:60]} 压缩比异常（{ratio:.0f} 倍，上限"
                    f" {limits.max_ratio} 倍），疑似“压缩炸弹”，已拒绝。"
                )
        if total > limits.max_uncompressed:
            raise Refused(
                f"工作簿解压后过大（{_mib(total)}，上限 {_mib(limits.max_uncompressed)}），已拒绝。"
                "请拆分成多个文件导入。"
            )


class _XlsxTable(Table):
    format = "xlsx"

    def __init__(self, data: bytes, limits: Limits):
        check_zip(data, limits)
        self.limits = limits
        try:
            # openpyxl warns about features it drops (extensions, styles): none matter here.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # read_only streams the sheet XML; data_only gives cached values, not formulas.
                # Billion-laughs entity expansion is refused by the bundled expat (>= 2.4).
                self.book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many types for broken parts; all mean "unreadable"
            raise Refused(f"文件已损坏，无法作为 Excel 工作簿打开。{SAVE_AS_HINT}") from None
        self.sheets = self.book.worksheets[:MAX_SHEETS]
        if not self.sheets:
            raise Refused("工作簿中没有工作表。")

    def sheet_names(self) -> list[str]:
        return [s.title for s in self.sheets]

    def rows(self, index: int, *, first: int | None = None) -> list[Row]:
        sheet = self.sheets[index]
        if (sheet.max_row or 0) > EXCEL_MAX_ROWS or (sheet.max_column or 0) > EXCEL_MAX_COLUMNS:
            raise Refused(f"工作表“{sheet.title}”的尺寸异常，超出 Excel 的行列上限，已拒绝。")
        # The stored dimension may be wrong (some tools write "A1"); read what is really there.
        sheet.reset_dimensions()
        out: list[Row] = []
        filled = 0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cells = sheet.iter_rows(max_row=first, max_col=READ_COLUMNS, values_only=True)
                for line, values in enumerate(cells, start=1):
                    _check_line(line, self.limits)
                    row = list(values)
                    while row and _blank(row[-1]):
                        row.pop()
                    if row:
                        filled += 1
                        if filled > self.limits.max_rows + HEADER_ROWS:
                            raise Refused(
                                f"文件超过 {self.limits.max_rows} 行的上限，请拆分后导入。"
                            )
                    out.append((line, row))
        except Refused:
            raise
        except Exception:  # a broken sheet XML surfaces here, while streaming
            raise Refused(f"工作表“{sheet.title}”已损坏，无法读取。{SAVE_AS_HINT}") from None
        return out

    def close(self) -> None:
        self.book.close()


# ---- csv ------------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GB18030 — what Chinese Excel and WPS save as CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise Refused(
        "无法识别 CSV 文件的编码（支持 UTF-8 与 GBK/GB18030）。请在 Excel 中“另存为”"
        "“CSV UTF-8（逗号分隔）”后重新上传。"
    )


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _CsvTable(Table):
    format = "csv"

    def __init__(self, data: bytes, limits: Limits):
        self.text, self.encoding = decode_text(data)
        self.limits = limits

    def sheet_names(self) -> list[str]:
        return ["CSV"]

    def rows(self, index: int, *, first: int | None = None) -> list[Row]:
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=_delimiter(self.text))
        out: list[Row] = []
        filled = 0
        # One record is one row when Excel opens the file (a quoted cell may span lines).
        records: Iterator[list[str]] = iter(reader)
        line = 0
        while first is None or line < first:
            try:
                record = next(records)
            except StopIteration:
                break
            except csv.Error as error:
                raise Refused(f"CSV 文件第 {line + 1} 行格式错误：{error}") from None
            line += 1
            _check_line(line, self.limits)
            row = list(record)
            while row and _blank(row[-1]):
                row.pop()
            if row:
                filled += 1
                if filled > self.limits.max_rows + HEADER_ROWS:
                    raise Refused(f"文件超过 {self.limits.max_rows} 行的上限，请拆分后导入。")
            out.append((line, row))
        return out


def _check_line(line: int, limits: Limits) -> None:
    # Blank lines cost time too (openpyxl yields one per missing row, even for a crafted row
    # number of 10^9): a line far beyond the row limit ends the reading.
    if line > min(limits.max_rows + BLANK_SLACK, EXCEL_MAX_ROWS):
        raise Refused(
            f"第 {line} 行仍有内容，超过 {limits.max_rows} 行的上限（连同空行计算），"
            "请删除多余的空行或拆分后导入。"
        )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
