"""`flask directory import-subjects / import-inspectors`: rows, line numbers, idempotence."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.directory.models import Inspector, Subject
from tests.directory import import_support
from tests.directory.import_support import (
    audit_actions,
    counts,
    csv_bytes,
    inspector_row,
    subject_row,
    uscc,
    xlsx_bytes,
)

# Fixtures shared by the import tests (tests/directory/conftest.py belongs to the console tests).
run_cli, world = import_support.run_cli, import_support.world


def _subjects(db) -> dict[str, Subject]:
    return {s.uscc: s for s in db.session.scalars(select(Subject))}


def test_valid_xlsx_creates_subjects_with_one_audit_event_each_and_a_summary(db, world, run_cli):
    data = xlsx_bytes([subject_row(1), subject_row(2, 监管科室="市场秩序科、对外贸易科")])

    result = run_cli("import-subjects", data)

    assert result.exit_code == 0, result.output
    assert "新增 2 条，更新 0 条，未变 0 条，拒绝 0 条" in result.stdout
    subjects = _subjects(db)
    second = subjects[uscc(2)]
    assert second.name == "威海测试商贸2有限公司"
    assert second.kind == "enterprise" and second.scale == "small" and second.status == "active"
    assert second.region_code == "HG"
    assert second.established_on == dt.date(2020, 5, 18)
    assert second.department_ids == {world["market"], world["trade"]}
    assert second.tags == ["预付卡发卡企业"]
    assert audit_actions(db)[-3:] == ["subject.create", "subject.create", "directory.import"]
    summary = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "directory.import")
    ).one()
    assert summary.actor_label == "cli"
    assert summary.details["kind"] == "subjects"
    assert summary.details["created"] == 2 and summary.details["rejected"] == 0
    assert len(summary.details["sha256"]) == 64


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk_imports(db, world, run_cli, encoding):
    data = csv_bytes([subject_row(1), subject_row(2)], encoding=encoding)

    result = run_cli("import-subjects", data, "subjects.csv")

    assert result.exit_code == 0, result.output
    assert _subjects(db)[uscc(1)].name == "威海测试商贸1有限公司"
    assert len(_subjects(db)) == 2


def test_reimporting_the_same_file_changes_nothing_and_writes_no_audit_event(db, world, run_cli):
    data = xlsx_bytes([subject_row(1), subject_row(2)])
    assert run_cli("import-subjects", data).exit_code == 0
    before = counts(db)

    result = run_cli("import-subjects", data)

    assert result.exit_code == 0, result.output
    assert "新增 0 条，更新 0 条，未变 2 条，拒绝 0 条" in result.stdout
    assert counts(db) == before


def test_a_changed_cell_updates_that_subject_only(db, world, run_cli):
    assert run_cli("import-subjects", xlsx_bytes([subject_row(1), subject_row(2)])).exit_code == 0
    before_events = counts(db)[2]

    changed = xlsx_bytes([subject_row(1), subject_row(2, 经营地址="威海市新地址 8 号")])
    result = run_cli("import-subjects", changed)

    assert result.exit_code == 0, result.output
    assert "新增 0 条，更新 1 条，未变 1 条" in result.stdout
    assert _subjects(db)[uscc(2)].address == "威海市新地址 8 号"
    assert counts(db)[2] == before_events + 2
    assert audit_actions(db)[-2:] == ["subject.update", "directory.import"]


def test_a_blank_cell_clears_a_value_but_a_missing_column_leaves_it_alone(db, world, run_cli):
    assert run_cli("import-subjects", xlsx_bytes([subject_row(1)])).exit_code == 0
    without_column = [h for h in subject_row(1) if h != "监管科室"]
    run_cli(
        "import-subjects", xlsx_bytes([subject_row(1, 法定代表人="王五")], headers=without_column)
    )
    subject = _subjects(db)[uscc(1)]
    assert subject.legal_rep == "王五"
    assert subject.department_ids == {world["market"]}

    run_cli("import-subjects", xlsx_bytes([subject_row(1, 法定代表人="")]))
    assert _subjects(db)[uscc(1)].legal_rep is None


BAD_ROWS = [
    pytest.param(
        {"统一社会信用代码*": uscc(7)[:-1] + ("0" if uscc(7)[-1] != "0" else "1")},
        f"统一社会信用代码：统一社会信用代码校验位错误，第18位应为 {uscc(7)[-1]}",
        id="uscc-check-digit",
    ),
    pytest.param({"名称*": ""}, "名称：必填", id="missing-name"),
    pytest.param({"所属区域*": "火星街道"}, "所属区域：未知的区域：火星街道", id="unknown-region"),
    pytest.param(
        {"监管科室": "不存在科"}, "监管科室：未知的监管科室：不存在科", id="unknown-department"
    ),
    pytest.param({"成立日期": "2020-13-45"}, "成立日期：日期格式不正确", id="bad-date"),
    pytest.param({"主体类型*": "公司"}, "主体类型：“公司”不是有效取值", id="bad-kind"),
]


@pytest.mark.parametrize(("change", "message"), BAD_ROWS)
def test_a_bad_row_is_named_by_its_excel_line_and_nothing_is_written(
    db, world, run_cli, change, message
):
    rows = [subject_row(n) for n in range(1, 6)]
    rows[3] = subject_row(4, **change)  # title row 1, header row 2 → this is line 6
    before = counts(db)

    result = run_cli("import-subjects", xlsx_bytes(rows))

    assert result.exit_code == 1
    assert f"第 6 行 {message}" in result.stderr
    assert "未导入任何数据" in result.stderr
    assert "拒绝 1 条" in result.stdout
    assert counts(db) == before


def test_a_duplicate_uscc_names_both_lines(db, world, run_cli):
    rows = [subject_row(1), subject_row(2), subject_row(3, 名称="另一家公司")]
    rows[2]["统一社会信用代码*"] = uscc(1).lower()  # the same code, typed in lower case
    before = counts(db)

    result = run_cli("import-subjects", xlsx_bytes(rows))

    assert result.exit_code == 1
    assert f"第 3 行 统一社会信用代码：{uscc(1)} 在文件中重复出现（另见第 5 行）" in result.stderr
    assert f"第 5 行 统一社会信用代码：{uscc(1)} 在文件中重复出现（另见第 3 行）" in result.stderr
    assert counts(db) == before


def test_valid_only_imports_the_good_rows_reports_the_rest_and_exits_0(db, world, run_cli):
    rows = [subject_row(1), subject_row(2, 所属区域="火星街道"), subject_row(3)]

    result = run_cli("import-subjects", xlsx_bytes(rows, title=None), "x.xlsx", "--valid-only")

    assert result.exit_code == 0, result.output
    assert "第 3 行 所属区域：未知的区域：火星街道" in result.stderr
    assert "新增 2 条，更新 0 条，未变 0 条，拒绝 1 条" in result.stdout
    assert set(_subjects(db)) == {uscc(1), uscc(3)}
    summary = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "directory.import")
    ).one()
    assert summary.details["rejected"] == 1 and summary.details["valid_only"] is True


def test_a_missing_required_column_refuses_the_whole_file(db, world, run_cli):
    headers = [h for h in subject_row(1) if h not in ("所属区域*", "经营地址*")]
    before = counts(db)

    result = run_cli("import-subjects", xlsx_bytes([subject_row(1)], headers=headers))

    assert result.exit_code == 1
    assert "缺少必填列：所属区域、经营地址" in result.stderr
    assert counts(db) == before


def test_headers_are_matched_despite_spaces_full_width_stars_and_english_names(db, world, run_cli):
    row = subject_row(1)
    loose = {
        "统一社会信用代码*": " 统一社会 信用代码 ＊",
        "名称*": "名称（必填）",
        "主体类型*": "kind",
        "所属区域*": "Region",
        "经营地址*": "经营地址 *",
    }
    renamed = {loose.get(h, h): v for h, v in row.items()}
    renamed["备注"] = "不导入的列"

    result = run_cli("import-subjects", xlsx_bytes([renamed]))

    assert result.exit_code == 0, result.output
    assert "未识别的列“备注”（第 P 列），已忽略" in result.stderr
    assert _subjects(db)[uscc(1)].region_code == "HG"


def test_blank_rows_are_skipped_and_line_numbers_stay_those_of_excel(db, world, run_cli):
    rows = [subject_row(1), {}, {}, subject_row(2, 所属区域="火星街道")]

    result = run_cli("import-subjects", xlsx_bytes(rows))

    assert result.exit_code == 1
    assert "第 6 行 所属区域：未知的区域：火星街道" in result.stderr
    assert "拒绝 1 条" in result.stdout
    assert "第 4 行" not in result.stderr and "第 5 行" not in result.stderr


def test_numeric_cells_become_text_and_a_numeric_id_number_is_warned_about(db, world, run_cli):
    wb = openpyxl.Workbook()
    ws = wb.active
    row = inspector_row(1)
    ws.append(list(row))
    values = list(row.values())
    values[1] = 110105194912310020  # Excel stored the ID as a number: digits lost
    values[2] = 13800138000.0
    ws.append(values)
    values = list(inspector_row(2).values())
    values[2] = 13900139000.0
    ws.append(values)
    out = io.BytesIO()
    wb.save(out)

    result = run_cli("import-inspectors", out.getvalue(), "x.xlsx", "--valid-only")

    assert result.exit_code == 0, result.output
    assert "[提示] 第 2 行 身份证号码：该单元格是数字格式" in result.stderr
    assert "第 2 行 身份证号码：居民身份证号码校验位错误" in result.stderr
    inspector = db.session.scalars(select(Inspector)).one()
    assert inspector.phone == "13900139000"


def test_formula_like_text_from_csv_is_stored_as_plain_text(db, world, run_cli):
    row = subject_row(
        1, 名称='=HYPERLINK("http://evil.example","点我")', 经营范围="+cmd|' /C calc'!A0"
    )

    result = run_cli("import-subjects", csv_bytes([row]), "x.csv")

    assert result.exit_code == 0, result.output
    subject = _subjects(db)[uscc(1)]
    assert subject.name == '=HYPERLINK("http://evil.example","点我")'
    assert subject.business_scope == "+cmd|' /C calc'!A0"


def test_inspectors_import_links_accounts_and_reads_yes_no(db, world, run_cli, make_user):
    make_user("lead9", "inspector")
    rows = [inspector_row(1, 可任组长="是", 登录账号="lead9"), inspector_row(2, 在岗="否")]

    result = run_cli("import-inspectors", xlsx_bytes(rows))

    assert result.exit_code == 0, result.output
    by_no = {i.credential_no: i for i in db.session.scalars(select(Inspector))}
    first, second = by_no["37100000001"], by_no["37100000002"]
    assert first.is_team_lead_qualified and first.user.username == "lead9"
    assert first.department_id == world["market"]
    assert first.credential_valid_until == dt.date(2028, 12, 31)
    assert first.expertise == ["成品油", "预付卡"]
    assert not second.is_active and not second.is_team_lead_qualified
    assert audit_actions(db)[-1] == "directory.import"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"登录账号": "nobody"}, "登录账号：未知的用户名：nobody"),
        ({"有效期至*": "明年"}, "有效期至：日期格式不正确"),
        ({"所属科室*": "火星科"}, "所属科室：未知的监管科室：火星科"),
        ({"执法证号*": ""}, "执法证号：必填"),
    ],
)
def test_a_bad_inspector_row_is_named_and_nothing_is_written(db, world, run_cli, change, message):
    rows = [inspector_row(1), inspector_row(2, **change)]
    before = counts(db)

    result = run_cli("import-inspectors", xlsx_bytes(rows, title=None))

    assert result.exit_code == 1
    assert f"第 3 行 {message}" in result.stderr
    assert counts(db) == before


def test_an_account_already_linked_to_another_inspector_is_refused(
    db, world, run_cli, make_user, make_inspector
):
    user = make_user("lead9", "inspector")
    make_inspector(user=user, credential_no="ZF000001")
    before = counts(db)

    result = run_cli("import-inspectors", xlsx_bytes([inspector_row(1, 登录账号="lead9")]))

    assert result.exit_code == 1
    assert "第 3 行 登录账号：该用户账号已关联其他执法人员（执法证号 ZF000001）" in result.stderr
    assert counts(db) == before


def test_a_duplicate_credential_number_names_both_lines(db, world, run_cli):
    rows = [inspector_row(1), inspector_row(2), inspector_row(3, 执法证号="37100000001")]

    result = run_cli("import-inspectors", xlsx_bytes(rows, title=None))

    assert result.exit_code == 1
    assert "第 2 行 执法证号：37100000001 在文件中重复出现（另见第 4 行）" in result.stderr
    assert "第 4 行 执法证号：37100000001 在文件中重复出现（另见第 2 行）" in result.stderr


def test_a_missing_file_is_a_chinese_error(run_cli, app):
    result = app.test_cli_runner().invoke(
        args=["directory", "import-subjects", "/nonexistent.xlsx"]
    )

    assert result.exit_code == 1
    assert "找不到文件" in result.stderr


def test_a_soft_deleted_subject_is_restored_by_reimport(db, world, run_cli):
    from server.audit.operations import SYSTEM
    from server.directory.operations import delete_subject

    data = xlsx_bytes([subject_row(1)])
    assert run_cli("import-subjects", data).exit_code == 0
    delete_subject(db.session, actor=SYSTEM, subject=_subjects(db)[uscc(1)], reason="测试")
    db.session.commit()

    result = run_cli("import-subjects", data)

    assert "更新 1 条" in result.stdout, result.output
    assert _subjects(db)[uscc(1)].is_deleted is False
