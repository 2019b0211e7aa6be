"""Demo draws for `seed-demo`: two drawn tasks with visits, a merged visit, a replacement.

Written through the real operations (announce, draw, replacement, merge, lead designation,
issue), each permission-checked as the user named below; the audit trail names the CLI (the
seeder did it, not those people). Idempotent: a task
that already has a draw is left alone.

- The approved demo task of 商贸流通科 is drawn by commit-reveal with a witness input.
- 市场运行科 files a targeted task covering every prepaid-card issuer (they are in both
  departments' directories) and draws it with the *demo* beacon (clearly labelled, no network):
  the subjects both tasks drew get merge proposals; the first is confirmed by both heads.
- inspector1 recuses from one subject (the leader approves: §3.5 replacement); inspector2 asks
  to withdraw (left pending, for the leader's queue).
- The heads designate a lead on every team (lead1 where he is on it) and issue both tasks.
"""

from __future__ import annotations

import collections

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.operations import Actor
from server.auth.models import User
from server.clock import local_today
from server.directory.models import Inspector
from server.draws import operations, replacements
from server.draws.models import Draw
from server.items.models import Item
from server.tasks import operations as task_ops
from server.tasks.models import ChecklistTemplate, Task
from server.tasks.schemas import TaskArgs
from server.visits import merges
from server.visits.models import PROPOSED, MergeProposal

COMMIT_REVEAL_TASK = "单用途商业预付卡发卡企业年度抽查"  # made (approved) by tasks.demo
BEACON_TASK = "预付卡发卡企业促销行为定向检查"
WITNESS = "4 2 6 1 3 5 / 刘建国 孙海涛 监督员陈静"


def seed_draws(session: Session, actor: Actor) -> collections.Counter:
    created: collections.Counter = collections.Counter()
    users = {u.username: u for u in session.scalars(select(User))}
    if not {"head1", "head2", "leader1", "inspector1", "inspector2"} <= set(users):
        return created
    year = local_today().year
    first = session.scalars(
        select(Task).where(Task.name == COMMIT_REVEAL_TASK, Task.year == year)
    ).first()
    if first is None or first.state != "approved" or _draw_of(session, first) is not None:
        return created  # not seeded yet, or drawn before (idempotent)
    head1, head2 = users["head1"], users["head2"]

    draw1 = operations.announce_draw(session, actor=actor, task=first, user=head1)
    operations.draw_objects(session, actor=actor, draw=draw1, witness_input=WITNESS, user=head1)
    created["draws"] += 1
    _recusal(session, actor, draw1, users, created)

    second = _beacon_task(session, actor, head2, year)
    draw2 = operations.demo_beacon_draw(session, actor=actor, task=second, user=head2)
    created["tasks"] += 1
    created["draws"] += 1

    proposal = session.scalars(
        select(MergeProposal)
        .where(MergeProposal.state == PROPOSED)
        .order_by(MergeProposal.created_at, MergeProposal.id)
    ).first()
    if proposal is not None:
        merges.confirm(session, actor, head1, proposal, "同意合并，一次入户完成两项检查")
        merges.confirm(session, actor, head2, proposal, "同意")
        created["merged visits"] += 1

    for draw, head in ((draw1, head1), (draw2, head2)):
        _designate_leads(session, actor, draw, head, users["lead1"])
        operations.issue_task(session, actor=actor, draw=draw, user=head)
    session.flush()
    return created


def _draw_of(session: Session, task: Task) -> Draw | None:
    return session.scalars(select(Draw).where(Draw.task_id == task.id)).first()


def _inspector_of(session: Session, user: User) -> Inspector | None:
    return session.scalars(select(Inspector).where(Inspector.user_id == user.id)).first()


def _recusal(session: Session, actor: Actor, draw: Draw, users: dict, created) -> None:
    """inspector1 recuses from one subject (approved); inspector2 asks to withdraw (pending)."""
    leader = users["leader1"]
    for username, mode, reason, explanation, approve in (
        ("inspector1", "replace", "recusal", "该企业法定代表人系本人表兄，申请回避。", True),
        ("inspector2", "withdraw", "job_change", "本人下月起借调市局，无法参加本次检查。", False),
    ):
        user = users[username]
        inspector = _inspector_of(session, user)
        held = [a for a in draw.assignments if inspector and a.inspector_id == inspector.id]
        if not held:
            continue
        request = replacements.request_replacement(
            session,
            actor=actor,
            user=user,
            draw=draw,
            uscc=held[0].uscc,
            credential_no=inspector.credential_no,
            mode=mode,
            reason=reason,
            explanation=explanation,
            conflict_kind="kinship" if reason == "recusal" else None,
        )
        created["replacement requests"] += 1
        if approve:
            replacements.approve_request(
                session, actor=actor, user=leader, request=request, comment="同意回避"
            )
            session.refresh(draw)


def _beacon_task(session: Session, actor: Actor, head2: User, year: int) -> Task:
    """市场运行科's targeted task over every prepaid-card issuer, approved by its head."""
    from server.tasks.demo import _task_form  # the demo tasks' common form

    item = session.scalars(select(Item).where(Item.code == "SWJ-012")).one()
    # _task_form names a checklist; this item has none in the demo: the work plan goes without.
    any_template = session.scalars(select(ChecklistTemplate)).first()
    form = _task_form(
        session,
        item,
        any_template,
        year,
        name=BEACON_TASK,
        targeting="targeted",
        target_tags="单用途商业预付卡",
        sample_kind="count",
        sample_count="30",
        methods=["onsite"],
    )
    form.pop("checklist_template_id")
    task = task_ops.create_task(session, actor=actor, user=head2, data=TaskArgs().load(form))
    task_ops.submit(session, task, actor=actor, user=head2)
    task_ops.approve(session, task, actor=actor, user=head2, comment="同意")
    return task


def _designate_leads(
    session: Session, actor: Actor, draw: Draw, head: User, lead_user: User
) -> None:
    """On each team: lead1 where he is on it, else a lead-qualified member, else the first."""
    session.refresh(draw)
    lead = _inspector_of(session, lead_user)
    qualified = {
        i.id for i in session.scalars(select(Inspector).where(Inspector.is_team_lead_qualified))
    }
    teams: dict[str, list] = collections.defaultdict(list)
    for assignment in draw.assignments:
        teams[assignment.uscc].append(assignment)
    for uscc, team in teams.items():
        chosen = next((a for a in team if lead and a.inspector_id == lead.id), None)
        chosen = chosen or next((a for a in team if a.inspector_id in qualified), team[0])
        operations.designate_team_lead(
            session,
            actor=actor,
            draw=draw,
            uscc=uscc,
            credential_no=chosen.credential_no,
            user=head,
        )
