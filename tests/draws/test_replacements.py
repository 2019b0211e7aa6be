"""Recusal, replacement, swap, withdrawal (Art. 17–18) and alternates (§2.4), end to end.

Every approval is checked against what dsr.py computes from the bundle and against the
standalone verifier; refusals and wrong requests must leave nothing written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for as actor_of
from server.directory.models import Conflict
from server.draws import dsr, verify
from server.draws import replacements as ops
from server.draws.operations import DrawError, designate_team_lead
from server.draws.replacement_models import AlternateUse, ReplacementRequest
from server.visits.models import Visit, VisitTask
from tests.draws.test_draw_flow import announce, run


@pytest.fixture
def crew(bureau, make_subject, make_inspector, make_user):
    """Eight subjects; five inspectors, each linked to an inspector account insp_0 … insp_4."""
    subjects = [make_subject(departments=[bureau.department]) for _ in range(8)]
    inspectors = [
        make_inspector(
            department=bureau.department,
            user=make_user(f"insp_{i}", "inspector", department=bureau.department),
        )
        for i in range(5)
    ]
    return subjects, inspectors


@pytest.fixture
def leader(make_user):
    return make_user("leader1", "leader", display_name="王局长")


@pytest.fixture
def drawn(db, bureau, crew, approved_task):
    """A drawn task: k = 3 subjects, teams of 2, m = 5 alternates."""
    task = approved_task()
    return run(db, announce(db, task, bureau.office), bureau.head)


def user_of(crew, credential):
    return next(i.user for i in crew[1] if i.credential_no == credential)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_count(db) -> int:
    return count(db, AuditEvent)


def rows(draw) -> dict[str, list[str]]:
    """Current teams from DrawAssignment (position order)."""
    result: dict[str, list[str]] = {}
    for a in sorted(draw.assignments, key=lambda a: a.position):
        result.setdefault(a.uscc, []).append(a.credential_no)
    return result


def assert_consistent(db, draw, tmp_path=None):
    """The invariants after any change: rows = bundle's current teams, ≥ 2 distinct per team,
    no registered conflict on a team, both bundles verify."""
    db.session.expire_all()
    current = {t["uscc"]: t["inspectors"] for t in ops.current_teams(draw)}
    assert rows(draw) == current
    pairs = {
        (c.subject.uscc, c.inspector.credential_no)
        for c in db.session.scalars(select(Conflict).where(Conflict.is_active.is_(True)))
    }
    for uscc, team in current.items():
        assert len(team) == draw.team_size and len(set(team)) == len(team)
        assert not {(uscc, c) for c in team} & pairs
    from server.draws import operations

    for bundle in (operations.internal_bundle(draw), operations.public_bundle(draw)):
        checked = verify.verify(bundle)
        assert checked.mismatches == [], checked.mismatches


def file(db, draw, user, *, place=None, mode="replace", reason="health", text="住院手术"):
    uscc, credential = place or (draw.assignments[0].uscc, draw.assignments[0].credential_no)
    request = ops.request_replacement(
        db.session,
        actor=actor_of(user),
        user=user,
        draw=draw,
        uscc=uscc,
        credential_no=credential,
        mode=mode,
        reason=reason,
        explanation=text,
        conflict_kind="kinship" if reason == "recusal" else None,
    )
    db.session.commit()
    return request


def approve(db, request, user):
    leads = ops.approve_request(db.session, actor=actor_of(user), user=user, request=request)
    db.session.commit()
    return leads


# ---- the console flow ---------------------------------------------------------------------


def test_an_inspector_asks_the_leader_approves_the_verifiable_next_one_comes_in(
    db, browser, bureau, crew, drawn, leader, tmp_path
):
    draw = drawn
    place = draw.assignments[0]
    uscc, out = place.uscc, place.credential_no
    me = user_of(crew, out)
    expected = ops.matching_now(draw).replacement_for(uscc, out)
    page = browser(me.username)
    form = page.get(f"/tasks/{draw.task_id}/draw/replacements")
    assert form.status_code == 200 and "申请回避或更换检查人员" in form.get_data(as_text=True)
    response = page.post_form(
        f"/tasks/{draw.task_id}/draw/replacements",
        {
            "place": f"{uscc}|{out}",
            "reason": "recusal",
            "mode": "replace",
            "conflict_kind": "kinship",
            "explanation": "该企业法定代表人是我的表兄",
        },
    )
    assert response.status_code == 302
    request = db.session.scalars(select(ReplacementRequest)).one()
    assert request.state == "pending" and request.requested_by_id == me.id

    queue = browser("leader1").get("/replacements/queue").get_data(as_text=True)
    names = {i.credential_no: i.name for i in crew[1]}
    assert "该企业法定代表人是我的表兄" in queue and f"{names[expected]}（{expected}）" in queue
    response = browser("leader1").post_form(f"/replacements/{request.id}/approve", {"comment": ""})
    assert response.status_code == 302

    db.session.expire_all()
    assert request.state == "approved"
    team = rows(draw)[uscc]
    assert out not in team and expected in team
    last = draw.bundle["amendments"][-1]
    assert last == {
        "kind": "replacement", "uscc": uscc, "out": out, "in": expected,
        "reason": "回避（利害关系）", "approved_by": "王局长", "at": last["at"],
    }  # fmt: skip
    # The recusal is in the conflict register: later draws exclude the pair.
    conflict = db.session.scalars(select(Conflict)).one()
    assert (conflict.subject.uscc, conflict.inspector.credential_no, conflict.kind) == (
        uscc,
        out,
        "kinship",
    )
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"draw.replacement_request", "draw.replacement_approve", "draw.amend"} <= actions
    assert "conflict.register" in actions
    assert_consistent(db, draw)
    # The public bundle carries the amendment, with the approver's name only.
    public = browser("leader1").get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert public["amendments"][-1]["approved_by"] == "王局长"
    decided = page.get("/replacements").get_data(as_text=True)
    assert "已同意" in decided and names[expected] in decided


def test_a_dept_head_or_back_office_may_file_on_an_inspectors_behalf(db, bureau, drawn):
    first = file(db, drawn, bureau.head)
    second = file(
        db,
        drawn,
        bureau.office,
        place=(drawn.assignments[1].uscc, drawn.assignments[1].credential_no),
    )
    assert first.requested_by_id == bureau.head.id and second.requested_by_id == bureau.office.id


def test_an_inspector_cannot_ask_for_someone_elses_place(db, browser, crew, drawn):
    draw = drawn
    place = draw.assignments[0]
    # Someone who is on the task too (so the page is open to them), just not on that place.
    on_task = {a.credential_no for a in draw.assignments} - {place.credential_no}
    other = next(i for i in crew[1] if i.credential_no in on_task)
    page = browser(other.user.username)
    assert page.get(f"/tasks/{draw.task_id}/draw/replacements").status_code == 200
    before = audit_count(db)
    response = page.post_form(
        f"/tasks/{draw.task_id}/draw/replacements",
        {
            "place": f"{place.uscc}|{place.credential_no}",
            "reason": "health",
            "mode": "replace",
            "explanation": "替别人申请",
        },
    )
    assert response.status_code == 403
    assert count(db, ReplacementRequest) == 0 and audit_count(db) == before


def test_an_inspector_not_on_the_task_cannot_even_see_it(db, browser, bureau, drawn, crew):
    on_task = {a.credential_no for a in drawn.assignments}
    idle = [i for i in crew[1] if i.credential_no not in on_task]
    if idle:
        response = browser(idle[0].user.username).get(f"/tasks/{drawn.task_id}/draw/replacements")
        assert response.status_code == 403
    assert browser("head2").get(f"/tasks/{drawn.task_id}/draw/replacements").status_code == 403
    with pytest.raises(DrawError) as error:
        file(db, drawn, bureau.other_head)
    assert error.value.status == 403


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "vacation"}, "reason"),
        ({"explanation": "   "}, "explanation"),
        ({"mode": "swap", "reason": "health"}, "mode"),
        ({"mode": "redraw"}, "mode"),
    ],
)
def test_bad_requests_are_422_and_write_nothing(db, bureau, drawn, changes, field):
    arguments = {"mode": "replace", "reason": "health", "text": "说明"}
    arguments.update({"text" if k == "explanation" else k: v for k, v in changes.items()})
    with pytest.raises(DrawError) as error:
        file(db, drawn, bureau.head, **arguments)
    db.session.rollback()
    assert error.value.status == 422 and error.value.field == field
    assert count(db, ReplacementRequest) == 0


def test_only_team_members_and_one_pending_request_per_place(db, bureau, drawn):
    draw = drawn
    uscc = draw.assignments[0].uscc
    outsider = next(c for c in draw.pool_members if c not in rows(draw)[uscc])
    with pytest.raises(DrawError, match="不在此对象的检查组中"):
        file(db, draw, bureau.head, place=(uscc, outsider))
    db.session.rollback()
    file(db, draw, bureau.head)
    with pytest.raises(DrawError) as error:
        file(db, draw, bureau.head)
    assert error.value.status == 409


def test_requests_need_a_drawn_draw(db, bureau, crew, approved_task):
    draw = announce(db, approved_task(), bureau.office)
    with pytest.raises(DrawError) as error:
        ops.request_replacement(
            db.session,
            actor=actor_of(bureau.head),
            user=bureau.head,
            draw=draw,
            uscc=draw.population_members[0],
            credential_no=draw.pool_members[0],
            mode="replace",
            reason="health",
            explanation="x",
        )
    assert error.value.status == 409


def test_only_a_leader_decides_and_only_once(db, browser, bureau, drawn, leader):
    request = file(db, drawn, bureau.head)
    assert browser("head1").post_form(f"/replacements/{request.id}/approve").status_code == 403
    with pytest.raises(DrawError) as error:
        approve(db, request, bureau.head)
    assert error.value.status == 403
    db.session.rollback()
    approve(db, request, leader)
    page = browser("leader1")
    assert page.post_form(f"/replacements/{request.id}/approve").status_code == 409
    response = page.post_form(f"/replacements/{request.id}/refuse", {"comment": "晚了"})
    assert response.status_code == 409
    db.session.expire_all()
    assert request.state == "approved" and len(drawn.bundle["amendments"]) == 1


def test_a_refusal_needs_a_comment_and_changes_nothing(db, browser, bureau, drawn, leader):
    request = file(db, drawn, bureau.head)
    teams, bundle = rows(drawn), dict(drawn.bundle)
    page = browser("leader1")
    response = page.post_form(f"/replacements/{request.id}/refuse", {"comment": " "})
    assert response.status_code == 422 and "不同意时请填写理由" in response.get_data(as_text=True)
    response = page.post_form(f"/replacements/{request.id}/refuse", {"comment": "任务紧，克服一下"})
    assert response.status_code == 302
    db.session.expire_all()
    assert request.state == "refused" and request.decision_comment == "任务紧，克服一下"
    assert rows(drawn) == teams and drawn.bundle == bundle
    assert count(db, Conflict) == 0
    decided = browser("head1").get("/replacements").get_data(as_text=True)
    assert "未同意" in decided and "任务紧，克服一下" in decided


def test_a_swap_trades_objects_with_the_documented_partner(db, bureau, drawn, leader):
    draw = drawn
    place = draw.assignments[0]
    uscc, out = place.uscc, place.credential_no
    other, partner = ops.matching_now(draw).swap_partner(uscc, out)
    loads = dict(ops.matching_now(draw).loads)
    request = file(db, draw, bureau.head, place=(uscc, out), mode="swap", reason="recusal")
    approve(db, request, leader)
    db.session.expire_all()
    assert partner in rows(draw)[uscc] and out in rows(draw)[other]
    assert out not in rows(draw)[uscc]
    assert ops.matching_now(draw).loads == loads
    amendment = draw.bundle["amendments"][-1]
    assert (amendment["kind"], amendment["with_uscc"], amendment["in"]) == ("swap", other, partner)
    assert_consistent(db, draw)


def test_a_withdrawal_leaves_the_whole_task(db, bureau, drawn, leader):
    draw = drawn
    held = {}
    for a in draw.assignments:
        held.setdefault(a.credential_no, []).append(a.uscc)
    out = max(held, key=lambda c: len(held[c]))
    request = file(
        db, draw, bureau.head, place=(held[out][0], out), mode="withdraw", reason="job_change"
    )
    approve(db, request, leader)
    db.session.expire_all()
    kinds = [a["kind"] for a in draw.bundle["amendments"]]
    assert kinds == ["withdrawal"] + ["replacement"] * len(held[out])
    assert all(out not in team for team in rows(draw).values())
    assert_consistent(db, draw)
    # Gone for good: nobody can file for that inspector on this task any more.
    with pytest.raises(DrawError):
        file(db, draw, bureau.head, place=(held[out][0], out))


def test_the_lead_leaving_clears_the_lead(db, browser, bureau, drawn, leader):
    draw = drawn
    place = draw.assignments[0]
    designate_team_lead(
        db.session,
        actor=actor_of(bureau.head),
        draw=draw,
        uscc=place.uscc,
        credential_no=place.credential_no,
        user=bureau.head,
    )
    db.session.commit()
    request = file(db, draw, bureau.head, place=(place.uscc, place.credential_no))
    page = browser("leader1")
    response = page.post_form(f"/replacements/{request.id}/approve", follow_redirects=True)
    assert "请科室负责人重新指定组长" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not any(a.is_team_lead for a in draw.assignments if a.uscc == place.uscc)


def test_an_incoming_with_a_conflict_registered_after_the_draw_is_refused(
    db, bureau, crew, drawn, leader
):
    draw = drawn
    place = draw.assignments[0]
    incoming = ops.matching_now(draw).replacement_for(place.uscc, place.credential_no)
    subject = next(s for s in crew[0] if s.uscc == place.uscc)
    person = next(i for i in crew[1] if i.credential_no == incoming)
    db.session.add(Conflict(inspector_id=person.id, subject_id=subject.id, kind="shareholding"))
    db.session.commit()
    request = file(db, draw, bureau.head, place=(place.uscc, place.credential_no))
    with pytest.raises(DrawError) as error:
        approve(db, request, leader)
    assert error.value.status == 409
    db.session.rollback()
    db.session.expire_all()
    assert request.state == "pending" and draw.bundle["amendments"] == []


# ---- alternates ---------------------------------------------------------------------------


def use(db, draw, user, uscc, reason="deregistered", note=None):
    result = ops.request_alternate(
        db.session, actor=actor_of(user), user=user, draw=draw, uscc=uscc, reason=reason, note=note
    )
    db.session.commit()
    return result


def test_the_dept_head_uses_the_next_alternate_with_a_new_team_and_visit(db, bureau, drawn):
    draw = drawn
    gone = draw.assignments[0].uscc
    alternates = [s.uscc for s in draw.selections if s.is_alternate]
    expected = dsr.plan_alternate(ops.matching_now(draw), alternates, [], gone)
    result = use(db, draw, bureau.head, gone)
    db.session.expire_all()
    assert result.state == "approved" and result.uscc == alternates[0] == expected[0]
    assert gone not in rows(draw) and rows(draw)[alternates[0]] == expected[1]
    amendment = draw.bundle["amendments"][-1]
    assert amendment["kind"] == "alternate" and amendment["reason"] == "已注销"
    assert amendment["inspectors"] == expected[1]
    links = {link.subject_id for link in db.session.scalars(select(VisitTask))}
    assert result.subject_id in links and result.replaced_subject_id not in links
    cancelled = db.session.scalars(select(Visit).where(Visit.uscc == gone)).one()
    assert cancelled.state == "cancelled"
    assert_consistent(db, draw)


def test_a_back_office_request_waits_for_the_dept_head(db, browser, bureau, drawn):
    draw = drawn
    gone = draw.assignments[0].uscc
    page = browser("office1")
    response = page.post_form(
        f"/tasks/{draw.task_id}/draw/alternates",
        {"uscc": gone, "reason": "unreachable", "note": "三次上门无人，电话停机"},
    )
    assert response.status_code == 302
    pending = db.session.scalars(select(AlternateUse)).one()
    assert pending.state == "pending" and draw.bundle["amendments"] == []
    assert page.post_form(f"/alternates/{pending.id}/approve").status_code == 403
    head = browser("head1")
    assert "三次上门无人" in head.get("/replacements/queue").get_data(as_text=True)
    assert head.post_form(f"/alternates/{pending.id}/approve").status_code == 302
    db.session.expire_all()
    assert pending.state == "approved" and gone not in rows(draw)
    assert head.post_form(f"/alternates/{pending.id}/approve").status_code == 409
    assert_consistent(db, draw)


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [("moved_away", None, "reason"), ("", None, "reason"), ("unreachable", "  ", "note")],
)
def test_alternates_only_for_the_listed_reasons(db, bureau, drawn, reason, note, field):
    before = audit_count(db)
    with pytest.raises(DrawError) as error:
        use(db, drawn, bureau.head, drawn.assignments[0].uscc, reason=reason, note=note)
    db.session.rollback()
    assert error.value.status == 422 and error.value.field == field
    assert count(db, AlternateUse) == 0 and audit_count(db) == before


def test_alternates_are_for_the_departments_staff_only(db, browser, bureau, drawn, crew):
    member = crew[1][0].user.username
    for username in ("head2", member):
        response = browser(username).post_form(
            f"/tasks/{drawn.task_id}/draw/alternates",
            {"uscc": drawn.assignments[0].uscc, "reason": "closed"},
        )
        assert response.status_code == 403
    assert count(db, AlternateUse) == 0


def test_alternates_run_out_with_a_clear_error(db, browser, bureau, drawn):
    draw = drawn
    for _ in range(draw.m):
        use(db, draw, bureau.head, draw.assignments[0].uscc, reason="closed")
        assert_consistent(db, draw)
    before = len(draw.bundle["amendments"])
    response = browser("head1").post_form(
        f"/tasks/{draw.task_id}/draw/alternates",
        {"uscc": draw.assignments[0].uscc, "reason": "closed"},
    )
    assert response.status_code == 409
    assert "备选对象已全部使用" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(draw.bundle["amendments"]) == before


def test_a_long_mixed_history_keeps_every_invariant(db, bureau, drawn, leader):
    """Replacements, swaps, a withdrawal and alternates in turn; check everything each time."""
    draw = drawn
    steps = [
        ("replace", "health"),
        ("alternate", "closed"),
        ("swap", "recusal"),
        ("replace", "work_conflict"),
        ("alternate", "deregistered"),
        ("withdraw", "job_change"),
        ("swap", "recusal"),
    ]
    for number, (mode, reason) in enumerate(steps):
        db.session.expire_all()
        place = sorted(draw.assignments, key=lambda a: a.position)[number % len(draw.assignments)]
        if mode == "alternate":
            use(db, draw, bureau.head, place.uscc, reason=reason)
        else:
            request = file(
                db, draw, bureau.head, place=(place.uscc, place.credential_no), mode=mode,
                reason=reason,
            )  # fmt: skip
            proposal = ops.propose(draw, request)
            if "error" in proposal:  # e.g. no partner left: refused, nothing changes
                continue
            approve(db, request, leader)
            db.session.expire_all()
            for move in proposal["moves"]:
                assert move["in"] in rows(draw)[move["uscc"]]
        assert_consistent(db, draw)
    assert {a["kind"] for a in draw.bundle["amendments"]} >= {"replacement", "alternate"}
