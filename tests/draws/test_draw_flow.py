"""Announce → draw → public bundle that the standalone verifier accepts; refusals write nothing."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for as actor_of
from server.directory.models import Conflict
from server.draws import operations
from server.draws.models import Draw, DrawAssignment, DrawSelection
from server.draws.operations import DrawError
from tests.draws.support import run_verifier

WITNESS = "3 6 1 5 2 / 王某 李某"


def announce(db, task, user):
    draw = operations.announce_draw(db.session, actor=actor_of(user), task=task, user=user)
    db.session.commit()
    return draw


def run(db, draw, user, witness=WITNESS):
    operations.draw_objects(
        db.session, actor=actor_of(user), draw=draw, witness_input=witness, user=user
    )
    db.session.commit()
    return draw


def verify(tmp_path, bundle: dict):
    return run_verifier(bundle, tmp_path)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_public_bundle_of_a_drawn_task_passes_the_verifier(
    db, client, tmp_path, bureau, scene, approved_task
):
    task = approved_task()
    draw = run(db, announce(db, task, bureau.office), bureau.head)
    response = client.get(f"/api/v1/public/draws/{draw.id}/bundle")
    assert response.status_code == 200
    bundle = response.get_json()
    assert set(bundle) == {
        "protocol", "draw_id", "task", "announced_at", "drawn_at", "rules", "population",
        "randomness", "seed", "selected", "alternates", "matching", "amendments",
    }  # fmt: skip
    assert bundle["draw_id"] == str(draw.id) and bundle["population"]["n"] == 8
    assert len(bundle["selected"]) == 3 and len(bundle["alternates"]) == 5
    result = verify(tmp_path, bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    assert task.state == "matched"


def test_the_auditors_bundle_recomputes_the_teams(db, tmp_path, bureau, scene, approved_task):
    subjects, inspectors = scene
    db.session.add(Conflict(inspector_id=inspectors[0].id, subject_id=subjects[0].id, kind="other"))
    db.session.commit()
    draw = run(db, announce(db, approved_task(), bureau.office), bureau.head)
    bundle = operations.internal_bundle(draw)
    assert bundle["conflicts"] == [
        {"uscc": subjects[0].uscc, "inspector": inspectors[0].credential_no}
    ]
    result = verify(tmp_path, bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not recomputed" not in result.stdout


def test_the_secret_is_published_only_after_the_draw(db, client, bureau, scene, approved_task):
    draw = announce(db, approved_task(), bureau.office)
    secret = draw.secret_hex
    before = client.get(f"/api/v1/public/draws/{draw.id}/bundle")
    page = client.get(f"/public/draws/{draw.id}")
    assert before.status_code == 200 and page.status_code == 200
    assert before.get_json()["randomness"]["secret"] is None
    assert before.get_json()["randomness"]["commitment"] == draw.commitment
    assert secret not in before.get_data(as_text=True)
    assert secret not in page.get_data(as_text=True)
    assert draw.commitment in page.get_data(as_text=True)

    run(db, draw, bureau.head)
    after = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    page = client.get(f"/public/draws/{draw.id}").get_data(as_text=True)
    assert after["randomness"]["secret"] == secret
    assert after["randomness"]["witness_input"] == WITNESS
    assert secret in page and "如何核验本次抽取" in page and "python verify.py bundle.json" in page


def test_the_public_page_names_the_selected_subjects_and_the_teams(
    db, client, bureau, scene, approved_task
):
    subjects, inspectors = scene
    draw = run(db, announce(db, approved_task(), bureau.office), bureau.head)
    page = client.get(f"/public/draws/{draw.id}").get_data(as_text=True)
    by_uscc = {s.uscc: s for s in subjects}
    for selection in draw.selections:
        assert by_uscc[selection.uscc].name in page and selection.uscc in page
    names = {i.credential_no: i.name for i in inspectors}
    for assignment in draw.assignments:
        assert f"{names[assignment.credential_no]}（{assignment.credential_no}）" in page


def test_conflicts_stay_out_of_the_public_bundle_but_bind_the_matching(
    db, client, bureau, scene, approved_task
):
    subjects, inspectors = scene
    # Every subject conflicts with the first inspector: she may be on no team at all.
    for subject in subjects:
        db.session.add(Conflict(inspector_id=inspectors[0].id, subject_id=subject.id, kind="other"))
    db.session.commit()
    draw = run(db, announce(db, approved_task(), bureau.office), bureau.head)
    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert "conflicts" not in bundle
    assert inspectors[0].credential_no in bundle["matching"]["pool"]
    members = {c for team in bundle["matching"]["teams"] for c in team["inspectors"]}
    assert inspectors[0].credential_no not in members
    assert all(len(team["inspectors"]) == 2 for team in bundle["matching"]["teams"])


def test_an_inspector_whose_credential_expires_in_the_window_is_not_in_the_pool(
    db, bureau, scene, make_inspector, approved_task
):
    import datetime as dt

    expiring = make_inspector(
        department=bureau.department, credential_valid_until=dt.date(2026, 12, 15)
    )
    draw = announce(db, approved_task(), bureau.office)
    assert expiring.credential_no not in draw.pool_members
    assert len(draw.pool_members) == 5


def test_a_targeted_task_draws_only_from_subjects_matching_its_filters(
    db, bureau, scene, make_subject, approved_task
):
    shops = [make_subject(departments=[bureau.department], kind="individual") for _ in range(3)]
    make_subject(kind="individual")  # outside the department's scope
    task = approved_task(targeting="targeted", target_kinds=["individual"])
    draw = announce(db, task, bureau.office)
    assert draw.population_members == sorted(s.uscc for s in shops)
    assert "个体工商户" in draw.filters_text


def test_deregistered_subjects_and_those_drawn_twice_this_year_are_excluded(
    db, bureau, scene, make_subject, approved_task
):
    closed = make_subject(departments=[bureau.department], status="deregistered")
    risky = make_subject(departments=[bureau.department], risk_flags=["complaints"])
    # Two earlier draws of this year take the whole population (k = 9): all reach the cap.
    for _ in range(2):
        run(db, announce(db, approved_task(sample_count="9"), bureau.office), bureau.head)
    fresh = make_subject(departments=[bureau.department])
    draw = announce(db, approved_task(), bureau.office)
    assert closed.uscc not in draw.population_members
    # Only the high-risk subject may exceed the yearly cap.
    assert draw.population_members == sorted([fresh.uscc, risky.uscc])


def test_nothing_to_draw_is_refused_and_nothing_is_written(db, bureau, approved_task):
    task = approved_task()
    with pytest.raises(DrawError, match="没有符合条件的检查对象"):
        operations.announce_draw(
            db.session, actor=actor_of(bureau.office), task=task, user=bureau.office
        )
    db.session.rollback()
    assert count(db, Draw) == 0 and task.state == "approved"


def test_a_pool_smaller_than_the_team_is_refused(
    db, bureau, make_subject, make_inspector, approved_task
):
    make_subject(departments=[bureau.department])
    make_inspector(department=bureau.department)
    with pytest.raises(DrawError, match="少于每组人数"):
        operations.announce_draw(
            db.session, actor=actor_of(bureau.office), task=approved_task(), user=bureau.office
        )


def test_an_empty_witness_input_is_refused_on_the_console(
    db, browser, bureau, scene, approved_task
):
    task = approved_task()
    draw = announce(db, task, bureau.office)
    response = browser("head1").post_form(f"/tasks/{task.id}/draw/run", {"witness_input": "  \n "})
    assert response.status_code == 422
    assert "请由在场人员输入见证输入" in response.get_data(as_text=True)
    db.session.expire_all()
    assert draw.state == "announced" and count(db, DrawSelection) == 0


def test_too_few_inspectors_after_conflicts_is_refused_with_nothing_written(
    db, bureau, make_subject, make_inspector, approved_task
):
    subject = make_subject(departments=[bureau.department])
    inspectors = [make_inspector(department=bureau.department) for _ in range(2)]
    db.session.add(Conflict(inspector_id=inspectors[0].id, subject_id=subject.id, kind="other"))
    db.session.commit()
    draw = announce(db, approved_task(), bureau.office)
    with pytest.raises(DrawError, match="可派的检查人员"):
        run(db, draw, bureau.head)
    db.session.rollback()
    assert draw.state == "announced" and count(db, DrawAssignment) == 0


def test_a_drawn_draw_cannot_be_run_again(db, bureau, scene, approved_task):
    draw = run(db, announce(db, approved_task(), bureau.office), bureau.head)
    with pytest.raises(DrawError, match="不能重新抽取"):
        run(db, draw, bureau.head, witness="再来一次")


def test_the_console_announces_and_draws(db, browser, bureau, scene, approved_task):
    task = approved_task()
    office = browser("office1")
    assert "发布抽取公告" in office.get(f"/tasks/{task.id}/draw").get_data(as_text=True)
    assert office.post_form(f"/tasks/{task.id}/draw/announce").status_code == 302
    page = office.get(f"/tasks/{task.id}/draw").get_data(as_text=True)
    assert 'name="witness_input"' in page
    response = office.post_form(f"/tasks/{task.id}/draw/run", {"witness_input": WITNESS})
    assert response.status_code == 302
    page = office.get(f"/tasks/{task.id}/draw").get_data(as_text=True)
    assert "抽中的检查对象" in page and "指定组长" not in page  # designation is the head's
    db.session.expire_all()
    assert task.state == "matched"


@pytest.mark.parametrize("username", ["head2", "insp1"])
def test_others_may_neither_announce_nor_draw(db, browser, bureau, scene, approved_task, username):
    task = approved_task()
    assert browser(username).post_form(f"/tasks/{task.id}/draw/announce").status_code == 403
    announce(db, task, bureau.office)
    response = browser(username).post_form(f"/tasks/{task.id}/draw/run", {"witness_input": "x"})
    assert response.status_code == 403
    assert count(db, DrawSelection) == 0


def test_an_admin_may_announce(db, browser, bureau, scene, approved_task):
    task = approved_task()
    assert browser("admin1").post_form(f"/tasks/{task.id}/draw/announce").status_code == 302
    assert count(db, Draw) == 1


def test_the_head_designates_one_lead_per_subject(db, browser, bureau, scene, approved_task):
    task = approved_task()
    draw = run(db, announce(db, task, bureau.office), bureau.head)
    uscc = draw.assignments[0].uscc
    team = [a.credential_no for a in draw.assignments if a.uscc == uscc]
    bundle_before = operations.public_bundle(draw)
    head = browser("head1")
    for credential in team:  # changing one's mind leaves exactly one lead
        response = head.post_form(
            f"/tasks/{task.id}/draw/lead", {"uscc": uscc, "credential_no": credential}
        )
        assert response.status_code == 302
    db.session.expire_all()
    leads = [a.credential_no for a in draw.assignments if a.uscc == uscc and a.is_team_lead]
    assert leads == [team[-1]]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "draw.designate_lead")
    ).all()
    assert len(events) == len(team)
    # The lead is a human decision: the frozen public bundle does not change.
    assert operations.public_bundle(draw) == bundle_before


@pytest.mark.parametrize("username", ["office1", "head2"])
def test_only_the_departments_head_designates_a_lead(
    db, browser, bureau, scene, approved_task, username
):
    task = approved_task()
    draw = run(db, announce(db, task, bureau.office), bureau.head)
    first = draw.assignments[0]
    response = browser(username).post_form(
        f"/tasks/{task.id}/draw/lead", {"uscc": first.uscc, "credential_no": first.credential_no}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert not any(a.is_team_lead for a in draw.assignments)


def test_a_lead_must_be_on_the_subjects_team(db, browser, bureau, scene, approved_task):
    task = approved_task()
    draw = run(db, announce(db, task, bureau.office), bureau.head)
    uscc = draw.assignments[0].uscc
    outsider = next(
        c
        for c in draw.pool_members
        if c not in {a.credential_no for a in draw.assignments if a.uscc == uscc}
    )
    response = browser("head1").post_form(
        f"/tasks/{task.id}/draw/lead", {"uscc": uscc, "credential_no": outsider}
    )
    assert response.status_code == 422
    assert "不在此对象的检查组中" in response.get_data(as_text=True)


def test_announce_and_draw_are_audited_without_the_secret(db, bureau, scene, approved_task):
    draw = run(db, announce(db, approved_task(), bureau.office), bureau.head)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "draw").order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["draw.announce", "draw.draw"]
    assert all(draw.secret_hex not in json.dumps(e.details, default=str) for e in events)
    task_actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "task")
    ).all()
    assert {"task.announce", "task.mark_drawn", "task.mark_matched"} <= set(task_actions)


def test_the_public_list_shows_draws_newest_first(db, client, bureau, scene, approved_task):
    first = announce(db, approved_task(name="第一次抽查"), bureau.office)
    second = announce(db, approved_task(name="第二次抽查"), bureau.office)
    listed = client.get("/api/v1/public/draws").get_json()
    assert {d["id"] for d in listed} == {str(first.id), str(second.id)}
    assert listed[0]["announced_at"] >= listed[1]["announced_at"]
    page = client.get("/public/draws").get_data(as_text=True)
    assert "第一次抽查" in page and "第二次抽查" in page
    assert re.search(r"/api/v1/public/draws/[0-9a-f-]{36}/bundle", listed[0]["bundle_url"])


def test_the_draw_api_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/public/draws" in paths and "/api/v1/public/draws/{draw_id}/bundle" in paths


def test_the_verifier_files_are_downloadable(client):
    response = client.get("/public/draws/tools/verify.py")
    assert response.status_code == 200 and "def main" in response.get_data(as_text=True)
    assert client.get("/public/draws/tools/settings.py").status_code == 404


def test_auditors_download_the_internal_bundle_and_the_public_cannot(
    db, client, browser, bureau, scene, approved_task, tmp_path
):
    subjects, inspectors = scene
    db.session.add(Conflict(inspector_id=inspectors[1].id, subject_id=subjects[2].id, kind="other"))
    db.session.commit()
    task = approved_task()
    run(db, announce(db, task, bureau.office), bureau.head)
    path = f"/tasks/{task.id}/draw/internal-bundle.json"
    internal = browser("head1").get(path)
    assert internal.status_code == 200
    assert internal.get_json()["conflicts"] == [
        {"uscc": subjects[2].uscc, "inspector": inspectors[1].credential_no}
    ]
    assert verify(tmp_path, internal.get_json()).returncode == 0
    assert browser("office1").get(path).status_code == 403
    assert client.get(path).status_code == 302  # to the sign-in page


def test_an_unknown_draw_is_not_found(client):
    assert client.get("/public/draws/not-a-uuid").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/public/draws/{missing}").status_code == 404
    assert client.get(f"/api/v1/public/draws/{missing}/bundle").status_code == 404
