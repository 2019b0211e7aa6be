"""The downloadable import templates: they open in Excel terms, explain themselves, import back."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from server.directory.importer import EXAMPLE_SUBJECT, INSPECTOR_COLUMNS, SUBJECT_COLUMNS
from server.directory.models import Inspector, Subject
from tests.directory import import_support
from tests.directory.import_support import inspector_row, subject_row, uscc

run_cli, world = import_support.run_cli, import_support.world


def _download(signed_in, kind: str):
    client = signed_in("back_office")
    response = client.get(f"/imports/template/{kind}.xlsx")
    assert response.status_code == 200, response.data[:300]
    return response


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_the_subject_template_downloads_as_an_xlsx_with_a_styled_header_row(world, signed_in):
    response = _download(signed_in, "subjects")

    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    wb = _workbook(response.data)
    assert wb.sheetnames[:2] == ["检查对象", "说明"]
    ws = wb["检查对象"]
    assert "导入模板" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers == [c.title for c in SUBJECT_COLUMNS]
    assert headers[0] == "统一社会信用代码*" and "经营规模" in headers
    assert ws["A2"].font.bold
    assert ws["A3"].value == EXAMPLE_SUBJECT["uscc"]
    assert ws["A3"].number_format == "@"  # long numbers stay text
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["A"].width >= 20


def test_the_template_has_dropdowns_for_closed_vocabularies(world, signed_in):
    wb = _workbook(_download(signed_in, "subjects").data)
    ws = wb["检查对象"]
    lists = wb["下拉选项"]

    by_column = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    kind = by_column["C"]  # 主体类型
    assert kind.type == "list" and kind.showErrorMessage
    assert kind.formula1.startswith("'下拉选项'!$")
    assert lists.sheet_state == "hidden"
    values = {c.value for col in lists.iter_cols() for c in col}
    assert {"企业", "个体工商户", "皇冠街道", "桥头镇", "市场秩序科", "存续"} <= values
    assert not by_column["M"].showErrorMessage  # 监管科室 accepts several, typed with 、


def test_the_help_sheet_explains_columns_and_lists_regions_and_departments(world, signed_in):
    wb = _workbook(_download(signed_in, "subjects").data)
    text = "\n".join(
        str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value is not None
    )

    assert "重复导入时按“统一社会信用代码”更新已有记录" in text
    assert "皇冠街道、桥头镇" in text
    assert "市场秩序科" in text and "对外贸易科" in text
    assert "企业、个体工商户、农民专业合作社" in text
    assert "列入经营异常名录" in text


def test_a_filled_in_template_imports_and_the_untouched_example_row_is_skipped(
    db, world, signed_in, run_cli
):
    wb = _workbook(_download(signed_in, "subjects").data)
    ws = wb["检查对象"]
    for n in (1, 2):
        row = subject_row(n)
        ws.append([row.get(c.title) or None for c in SUBJECT_COLUMNS])
    out = io.BytesIO()
    wb.save(out)

    result = run_cli("import-subjects", out.getvalue(), "filled.xlsx")

    assert result.exit_code == 0, result.output
    assert "新增 2 条" in result.stdout
    assert "[提示] 第 3 行 这是模板中的示例行，已跳过" in result.stderr
    assert set(db.session.scalars(select(Subject.uscc))) == {uscc(1), uscc(2)}


def test_the_example_row_is_valid_once_it_is_rewritten(db, world, signed_in, run_cli):
    wb = _workbook(_download(signed_in, "subjects").data)
    wb["检查对象"]["B3"] = "威海真实商贸有限公司"
    out = io.BytesIO()
    wb.save(out)

    result = run_cli("import-subjects", out.getvalue(), "example.xlsx")

    assert result.exit_code == 0, result.output
    subject = db.session.scalars(select(Subject)).one()
    assert subject.uscc == EXAMPLE_SUBJECT["uscc"]
    assert subject.region_code == "HG" and len(subject.department_ids) == 1


def test_a_filled_in_inspector_template_imports(db, world, signed_in, run_cli):
    wb = _workbook(_download(signed_in, "inspectors").data)
    ws = wb["执法人员"]
    assert [c.value for c in ws[2]] == [c.title for c in INSPECTOR_COLUMNS]
    row = inspector_row(1)
    ws.append([row.get(c.title) or None for c in INSPECTOR_COLUMNS])
    out = io.BytesIO()
    wb.save(out)

    result = run_cli("import-inspectors", out.getvalue(), "filled.xlsx")

    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Inspector.credential_no)).all() == ["37100000001"]


def test_names_that_look_like_formulas_are_written_as_text(db, world, signed_in, make_department):
    make_department('=HYPERLINK("http://x")', "ZZ")

    wb = _workbook(_download(signed_in, "subjects").data)

    cells = [c for col in wb["下拉选项"].iter_cols() for c in col if "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


@pytest.mark.parametrize("role", ["inspector", "dept_head", "leader"])
def test_only_back_office_and_admin_download_templates(world, signed_in, role):
    client = signed_in(role)
    assert client.get("/imports/template/subjects.xlsx").status_code == 403


def test_an_unknown_template_is_404(world, signed_in):
    client = signed_in("admin")
    assert client.get("/imports/template/items.xlsx").status_code == 404


def test_the_template_command_writes_the_workbook(app, world, tmp_path):
    out = tmp_path / "t.xlsx"

    result = app.test_cli_runner().invoke(args=["directory", "template", "inspectors", str(out)])

    assert result.exit_code == 0, result.output
    assert _workbook(out.read_bytes()).sheetnames[0] == "执法人员"
