"""GET /api/v1/sync/pull: scope, shape, incremental changes, deletes, resets, authentication."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from server.audit.operations import SYSTEM
from server.auth.models import Device
from server.auth.operations import actor_for
from server.directory import operations as directory_ops
from server.draws import replacements
from server.draws.models import DrawAssignment
from server.orm import utcnow
from server.visits import merges
from server.visits.models import MERGED, PLANNED, MergeProposal, Visit, VisitTask
from sync import changes
from sync.feed_models import SyncChange
from tests.syncapi.conftest import draw_of, ids, issue, nothing_changed

COLLECTIONS = {
    "visits", "tasks", "items", "subjects", "checklists", "credential", "records", "comments",
}  # fmt: skip


def team_visits(db, inspector) -> set[str]:
    """Ids of planned visits whose (draw, subject) team includes `inspector`, from the tables."""
    stmt = (
        select(Visit.id)
        .join(VisitTask, VisitTask.visit_id == Visit.id)
        .join(
            DrawAssignment,
            (DrawAssignment.draw_id == VisitTask.draw_id)
            & (DrawAssignment.subject_id == VisitTask.subject_id),
        )
        .where(DrawAssignment.inspector_id == inspector.id, Visit.state == PLANNED)
    )
    return {str(v) for v in db.session.scalars(stmt)}


def on_a_team(db, scene):
    """(inspector, user) of the first inspector who is on at least one team."""
    for inspector, user in zip(scene.inspectors, scene.users, strict=True):
        if team_visits(db, inspector):
            return inspector, user
    raise AssertionError("nobody drawn")


def test_a_full_pull_sends_the_inspectors_issued_visits_with_everything_needed_on_site(
    db, scene, drawn_task, device, pull
):
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    inspector, user = on_a_team(db, scene)
    body = pull(device(user), 0)

    assert set(body) == {"cursor", "reset", "last_mutation_seq", "server_time", "changes"}
    assert body["reset"] is False and body["last_mutation_seq"] == 0 and body["cursor"] > 0
    assert set(body["changes"]) == COLLECTIONS
    assert all(c["deletes"] == [] for c in body["changes"].values())
    assert ids(body, "visits") == team_visits(db, inspector)

    visit = body["changes"]["visits"]["upserts"][0]
    assert set(visit) == {
        "id", "subject_id", "uscc", "year", "state", "window_start", "window_end",
        "sections", "merged_from", "i_am_lead", "credential_url",
    }  # fmt: skip
    assert visit["credential_url"].startswith("http://localhost/c/")  # tests/credentials
    assert visit["state"] == "planned" and visit["window_end"] == "2026-12-31"
    (section,) = visit["sections"]
    assert section["task_id"] == str(task.id)
    team = section["team"]
    assert len(team) == 2 and sum(m["is_lead"] for m in team) == 1
    assert [m for m in team if m["is_me"]] == [
        {
            "credential_no": inspector.credential_no,
            "name": inspector.name,
            "is_lead": visit["i_am_lead"],
            "is_me": True,
        }
    ]

    (task_row,) = body["changes"]["tasks"]["upserts"]
    assert task_row["id"] == str(task.id) and task_row["number"] == task.number
    assert task_row["name"] == task.name and task_row["state"] == "issued"
    assert task_row["department"] == {
        "id": str(scene.a.department.id),
        "name": scene.a.department.name,
    }
    assert (task_row["window_start"], task_row["window_end"]) == ("2026-12-01", "2026-12-31")
    assert task_row["methods"] == ["onsite"]
    assert task_row["workflow_notes"] == "出示证件，送达告知书，逐项检查"
    assert task_row["checklist_id"] == str(scene.a.checklist.id)

    (item,) = body["changes"]["items"]["upserts"]
    assert task_row["item_ids"] == [item["id"]] == [str(scene.a.item.current_version_id)]
    assert item["code"] == "SWJ-001" and item["name"] == "商贸流通科检查事项"
    assert item["content"] == "台账" and item["legal_basis"] and "methods" in item

    subjects = {s["id"]: s for s in body["changes"]["subjects"]["upserts"]}
    assert set(subjects) == {v["subject_id"] for v in body["changes"]["visits"]["upserts"]}
    subject = next(s for s in scene.subjects if str(s.id) == visit["subject_id"])
    assert subjects[visit["subject_id"]] == {
        "id": str(subject.id),
        "uscc": subject.uscc,
        "name": subject.name,
        "kind": subject.kind,
        "address": subject.address,
        "legal_rep": subject.legal_rep,
        "contact_name": subject.contact_name,
        "contact_phone": subject.contact_phone,
    }

    (checklist,) = body["changes"]["checklists"]["upserts"]
    assert checklist["id"] == str(scene.a.checklist.id)
    assert [q["text"] for q in checklist["questions"]] == ["是否建立台账？"]

    (credential,) = body["changes"]["credential"]["upserts"]
    # The QR URL, photo and bureau contact are checked in tests/credentials.
    assert credential.pop("credential_url").startswith("http://localhost/c/")
    assert credential.pop("photo_url") is None
    assert credential.pop("bureau")["name"] == "威海经济技术开发区商务局"
    assert credential == {
        "id": str(inspector.id),
        "name": inspector.name,
        "credential_no": inspector.credential_no,
        "issuer": inspector.credential_issuer,
        "valid_from": inspector.credential_valid_from.isoformat(),
        "valid_until": inspector.credential_valid_until.isoformat(),
        "department": scene.a.department.name,
    }


def test_the_pull_is_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/sync/pull"]["get"]
    assert "401" in operation["responses"]
    assert {"VisitRow", "TaskRow", "ItemRow", "SubjectRow", "ChecklistRow"} <= set(
        spec["components"]["schemas"]
    )


def test_visits_of_a_task_not_yet_issued_are_not_sent_until_it_is(
    db, scene, drawn_task, device, pull
):
    task = drawn_task(scene.a)
    inspector, user = on_a_team(db, scene)
    token = device(user)
    first = pull(token)  # no cursor: a full pull
    assert first["reset"] is False and nothing_changed(first) is False  # the credential
    assert first["changes"]["visits"]["upserts"] == [] and ids(first, "tasks") == set()
    # With no visit yet, the inspector's own credential still follows its changes.
    directory_ops.update_inspector(
        db.session, actor=SYSTEM, inspector=inspector, data={"credential_issuer": "威海市政府"}
    )
    db.session.commit()
    renewed = pull(token, first["cursor"])
    assert [c["issuer"] for c in renewed["changes"]["credential"]["upserts"]] == ["威海市政府"]
    assert renewed["changes"]["visits"]["upserts"] == []

    issue(db, scene.a, task)
    second = pull(token, renewed["cursor"])
    assert second["cursor"] > first["cursor"]
    assert ids(second, "visits") == team_visits(db, inspector)
    assert ids(second, "tasks") == {str(task.id)}
    assert ids(second, "items") == {str(scene.a.item.current_version_id)}
    assert ids(second, "checklists") == {str(scene.a.checklist.id)}
    assert len(ids(second, "subjects")) == len(ids(second, "visits"))
    assert second["changes"]["credential"]["upserts"] == []  # unchanged since the first pull


def test_an_incremental_pull_sends_only_what_changed(db, scene, drawn_task, device, pull):
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    inspector, user = on_a_team(db, scene)
    token = device(user)
    full = pull(token, 0)
    unchanged = pull(token, full["cursor"])
    assert nothing_changed(unchanged) and unchanged["cursor"] == full["cursor"]
    assert set(unchanged["changes"]) == COLLECTIONS and unchanged["reset"] is False

    # A subject's address changes: only that subject is sent.
    visit = full["changes"]["visits"]["upserts"][0]
    subject = next(s for s in scene.subjects if str(s.id) == visit["subject_id"])
    data = {"address": "新地址路1号"}
    directory_ops.update_subject(db.session, actor=SYSTEM, subject=subject, data=data)
    db.session.commit()
    after_address = pull(token, full["cursor"])
    assert after_address["cursor"] > full["cursor"]
    assert ids(after_address, "subjects") == {visit["subject_id"]}
    assert after_address["changes"]["subjects"]["upserts"][0]["address"] == "新地址路1号"
    assert all(
        after_address["changes"][c]["upserts"] == []
        for c in ("visits", "tasks", "items", "checklists")
    )

    # Another member becomes the lead of this visit's team: the visit comes again (with what
    # it needs), the inspector's other visits do not.
    draw = draw_of(db, task)
    team = [a for a in draw.assignments if str(a.subject_id) == visit["subject_id"]]
    new_lead = next(a for a in team if not a.is_team_lead)
    from server.draws.operations import designate_team_lead

    designate_team_lead(
        db.session,
        actor=actor_for(scene.a.head),
        draw=draw,
        uscc=new_lead.uscc,
        credential_no=new_lead.credential_no,
        user=scene.a.head,
    )
    db.session.commit()
    after_lead = pull(token, after_address["cursor"])
    assert ids(after_lead, "visits") == {visit["id"]}
    leads = [m for m in after_lead["changes"]["visits"]["upserts"][0]["sections"][0]["team"]]
    assert [m["credential_no"] for m in leads if m["is_lead"]] == [new_lead.credential_no]
    assert ids(after_lead, "tasks") == {str(task.id)}
    assert nothing_changed(pull(token, after_lead["cursor"]))

    # The inspector's own credential is renewed: only the credential row comes.
    fresh = {"credential_valid_until": dt.date(2030, 6, 30)}
    directory_ops.update_inspector(db.session, actor=SYSTEM, inspector=inspector, data=fresh)
    db.session.commit()
    renewed = pull(token, after_lead["cursor"])
    assert renewed["changes"]["credential"]["upserts"][0]["valid_until"] == "2030-06-30"
    assert all(renewed["changes"][c]["upserts"] == [] for c in ("tasks", "subjects", "items"))


def test_a_replacement_approved_while_the_phone_is_offline_moves_the_visit(
    db, scene, drawn_task, device, pull
):
    task = drawn_task(scene.a)
    draw = issue(db, scene.a, task)
    leaving, leaving_user = on_a_team(db, scene)
    tokens = {u.username: device(u) for u in scene.users}
    before = {u.username: pull(tokens[u.username], 0) for u in scene.users}
    mine = team_visits(db, leaving)
    held = next(a for a in draw.assignments if a.inspector_id == leaving.id)
    # The row itself will change hands: keep what identifies the place.
    uscc, position, subject_id = held.uscc, held.position, held.subject_id

    request = replacements.request_replacement(
        db.session,
        actor=actor_for(leaving_user),
        user=leaving_user,
        draw=draw,
        uscc=uscc,
        credential_no=leaving.credential_no,
        mode="replace",
        reason="recusal",
        explanation="该企业法定代表人系本人亲属，申请回避。",
        conflict_kind="kinship",
    )
    replacements.approve_request(
        db.session, actor=actor_for(scene.leader), user=scene.leader, request=request
    )
    db.session.commit()
    db.session.refresh(draw)
    moved = next(
        str(v.visit_id)
        for v in db.session.scalars(
            select(VisitTask).where(
                VisitTask.draw_id == draw.id, VisitTask.subject_id == subject_id
            )
        )
    )
    incoming = next(a for a in draw.assignments if a.uscc == uscc and a.position == position)
    assert incoming.inspector_id != leaving.id
    teammates = {a.inspector_id for a in draw.assignments if a.uscc == uscc}
    newcomer_user = scene.user_of(incoming.credential_no)

    gone = pull(tokens[leaving_user.username], before[leaving_user.username]["cursor"])
    assert gone["changes"]["visits"]["deletes"] == [moved]
    assert moved not in ids(gone, "visits")
    assert team_visits(db, leaving) == mine - {moved}
    assert gone["changes"]["subjects"]["deletes"] == [str(subject_id)]
    if not team_visits(db, leaving):  # no visit of the task left: the task goes too
        assert gone["changes"]["tasks"]["deletes"] == [str(task.id)]

    came = pull(tokens[newcomer_user.username], before[newcomer_user.username]["cursor"])
    assert moved in ids(came, "visits") and came["changes"]["visits"]["deletes"] == []
    assert str(subject_id) in ids(came, "subjects") and str(task.id) in ids(came, "tasks")
    row = next(v for v in came["changes"]["visits"]["upserts"] if v["id"] == moved)
    assert incoming.credential_no in {m["credential_no"] for m in row["sections"][0]["team"]}
    assert leaving.credential_no not in {m["credential_no"] for m in row["sections"][0]["team"]}

    # Nobody else learns anything about it.
    bystanders = [
        user
        for inspector, user in zip(scene.inspectors, scene.users, strict=True)
        if inspector.id not in teammates | {leaving.id}
    ]
    assert bystanders
    for user in bystanders:
        assert nothing_changed(pull(tokens[user.username], before[user.username]["cursor"]))


def test_a_merge_deletes_the_absorbed_visit_and_sends_the_survivor_with_both_tasks(
    db, scene, drawn_task, device, pull
):
    first = drawn_task(scene.a, "12-01", "12-31")
    second = drawn_task(scene.b, "12-10", "12-31")
    issue(db, scene.a, first)
    issue(db, scene.b, second)
    proposal = db.session.scalars(select(MergeProposal).order_by(MergeProposal.created_at)).first()
    survivor_id, absorbed_id = proposal.visit_ids[0], proposal.visit_ids[1]
    absorbed = db.session.get(Visit, uuid.UUID(absorbed_id))
    (absorbed_link,) = absorbed.tasks
    team = db.session.scalars(
        select(DrawAssignment).where(
            DrawAssignment.draw_id == absorbed_link.draw_id,
            DrawAssignment.subject_id == absorbed_link.subject_id,
        )
    ).all()
    member = team[0]
    user = scene.user_of(member.credential_no)
    token = device(user)
    before = pull(token, 0)
    assert absorbed_id in ids(before, "visits")

    merges.confirm(db.session, actor_for(scene.a.head), scene.a.head, proposal)
    merges.confirm(db.session, actor_for(scene.b.head), scene.b.head, proposal)
    db.session.commit()
    assert db.session.get(Visit, uuid.UUID(absorbed_id)).state == MERGED

    after = pull(token, before["cursor"])
    assert after["changes"]["visits"]["deletes"] == [absorbed_id]
    assert survivor_id in ids(after, "visits")
    survivor = next(v for v in after["changes"]["visits"]["upserts"] if v["id"] == survivor_id)
    assert [s["task_id"] for s in survivor["sections"]] == [str(first.id), str(second.id)]
    assert survivor["merged_from"] == [absorbed_id]
    assert survivor["window_start"] == "2026-12-10"
    assert {str(first.id), str(second.id)} <= ids(after, "tasks")
    # The task and subject stay (the survivor carries them): no delete for them.
    assert after["changes"]["tasks"]["deletes"] == []
    assert after["changes"]["subjects"]["deletes"] == []


def test_an_unknown_or_compacted_cursor_answers_reset_with_everything(
    db, scene, drawn_task, device, pull
):
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    inspector, user = on_a_team(db, scene)
    token = device(user)
    full = pull(token, 0)
    everything = ids(full, "visits")
    for cursor in (full["cursor"] + 1, -1, "abc", "1.5", "9" * 30):
        body = pull(token, cursor)
        assert body["reset"] is True and body["cursor"] == full["cursor"]
        assert ids(body, "visits") == everything
    assert pull(token, full["cursor"])["reset"] is False
    assert pull(token, "")["reset"] is False  # blank: a first pull

    # Later changes, then everything older than the retention period is compacted away.
    old = full["cursor"]
    subject = scene.subjects[0]
    directory_ops.update_subject(
        db.session, actor=SYSTEM, subject=subject, data={"address": "更新后的地址"}
    )
    db.session.commit()
    latest = pull(token, old)["cursor"]
    long_ago = utcnow() - dt.timedelta(days=400)
    db.session.execute(update(SyncChange).where(SyncChange.seq <= old).values(at=long_ago))
    deleted = changes.compact(db.session, retention=dt.timedelta(days=90))
    db.session.commit()
    assert deleted > 0
    assert changes.current(db.session) == (latest, old)
    assert pull(token, old - 1)["reset"] is True  # changes after it are gone
    assert pull(token, old)["reset"] is False  # everything after it is kept
    assert pull(token, 0)["reset"] is False


def test_the_compact_command_uses_the_configured_retention(app, db, scene, drawn_task):
    drawn_task(scene.a)
    db.session.execute(update(SyncChange).values(at=utcnow() - dt.timedelta(days=10)))
    db.session.commit()
    app.config["SYNC_CHANGE_RETENTION"] = 30
    result = app.test_cli_runner().invoke(args=["sync", "compact"])
    assert result.exit_code == 0 and "已删除 0 条" in result.output
    result = app.test_cli_runner().invoke(args=["sync", "compact", "--days", "5"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(SyncChange.id).limit(1)) is None


def test_another_inspectors_visits_never_appear(db, scene, drawn_task, device, pull):
    first = drawn_task(scene.a)
    issue(db, scene.a, first)
    for inspector, user in zip(scene.inspectors, scene.users, strict=True):
        body = pull(device(user), 0)
        assert ids(body, "visits") == team_visits(db, inspector)
        for visit in body["changes"]["visits"]["upserts"]:
            assert any(m["is_me"] for s in visit["sections"] for m in s["team"])
        assert {c["id"] for c in body["changes"]["credential"]["upserts"]} == {str(inspector.id)}


def test_a_user_without_an_inspector_record_gets_an_empty_scope(
    db, scene, drawn_task, device, pull
):
    issue(db, scene.a, drawn_task(scene.a))
    body = pull(device(scene.a.head), 0)
    assert nothing_changed(body) and body["cursor"] > 0


def test_a_revoked_or_unknown_device_gets_401(db, client, scene, device, pull):
    token = device(scene.users[0])
    pull(token, 0)
    db.session.execute(update(Device).values(revoked_at=utcnow()))
    db.session.commit()
    body = pull(token, 0, status=401)
    assert "重新登录" in body["detail"]
    assert client.get("/api/v1/sync/pull").status_code == 401
    assert pull("not-a-token", 0, status=401)


def test_last_mutation_seq_is_the_devices(db, scene, device, pull):
    token = device(scene.users[0])
    db.session.execute(update(Device).values(last_mutation_seq=7))
    db.session.commit()
    assert pull(token, 0)["last_mutation_seq"] == 7


def test_an_alternate_taking_a_subjects_place_moves_the_visit_to_the_new_team(
    db, scene, drawn_task, device, pull
):
    task = drawn_task(scene.a, sample_count="2")  # three subjects: one alternate
    draw = issue(db, scene.a, task)
    tokens = {u.username: device(u) for u in scene.users}
    before = {name: pull(token, 0) for name, token in tokens.items()}
    replaced = draw.assignments[0]
    uscc, old_subject = replaced.uscc, replaced.subject_id
    old_team = {a.credential_no for a in draw.assignments if a.uscc == uscc}
    old_visit = db.session.scalars(
        select(VisitTask.visit_id).where(
            VisitTask.draw_id == draw.id, VisitTask.subject_id == old_subject
        )
    ).one()

    use = replacements.request_alternate(
        db.session,
        actor=actor_for(scene.a.head),
        user=scene.a.head,
        draw=draw,
        uscc=uscc,
        reason="closed",
        note=None,
    )
    db.session.commit()
    db.session.refresh(draw)
    assert db.session.get(Visit, old_visit).state == "cancelled"
    new_link = db.session.scalars(
        select(VisitTask).where(
            VisitTask.draw_id == draw.id, VisitTask.subject_id == use.subject_id
        )
    ).one()
    new_team = {a.credential_no for a in draw.assignments if a.subject_id == new_link.subject_id}

    for inspector, user in zip(scene.inspectors, scene.users, strict=True):
        body = pull(tokens[user.username], before[user.username]["cursor"])
        if inspector.credential_no in old_team:
            assert str(old_visit) in body["changes"]["visits"]["deletes"]
        else:
            assert body["changes"]["visits"]["deletes"] == []
        if inspector.credential_no in new_team:
            assert str(new_link.visit_id) in ids(body, "visits")
            assert str(new_link.subject_id) in ids(body, "subjects")
        else:
            assert str(new_link.visit_id) not in ids(body, "visits")
