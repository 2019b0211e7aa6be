"""Writes of draws: announce, draw (objects + matching), team-lead designation. Flush + audit."""

from __future__ import annotations

import datetime as dt
import uuid

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.clock import SHANGHAI
from server.directory.models import Inspector, Region, Subject
from server.directory.operations import conflicted_pairs
from server.directory.vocab import QUALIFICATIONS, RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES, zh
from server.draws import dsr, persist
from server.draws.models import ANNOUNCED, DRAWN, Draw, DrawAssignment
from server.draws.population import YEARLY_CAP, pool, population
from server.i18n import N_
from server.orm import utcnow
from server.tasks import operations as task_ops
from server.tasks import workflow
from server.tasks.models import Task
from server.visits import operations as visit_ops


class DrawError(Exception):
    """A refused draw write: 422 (bad input), 403 (not yours) or 409 (wrong state / data)."""

    status = 422

    def __init__(self, msgid: str, field: str | None = None, status: int | None = None, **params):
        self.msgid, self.field, self.params = msgid, field, params
        if status is not None:
            self.status = status
        super().__init__(msgid % params if params else msgid)

    def translated(self) -> str:
        return gettext(self.msgid, **self.params)


# ---------------------------------------------------------------- rules and snapshots


def _labels(vocab: dict, codes) -> str:
    return "、".join(zh(vocab[c]) if c in vocab else str(c) for c in codes)


def filters_text(session: Session, task: Task) -> str:
    """The task's object filters in plain Chinese (published as the rule of the population)."""
    base = f"{task.department.name}监管范围内、未删除、状态为存续的检查对象"
    if task.targeting != "targeted":
        return base + "（不定向抽查）"
    filters = task.target_filters or {}
    parts = []
    if filters.get("kinds"):
        parts.append("类型为" + _labels(SUBJECT_KINDS, filters["kinds"]))
    if filters.get("scales"):
        parts.append("规模为" + _labels(SUBJECT_SCALES, filters["scales"]))
    if filters.get("regions"):
        names = {r.code: r.name for r in session.scalars(select(Region))}
        parts.append("所在区域为" + "、".join(names.get(c, c) for c in filters["regions"]))
    if filters.get("risk_flags"):
        parts.append("具有风险标记" + _labels(RISK_FLAGS, filters["risk_flags"]))
    if filters.get("tags"):
        parts.append("带有标签" + "、".join(filters["tags"]))
    return base + "（定向抽查：" + "；".join(parts) + "）" if parts else base


def exclusions_text(task: Task) -> str:
    return (
        f"已注销、吊销、停业的对象；{task.year} 年内已被抽中 {YEARLY_CAP} 次的对象"
        "（列入高风险名单的对象除外）"
    )


def pool_text(task: Task) -> str:
    """The pool's rule in plain Chinese (shown with the announcement)."""
    text = (
        "在岗执法检查人员，执法证件在检查期间"
        f"（{task.window_start.isoformat()} 至 {task.window_end.isoformat()}）每日有效"
    )
    filters = (task.pool_filters or {}) if task.pool_mode == "manual" else {}
    if filters.get("qualifications"):
        text += "；资格为" + _labels(QUALIFICATIONS, filters["qualifications"])
    if filters.get("expertise"):
        text += "；专长为" + "、".join(filters["expertise"])
    return text


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(SHANGHAI) if value is not None else None


# ---------------------------------------------------------------- announce


def _require(user, task: Task, action: str) -> None:
    if not workflow.may(user, task, workflow.transition_for(action)):
        raise DrawError(N_("只有本科室负责人、后台人员或管理员可以进行抽取"), status=403)


def announce_draw(session: Session, *, actor: Actor, task: Task, user=None) -> Draw:
    """Fix the population, k, m, the commitment and the pool; publish (§1). Task → announced."""
    _require(user, task, "announce")
    if task.state != workflow.APPROVED:
        raise DrawError(N_("只有已审核的任务可以发布抽取公告"), status=409)
    members = population(session, task)
    usccs = dsr.canonical_population(u for u, _ in members)
    n = len(usccs)
    if n == 0:
        raise DrawError(N_("没有符合条件的检查对象，不能发布抽取公告"))
    if task.sample_kind == "count":
        k = dsr.sample_size(n, count=task.sample_count or 0)
    else:
        k = dsr.sample_size(n, ratio=task.sample_ratio or "0")
    if k == 0:
        raise DrawError(N_("抽取数量为 0，请检查任务的抽查比例或数量"))
    inspectors = pool(session, task)
    if len(inspectors) < task.team_size:
        raise DrawError(
            N_("符合条件的检查人员只有 %(n)s 人，少于每组人数 %(size)s"),
            n=len(inspectors),
            size=task.team_size,
        )
    credentials = dsr.canonical_pool(c for c, _ in inspectors)
    secret = dsr.new_secret()
    draw = Draw(
        id=uuid.uuid4(),
        task=task,
        year=task.year,
        state=ANNOUNCED,
        announced_at=utcnow().replace(microsecond=0),
        announced_by_id=getattr(user, "id", None),
        filters_text=filters_text(session, task),
        exclusions_text=exclusions_text(task),
        population_n=n,
        population_root=dsr.population_root(usccs),
        population_members=usccs,
        k=k,
        m=dsr.default_alternates(n, k),
        ratio=task.sample_ratio if task.sample_kind != "count" else None,
        source=dsr.COMMIT_REVEAL,
        commitment=dsr.commitment(secret),
        secret_hex=secret.hex(),
        pool_root=dsr.pool_root(credentials),
        pool_members=credentials,
        team_size=task.team_size,
    )
    session.add(draw)
    session.flush()
    task_ops.announce(session, task, actor=actor, user=user)
    audit.record(
        session,
        actor=actor,
        action="draw.announce",
        object_type="draw",
        object_id=draw.id,
        state=draw.audit_state(),
        details={"task": task.number, "n": n, "k": k, "m": draw.m},
    )
    return draw


# ---------------------------------------------------------------- draw


def _lock(session: Session, draw: Draw) -> None:
    session.execute(select(Draw.id).where(Draw.id == draw.id).with_for_update())
    session.refresh(draw)


def _conflicts(session: Session, subjects: dict, inspectors: dict) -> list[tuple[str, str]]:
    """Active conflicts restricted to this draw: (uscc, credential) pairs, sorted."""
    uscc_of = {sid: u for u, sid in subjects.items()}
    credential_of = {iid: c for c, iid in inspectors.items()}
    return sorted(
        (uscc_of[sid], credential_of[iid])
        for iid, sid in conflicted_pairs(session)
        if sid in uscc_of and iid in credential_of
    )


def public_bundle(draw: Draw) -> dict:
    """The §4 bundle the public sees: frozen after the draw; announcement fields before it."""
    if draw.state == DRAWN and draw.bundle is not None:
        return draw.bundle
    return _bundle(draw, drawn=False)


def internal_bundle(draw: Draw) -> dict:
    """The auditors' bundle: the public one plus the conflicts the matching excluded."""
    bundle = dict(public_bundle(draw))
    if draw.state == DRAWN:
        bundle["conflicts"] = [
            {"uscc": u, "inspector": c} for u, c in sorted(map(tuple, draw.conflicts or []))
        ]
    return bundle


def _bundle(draw: Draw, *, drawn: bool, result: dsr.DrawResult | None = None) -> dict:
    if drawn:
        randomness = dsr.randomness_commit_reveal(
            draw.commitment, bytes.fromhex(draw.secret_hex), draw.witness_input
        )
    else:
        randomness = dsr.randomness_commit_reveal(draw.commitment)
    return dsr.build_bundle(
        draw_id=str(draw.id),
        task_number=draw.task.number or "",
        task_name=draw.task.name,
        announced_at=_local(draw.announced_at),
        drawn_at=_local(draw.drawn_at) if drawn else None,
        filters=draw.filters_text,
        exclusions=draw.exclusions_text,
        ratio=draw.ratio,
        k=draw.k,
        m=draw.m,
        members=draw.population_members,
        root=draw.population_root,
        randomness=randomness,
        seed_hex=result.seed.hex() if result else None,
        selected=result.selected if result else [],
        alternates=result.alternates if result else [],
        pool_root_hex=draw.pool_root,
        team_size=draw.team_size,
        teams=result.teams if result else [],
        # Credential numbers are printed on the inspection notice anyway: the pool is public.
        pool=draw.pool_members,
    )


def draw_objects(
    session: Session, *, actor: Actor, draw: Draw, witness_input: str, user=None
) -> Draw:
    """Reveal S with the witness input, draw the subjects and match the teams (§2–§3)."""
    task = draw.task
    _require(user, task, "mark_drawn")
    _lock(session, draw)
    if draw.state != ANNOUNCED:
        raise DrawError(N_("本次抽取已完成，不能重新抽取"), status=409)
    witness = dsr.normalise_witness(witness_input or "")
    if not witness.strip():
        raise DrawError(N_("请由在场人员输入见证输入（如骰子点数、随意文字）"), "witness_input")
    subjects = dict(population(session, task))
    inspectors = dict(pool(session, task))
    # The snapshot was fixed at the announcement; the matching needs the ids of those members.
    missing = [u for u in draw.population_members if u not in subjects]
    if missing:  # e.g. deregistered since the announcement: still drawn, by the rules
        stmt = select(Subject.uscc, Subject.id).where(Subject.uscc.in_(missing))
        subjects.update((uscc, sid) for uscc, sid in session.execute(stmt))
    absent = [c for c in draw.pool_members if c not in inspectors]
    if absent:
        stmt = select(Inspector.credential_no, Inspector.id)
        stmt = stmt.where(Inspector.credential_no.in_(absent))
        inspectors.update((c, iid) for c, iid in session.execute(stmt))
    conflicts = _conflicts(
        session,
        {u: subjects[u] for u in draw.population_members if u in subjects},
        {c: inspectors[c] for c in draw.pool_members if c in inspectors},
    )
    secret = bytes.fromhex(draw.secret_hex)
    try:
        result = dsr.compute_draw(
            draw_id=str(draw.id),
            members=draw.population_members,
            k=draw.k,
            m=draw.m,
            entropy=dsr.entropy_commit_reveal(secret, witness),
            pool=draw.pool_members,
            team_size=draw.team_size,
            conflicts=conflicts,
        )
    except dsr.InsufficientInspectors as error:
        raise DrawError(
            N_(
                "检查对象 %(uscc)s 可派的检查人员（排除利害关系后）只有 %(n)s 人，"
                "不足每组 %(size)s 人，未进行抽取"
            ),
            status=409,
            uscc=error.uscc,
            n=error.available,
            size=draw.team_size,
        ) from None
    now = utcnow().replace(microsecond=0)
    draw.state, draw.drawn_at, draw.drawn_by_id = DRAWN, now, getattr(user, "id", None)
    draw.witness_input, draw.seed_hex = witness, result.seed.hex()
    draw.conflicts = [list(pair) for pair in conflicts]
    persist.store_result(session, draw, result, subjects, inspectors)
    draw.bundle = _bundle(draw, drawn=True, result=result)
    session.flush()
    task_ops.mark_drawn(session, task, actor=actor, user=user)
    task_ops.mark_matched(session, task, actor=actor, user=user)
    visit_ops.create_for_draw(session, actor=actor, draw=draw)
    audit.record(
        session,
        actor=actor,
        action="draw.draw",
        object_type="draw",
        object_id=draw.id,
        state=draw.audit_state(),
        details={"task": task.number, "selected": len(result.selected)},
    )
    return draw


# Called `draw` in the brief; the module-level name `draw` would shadow every local `draw`.
draw = draw_objects


# ---------------------------------------------------------------- team lead


def can_designate(user, task: Task) -> bool:
    return workflow.HEAD in workflow.capacities(user, task)


def designate_team_lead(
    session: Session, *, actor: Actor, draw: Draw, uscc: str, credential_no: str, user
) -> DrawAssignment:
    """The department head names the lead of one subject's team (Art. 16; not random)."""
    if user is None or not can_designate(user, draw.task):
        raise DrawError(N_("只有本科室负责人可以指定检查组组长"), status=403)
    if draw.state != DRAWN:
        raise DrawError(N_("抽取完成后才能指定组长"), status=409)
    team = [a for a in draw.assignments if a.uscc == uscc]
    chosen = next((a for a in team if a.credential_no == credential_no), None)
    if chosen is None:
        raise DrawError(N_("该检查人员不在此对象的检查组中"), "credential_no")
    now = utcnow()
    for assignment in team:
        assignment.is_team_lead = assignment is chosen
        if assignment is chosen:
            assignment.designated_by_id, assignment.designated_at = user.id, now
        else:
            assignment.designated_by_id = assignment.designated_at = None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw.designate_lead",
        object_type="draw",
        object_id=draw.id,
        state=chosen.audit_state(),
        details={"uscc": uscc, "credential_no": credential_no},
    )
    return chosen
