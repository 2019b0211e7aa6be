"""The task pages: set up, validation, review, the timeline, commissions, filters."""

from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.directory.models import Region
from server.plans.models import AnnualPlan, PlanLine
from server.tasks.models import Commission, Task
from tests.tasks.conftest import page_text, task_id_of


def _task_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


def test_owner_sets_up_an_ad_hoc_task_as_a_draft(db, bureau, browser, task_form):
    response = browser("office1").post_form("/tasks/new", task_form())
    assert response.status_code == 302, page_text(response)
    task = db.session.get(Task, task_id_of(response))
    assert (task.state, task.owner_id, task.number) == ("draft", bureau.owner.id, None)
    assert (task.origin, task.ad_hoc_reason) == ("ad_hoc", "投诉举报集中")
    assert task.sample_ratio == "0.05"
    assert [ti.item_version_id for ti in task.items] == [bureau.item.current_version_id]
    assert [e.action for e in task.events] == ["create"]
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "task.create")).one()
    assert audit.object_id == str(task.id)


def test_team_size_of_one_is_refused(db, bureau, browser, task_form):
    response = browser("office1").post_form("/tasks/new", task_form(team_size="1"))
    assert response.status_code == 422
    assert "每个检查对象至少抽取 2 名检查人员" in page_text(response)
    assert _task_count(db) == 0


def test_window_ending_before_it_starts_is_refused(db, bureau, browser, task_form):
    form = task_form(window_start="2026-05-01", window_end="2026-04-30")
    response = browser("office1").post_form("/tasks/new", form)
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in page_text(response)
    assert _task_count(db) == 0


def test_window_outside_the_year_is_refused(db, bureau, browser, task_form):
    form = task_form(window_start="2026-12-01", window_end="2027-01-15")
    response = browser("office1").post_form("/tasks/new", form)
    assert response.status_code == 422
    assert "检查时间应在任务年度之内" in page_text(response)


def test_ad_hoc_task_without_a_reason_is_refused(db, bureau, browser, task_form):
    response = browser("office1").post_form("/tasks/new", task_form(ad_hoc_reason=""))
    assert response.status_code == 422
    assert "计划外任务请填写设立理由" in page_text(response)
    assert _task_count(db) == 0


def test_targeted_task_without_any_filter_is_refused(db, bureau, browser, task_form):
    response = browser("office1").post_form("/tasks/new", task_form(targeting="targeted"))
    assert response.status_code == 422
    assert "定向抽取请至少设置一个条件" in page_text(response)


def test_targeted_filters_are_stored_for_the_draw_and_shown_in_chinese(
    db, bureau, browser, task_form
):
    db.session.add(Region(code="HG", name="皇冠街道"))
    db.session.commit()
    form = task_form(
        targeting="targeted",
        target_kinds=["enterprise", "individual"],
        target_scales=["small"],
        target_regions=["HG"],
        target_risk_flags=["complaints"],
        target_tags="加油站，预付卡发卡企业",
        pool_mode="manual",
        pool_qualifications=["law_enforcement"],
        pool_expertise="成品油流通",
        sample_kind="count",
        sample_count="12",
    )
    owner = browser("office1")
    task = db.session.get(Task, task_id_of(owner.post_form("/tasks/new", form)))
    assert task.target_filters == {
        "kinds": ["enterprise", "individual"],
        "scales": ["small"],
        "regions": ["HG"],
        "risk_flags": ["complaints"],
        "tags": ["加油站", "预付卡发卡企业"],
    }
    assert task.pool_filters == {"qualifications": ["law_enforcement"], "expertise": ["成品油流通"]}
    assert (task.sample_kind, task.sample_count, task.sample_ratio) == ("count", 12, None)

    text = page_text(owner.get(f"/tasks/{task.id}"))
    for shown in (
        "定向抽取",
        "主体类型：企业、个体工商户",
        "经营规模：小型",
        "地理区域：皇冠街道",
        "风险标记：投诉举报多",
        "业务标签：加油站、预付卡发卡企业",
        "执法资质：行政执法资格",
        "业务专长：成品油流通",
        "抽取 12 户",
    ):
        assert shown in text


def test_the_task_filters_select_the_matching_subjects(db, bureau, make_task):
    from server.directory.models import Subject, SubjectScope, SubjectTag
    from server.tasks.queries import target_conditions

    db.session.add(Region(code="HG", name="皇冠街道"))

    def subject(uscc, kind, tag):
        row = Subject(
            uscc=uscc, name=uscc, kind=kind, region_code="HG", address="路", status="active"
        )
        row.scope_rows = [SubjectScope(department_id=bureau.department.id)]
        row.tag_rows = [SubjectTag(tag=tag)] if tag else []
        db.session.add(row)

    subject("A" * 18, "enterprise", "加油站")
    subject("B" * 18, "enterprise", None)
    subject("C" * 18, "individual", "加油站")
    db.session.commit()
    task = make_task(targeting="targeted", target_kinds=["enterprise"], target_tags="加油站")
    untargeted = make_task()

    def drawn(t):
        stmt = select(Subject.uscc).where(*target_conditions(t)).order_by(Subject.uscc)
        return list(db.session.scalars(stmt))

    assert drawn(task) == ["A" * 18]
    assert drawn(untargeted) == ["A" * 18, "B" * 18, "C" * 18]


def test_planned_task_links_its_items_to_the_plan_lines(db, bureau, browser, task_form):
    plan = AnnualPlan(department_id=bureau.department.id, year=2026)
    line = PlanLine(
        item_id=bureau.item.id,
        item_version_id=bureau.item.current_version_id,
        objects="全部发卡企业",
        content="备案",
        methods=["onsite"],
        ratio_percent=decimal.Decimal(5),
        frequency_per_year=1,
        window_start=dt.date(2026, 3, 1),
        window_end=dt.date(2026, 11, 30),
    )
    plan.lines = [line]
    db.session.add(plan)
    db.session.commit()
    response = browser("office1").post_form("/tasks/new", task_form(origin="plan"))
    task = db.session.get(Task, task_id_of(response))
    assert [ti.plan_line_id for ti in task.items] == [line.id]


def test_planned_task_without_a_plan_is_refused(db, bureau, browser, task_form):
    response = browser("office1").post_form("/tasks/new", task_form(origin="plan"))
    assert response.status_code == 422
    assert "年度抽查计划尚未制定" in page_text(response)


def test_someone_of_another_department_cannot_set_up_a_task_here(db, bureau, browser, task_form):
    response = browser("head2").post_form("/tasks/new", task_form())
    assert response.status_code == 403
    assert _task_count(db) == 0


def test_review_round_trip_through_the_console(db, bureau, browser, make_task):
    task = make_task()
    owner, head = browser("office1"), browser("head1")
    html = owner.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "提交审核" in html and f"/tasks/{task.id}/edit" in html and "审核通过" not in html

    assert owner.post_form(f"/tasks/{task.id}/submit").status_code == 302
    html = head.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "审核通过" in html and "退回修改" in html
    assert f"/tasks/{task.id}/edit" not in html  # only the owner edits

    refused = head.post_form(f"/tasks/{task.id}/return", {"comment": ""})
    assert refused.status_code == 422
    returned = head.post_form(f"/tasks/{task.id}/return", {"comment": "请补充材料清单"})
    assert returned.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "returned"
    assert "请补充材料清单" in page_text(owner.get(f"/tasks/{task.id}/edit"))

    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.review_comment == "请补充材料清单"


def test_head_of_another_department_gets_403_and_nothing_changes(db, bureau, browser, make_task):
    task = make_task()
    browser("office1").post_form(f"/tasks/{task.id}/submit")
    response = browser("head2").post_form(f"/tasks/{task.id}/approve", {"comment": "同意"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "submitted"
    assert "审核通过" not in page_text(browser("head2").get(f"/tasks/{task.id}"))


def test_an_illegal_step_in_the_console_is_409_with_a_chinese_message(
    db, bureau, browser, make_task
):
    task = make_task()
    head = browser("head1")
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = head.post_form(f"/tasks/{task.id}/approve")
    assert response.status_code == 409
    assert "不能执行" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "draft"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits


def test_detail_shows_the_number_and_the_timeline(db, bureau, browser, make_task, advance):
    task = advance(make_task(), "approved")
    text = page_text(browser("head1").get(f"/tasks/{task.id}"))
    assert "威经区商务抽查〔2026〕1号" in text
    assert "办理过程" in text and "待审核" in text and "已审核" in text
    assert "计划外（临时）任务" in text and "投诉举报集中" in text


def test_list_filters_by_state(db, bureau, browser, make_task, advance):
    make_task(name="草稿任务")
    advance(make_task(name="已审核任务"), "approved")
    text = page_text(browser("office1").get("/tasks?state=approved&year=2026"))
    assert "已审核任务" in text and "草稿任务" not in text


def test_commissions_are_added_shown_and_audited(db, bureau, browser, make_task):
    task = make_task()
    owner = browser("office1")
    form = {
        "agency": "山东某检测有限公司",
        "scope": "testing",
        "contract_ref": "WT-2026-01",
        "report_due": "2026-05-10",
    }
    assert owner.post_form(f"/tasks/{task.id}/commissions", form).status_code == 302
    commission = db.session.scalars(select(Commission)).one()
    assert (commission.agency, commission.scope) == ("山东某检测有限公司", "testing")
    text = page_text(owner.get(f"/tasks/{task.id}"))
    assert "山东某检测有限公司" in text and "检验检测" in text and "待提交" in text
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.commission_add")
    ).one()
    assert browser("head2").post_form(f"/tasks/{task.id}/commissions", form).status_code == 403


def test_owner_deletes_a_never_submitted_draft(db, bureau, browser, make_task):
    task = make_task()
    assert browser("office1").post_form(f"/tasks/{task.id}/delete").status_code == 302
    assert _task_count(db) == 0


def test_owner_edits_a_draft_and_others_cannot(
    db, bureau, browser, make_task, task_form, make_user
):
    task = make_task()
    owner = browser("office1")
    assert owner.get(f"/tasks/{task.id}/edit").status_code == 200
    response = owner.post_form(f"/tasks/{task.id}/edit", task_form(name="改过的名称"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).name == "改过的名称"
    assert browser("head1").post_form(f"/tasks/{task.id}/edit", task_form()).status_code == 403
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(task.id))
    )
    assert list(actions) == ["task.create", "task.update"]


def test_an_edit_with_errors_keeps_the_draft_unchanged(db, bureau, browser, make_task, task_form):
    task = make_task()
    response = browser("office1").post_form(
        f"/tasks/{task.id}/edit", task_form(name="新名称", team_size="1")
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Task, task.id).name == "预付卡发卡企业专项抽查"


def test_a_submitted_task_has_no_edit_page(db, bureau, browser, make_task, advance):
    task = advance(make_task(), "submitted")
    assert browser("office1").get(f"/tasks/{task.id}/edit").status_code == 409


def test_admin_first_chooses_the_department(db, bureau, browser, make_user):
    make_user("root", "admin", department=bureau.other_department)
    admin = browser("root")
    assert "下一步" in page_text(admin.get("/tasks/new"))
    form = admin.get(f"/tasks/new?department_id={bureau.department.id}")
    assert "责任科室：商贸流通科" in page_text(form)
    assert "单用途商业预付卡发卡企业监督检查（SWJ-001）" in page_text(form)


def test_an_inspector_reads_tasks_but_cannot_set_one_up(db, bureau, browser, make_task, make_user):
    task = make_task()
    make_user("insp", "inspector", department=bureau.department)
    inspector = browser("insp")
    assert inspector.get(f"/tasks/{task.id}").status_code == 200
    assert inspector.get("/tasks/new").status_code == 403
    assert inspector.post_form(f"/tasks/{task.id}/submit").status_code == 403
