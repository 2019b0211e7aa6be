"""Files that are refused as a whole: not a spreadsheet, .xls, encrypted, zip bombs, too big."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from PIL import Image

from server.directory import import_reader
from server.directory.import_reader import OLE_MAGIC
from tests.directory import import_support
from tests.directory.import_support import counts, csv_bytes, subject_row, xlsx_bytes

run_cli, world = import_support.run_cli, import_support.world

MINIMAL_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
        '.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
        '"xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
        '"worksheets/sheet1.xml"/></Relationships>'
    ),
}


def zip_bomb(uncompressed_mib: int) -> bytes:
    """A minimal xlsx whose sheet XML inflates to `uncompressed_mib` MiB of the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in MINIMAL_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            chunk = b"<sheetData/>" * (1024 * 1024 // 12)
            for _ in range(uncompressed_mib):
                sheet.write(chunk)
            sheet.write(b"</worksheet>")
    return out.getvalue()


def patched_sheet(data: bytes, change) -> bytes:
    """The same workbook with its first sheet's XML changed by `change(bytes) -> bytes`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            archive.writestr(info.filename, content)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def ole_file(*stream_names: str) -> bytes:
    """The start of an OLE2 compound file naming the given streams in its directory."""
    body = b"".join(name.encode("utf-16-le") + b"\x00" * 8 for name in stream_names)
    return OLE_MAGIC + b"\x00" * 504 + body + b"\x00" * 1024


@pytest.fixture
def no_decompression(monkeypatch):
    """Fail the test if any zip member is opened for reading (i.e. decompression started)."""
    original = zipfile.ZipFile.open

    def guarded(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            raise AssertionError(f"{name} was opened for reading")
        return original(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", guarded)


def _refused(db, run_cli, data: bytes, name: str, message: str) -> None:
    before = counts(db)
    result = run_cli("import-subjects", data, name)
    assert result.exit_code == 1, result.output
    assert "文件被拒绝：" in result.stderr
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert counts(db) == before


def test_a_zip_bomb_is_refused_by_its_compression_ratio_before_decompression(
    db, world, run_cli, no_decompression
):
    bomb = zip_bomb(64)
    assert len(bomb) < 1024 * 1024  # 64 MiB inflated from well under 1 MiB

    _refused(db, run_cli, bomb, "bomb.xlsx", "压缩比异常")


def test_a_zip_bomb_is_refused_by_its_total_size_before_decompression(
    app, db, world, run_cli, no_decompression
):
    app.config["IMPORT_MAX_COMPRESSION_RATIO"] = 1_000_000  # only the total is left to catch it
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 16 * 1024 * 1024

    _refused(db, run_cli, zip_bomb(20), "bomb.xlsx", "解压后过大")


def test_too_many_zip_members_are_refused(db, world, run_cli, no_decompression):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in MINIMAL_PARTS.items():
            archive.writestr(name, text)
        for n in range(import_reader.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"xl/media/{n}.bin", b"")

    _refused(db, run_cli, out.getvalue(), "many.xlsx", "结构异常")


def test_a_png_renamed_xlsx_is_refused(db, world, run_cli):
    _refused(db, run_cli, png_bytes(), "photo.xlsx", "该文件是PNG 图片，不是电子表格")


def test_a_text_file_renamed_xlsx_is_refused(db, world, run_cli):
    data = csv_bytes([subject_row(1)])
    _refused(db, run_cli, data, "subjects.xlsx", "内容不是 Excel 工作簿")


def test_an_old_xls_workbook_is_refused_with_a_save_as_hint(db, world, run_cli):
    _refused(db, run_cli, ole_file("Root Entry", "Workbook"), "old.xls", "另存为")


def test_a_password_protected_workbook_is_refused(db, world, run_cli):
    data = ole_file("Root Entry", "EncryptionInfo", "EncryptedPackage")
    _refused(db, run_cli, data, "secret.xlsx", "设置了打开密码")


def test_a_broken_workbook_is_refused(db, world, run_cli):
    data = patched_sheet(xlsx_bytes([subject_row(1)]), lambda xml: xml[: len(xml) // 2])
    _refused(db, run_cli, data, "broken.xlsx", "已损坏")


def test_a_word_document_is_refused(db, world, run_cli):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    _refused(db, run_cli, out.getvalue(), "letter.xlsx", "Word 文档")


def test_a_sheet_claiming_more_than_excels_dimensions_is_refused(db, world, run_cli):
    data = patched_sheet(
        xlsx_bytes([subject_row(1)]),
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD9999999"', xml),
    )
    _refused(db, run_cli, data, "huge.xlsx", "尺寸异常")


def test_a_row_numbered_far_beyond_the_limit_is_refused(app, db, world, run_cli):
    app.config["IMPORT_MAX_ROWS"] = 10
    data = patched_sheet(
        xlsx_bytes([subject_row(1)], title=None),
        lambda xml: re.sub(rb'r="([A-Z]*)2"', rb'r="\g<1>900000000"', xml),
    )
    _refused(db, run_cli, data, "far.xlsx", "超过 10 行的上限")


def test_a_file_over_the_byte_limit_is_refused(app, db, world, run_cli):
    data = xlsx_bytes([subject_row(n) for n in range(1, 30)])
    app.config["IMPORT_MAX_BYTES"] = len(data) - 1

    result = run_cli("import-subjects", data, "big.xlsx")

    assert result.exit_code == 1
    assert "文件过大" in result.stderr


def test_a_file_over_the_byte_limit_is_refused_by_the_reader_too():
    with pytest.raises(import_reader.Refused, match="文件过大"):
        import_reader.open_table(b"x" * 101, "a.csv", import_reader.Limits(max_bytes=100))


@pytest.mark.parametrize("name", ["many.xlsx", "many.csv"])
def test_more_rows_than_the_limit_are_refused(app, db, world, run_cli, name):
    app.config["IMPORT_MAX_ROWS"] = 3
    rows = [subject_row(n) for n in range(1, 5)]
    data = xlsx_bytes(rows) if name.endswith("xlsx") else csv_bytes(rows)

    _refused(db, run_cli, data, name, "超过 3 行的上限")


def test_a_csv_in_neither_utf8_nor_gb18030_is_refused(db, world, run_cli):
    data = "统一社会信用代码,名称\n".encode() + b"\x80\x80,\xff\n"
    _refused(db, run_cli, data, "odd.csv", "无法识别 CSV 文件的编码")


def test_an_empty_file_is_refused(db, world, run_cli):
    _refused(db, run_cli, b"", "empty.csv", "文件是空的")


def test_a_file_without_data_rows_is_refused(db, world, run_cli):
    data = csv_bytes([subject_row(1)])
    header_only = data.split(b"\r\n")[0] + b"\r\n"
    _refused(db, run_cli, header_only, "header.csv", "表头下面没有数据行")


def test_a_sheet_without_a_recognisable_header_is_refused(db, world, run_cli):
    data = xlsx_bytes([{"甲": 1, "乙": 2}], title=None)
    _refused(db, run_cli, data, "other.xlsx", "没有找到表头行")


def test_a_header_naming_a_column_twice_is_refused(db, world, run_cli):
    headers = [*subject_row(1), "企业名称"]
    data = xlsx_bytes([subject_row(1)], headers=headers)
    _refused(db, run_cli, data, "twice.xlsx", "表头中“名称”出现了两次（第 B 列和第 P 列）")


def test_an_unknown_file_type_is_refused(db, world, run_cli):
    _refused(db, run_cli, b"hello", "notes.docx", "仅支持 Excel 工作簿（.xlsx）和 CSV 文件")


def test_a_tab_separated_text_export_is_read(db, world, run_cli):
    row = subject_row(1)
    text = "\t".join(row) + "\n" + "\t".join(str(v) for v in row.values()) + "\n"

    result = run_cli("import-subjects", text.encode("gb18030"), "export.txt")

    assert result.exit_code == 0, result.output
    assert "新增 1 条" in result.stdout


def test_exactly_the_row_limit_below_a_title_row_is_accepted(app, db, world, run_cli):
    app.config["IMPORT_MAX_ROWS"] = 3

    result = run_cli("import-subjects", xlsx_bytes([subject_row(n) for n in range(1, 4)]))

    assert result.exit_code == 0, result.output
    assert "新增 3 条" in result.stdout
