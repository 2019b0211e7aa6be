"""seed-demo's draws: two drawn and issued tasks, a merged visit, an approved replacement."""

from __future__ import annotations

from sqlalchemy import func, select

from server.auth.models import User
from server.directory.models import Inspector
from server.draws import operations
from server.draws.models import Draw, DrawAssignment
from server.draws.replacement_models import ReplacementRequest
from server.results.demo import COMPLETED_TASK
from server.seed.demo import seed_demo
from server.tasks.models import Task
from server.visits.models import MERGED, Visit, VisitTask
from tests.draws.support import run_verifier


def test_seed_demo_draws_two_tasks_verifiably_with_a_merge_and_a_replacement(app, db, tmp_path):
    created = seed_demo(db.session, password="spotcheck-demo")
    db.session.commit()
    assert created["draws"] == 2 and created["merged visits"] == 1
    # The finished task of results.demo is drawn too; these are the two of draws.demo.
    current = select(Draw).join(Task, Task.id == Draw.task_id).where(Task.name != COMPLETED_TASK)
    draws = {d.source: d for d in db.session.scalars(current)}
    assert set(draws) == {"commit-reveal", "beacon"}
    assert draws["beacon"].beacon == "demo-beacon"  # labelled, never a fake drand round
    for draw in draws.values():
        assert draw.state == "drawn" and draw.task.state == "issued"
        # One designated lead per team.
        leads = [a.uscc for a in draw.assignments if a.is_team_lead]
        assert sorted(leads) == sorted({a.uscc for a in draw.assignments})
        folder = tmp_path / draw.source
        folder.mkdir()
        result = run_verifier(operations.internal_bundle(draw), folder)
        assert result.returncode == 0 and result.stdout.startswith("OK"), result.stdout

    amendments = draws["commit-reveal"].bundle["amendments"]
    assert [a["kind"] for a in amendments] == ["replacement"]
    requests = {r.state for r in db.session.scalars(select(ReplacementRequest))}
    assert requests == {"approved", "pending"}

    merged = db.session.scalars(select(Visit).where(Visit.state == MERGED)).one()
    survivor = db.session.get(Visit, merged.merged_into_id)
    assert {t.task_id for t in survivor.tasks} == {d.task_id for d in draws.values()}

    for username in ("lead1", "inspector1", "inspector2"):
        user = db.session.scalars(select(User).where(User.username == username)).one()
        inspector = db.session.scalars(select(Inspector).where(Inspector.user_id == user.id)).one()
        held = db.session.scalar(
            select(func.count())
            .select_from(DrawAssignment)
            .join(
                VisitTask,
                (VisitTask.draw_id == DrawAssignment.draw_id)
                & (VisitTask.subject_id == DrawAssignment.subject_id),
            )
            .where(DrawAssignment.inspector_id == inspector.id)
        )
        assert held >= 1, username

    assert seed_demo(db.session, password="spotcheck-demo") == {}
