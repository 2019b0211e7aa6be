"""Writes of draws: announce, draw (objects + matching), team-lead designation. Flush + audit."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.bulk import ConcurrentWrites, new_ids
from server.clock import SHANGHAI
from server.directory.models import Region
from server.directory.vocab import QUALIFICATIONS, RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES, zh
from server.draws import beacon as beacons
from server.draws import dsr, persist
from server.draws import population as population_queries
from server.draws.models import ANNOUNCED, CANCELLED, DRAWN, Draw, DrawAssignment, DrawSelection
from server.draws.population import YEARLY_CAP, pool
from server.errors import OperationError
from server.i18n import N_
from server.orm import utcnow
from server.tasks import operations as task_ops
from server.tasks import workflow
from server.tasks.models import Task
from server.visits import operations as visit_ops


class DrawError(OperationError):
    """A refused draw write: 422 (bad input), 403 (not yours) or 409 (wrong state / data)."""


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


def beacon_choices(*, allow_demo: bool | None = None) -> dict[str, beacons.Beacon]:
    """The beacons offered at the announcement (the demo one only where enabled)."""
    if allow_demo is None:
        allow_demo = bool(current_app.config.get("DEMO_BEACON"))
    return beacons.available(demo=allow_demo)


def default_beacon_round(name: str, now: dt.datetime | None = None) -> int:
    """The first round at least SPOTCHECK_BEACON_DELAY_MINUTES after now."""
    delay = int(current_app.config.get("BEACON_DELAY_MINUTES", 10))
    return beacons.default_round(beacons.BEACONS[name], now or utcnow(), delay)


def beacon_time(draw: Draw) -> dt.datetime | None:
    """When the draw's beacon round is (expected to be) published, local time."""
    if draw.source != dsr.BEACON or draw.beacon not in beacons.BEACONS:
        return None
    return _local(beacons.BEACONS[draw.beacon].round_time(draw.beacon_round))


def beacon_round_url(draw: Draw) -> str | None:
    """Where anyone reads the draw's round at the beacon (None: the local demo beacon)."""
    chosen = beacons.BEACONS.get(draw.beacon or "")
    if chosen is None or chosen.chain_hash is None:
        return None
    base = current_app.config["DRAND_URL"].rstrip("/")
    return f"{base}/{chosen.chain_hash}/public/{draw.beacon_round}"


def is_demo_beacon(draw: Draw) -> bool:
    chosen = beacons.BEACONS.get(draw.beacon or "")
    return chosen is not None and chosen.is_demo


# A round further away than this is a typo, not a plan: the draw would wait for weeks.
MAX_BEACON_WAIT = dt.timedelta(days=30)


def _beacon_round(name, round_, now: dt.datetime, allow_demo) -> tuple[str, int]:
    """Check the chosen beacon and round at the announcement: a round still in the future."""
    choices = beacon_choices(allow_demo=allow_demo)
    if name not in choices:
        raise DrawError(N_("请选择随机信标"), "beacon")
    chosen = choices[name]
    if round_ is None:
        return name, default_beacon_round(name, now)
    if not isinstance(round_, int) or isinstance(round_, bool) or round_ < 1:
        raise DrawError(N_("信标轮次应为正整数"), "beacon_round")
    at = chosen.round_time(round_)
    if at <= now:
        raise DrawError(
            N_("信标第 %(round)s 轮已于 %(time)s 产生，只能选择公告之后才产生的轮次"),
            "beacon_round",
            round=round_,
            time=_local(at).strftime("%Y-%m-%d %H:%M:%S"),
        )
    if at - now > MAX_BEACON_WAIT:
        raise DrawError(N_("信标轮次过远（超过 30 天），请检查轮次"), "beacon_round")
    return name, round_


def announce_draw(
    session: Session,
    *,
    actor: Actor,
    task: Task,
    user=None,
    source: str = dsr.COMMIT_REVEAL,
    beacon: str | None = None,
    beacon_round: int | None = None,
    allow_demo: bool | None = None,
    now: dt.datetime | None = None,
) -> Draw:
    """Fix the population, k, m, the randomness source and the pool; publish (§1).

    `source`: commit-reveal (a fresh secret S, its commitment published) or beacon (`beacon` and
    a future `beacon_round`; default: the first round SPOTCHECK_BEACON_DELAY_MINUTES from now).
    `allow_demo` (None: the DEMO_BEACON setting) admits the local demo beacon; `now` is for
    seeders and tests (default: the clock). Task → announced.
    """
    _require(user, task, "announce")
    now = (now or utcnow()).replace(microsecond=0)
    if source not in (dsr.COMMIT_REVEAL, dsr.BEACON):
        raise DrawError(N_("请选择随机来源"), "source")
    if source == dsr.BEACON:
        beacon, beacon_round = _beacon_round(beacon, beacon_round, now, allow_demo)
    else:
        beacon = beacon_round = None
    if task.state != workflow.APPROVED:
        raise DrawError(N_("只有已审核的任务可以发布抽取公告"), status=409)
    usccs = population_queries.population_usccs(session, task)
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
    secret = dsr.new_secret() if source == dsr.COMMIT_REVEAL else None
    draw = Draw(
        id=uuid.uuid4(),
        task=task,
        year=task.year,
        state=ANNOUNCED,
        announced_at=now,
        announced_by_id=getattr(user, "id", None),
        filters_text=filters_text(session, task),
        exclusions_text=exclusions_text(task),
        population_n=n,
        population_root=dsr.population_root(usccs),
        population_members=usccs,
        k=k,
        m=dsr.default_alternates(n, k),
        ratio=task.sample_ratio if task.sample_kind != "count" else None,
        source=source,
        commitment=dsr.commitment(secret) if secret else None,
        secret_hex=secret.hex() if secret else None,
        beacon=beacon,
        beacon_round=beacon_round,
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
        details={"task": task.number, "n": n, "k": k, "m": draw.m, "source": source},
    )
    return draw


# ---------------------------------------------------------------- draw

# Teams matched per bulk write while the matching goes on (a large draw: 38,000 subjects).
TEAMS_PER_WRITE = 4000


def _lock(session: Session, draw: Draw) -> None:
    session.execute(select(Draw.id).where(Draw.id == draw.id).with_for_update())
    session.refresh(draw)


def public_bundle(draw: Draw) -> dict:
    """The §4 bundle the public sees: frozen after the draw; announcement fields before it."""
    if draw.state == DRAWN and draw.bundle is not None:
        bundle = dict(draw.bundle)
        population = bundle["population"]
        bundle["population"] = {
            "n": population["n"],
            "root": population["root"],
            "members": draw.population_members,
        }
        return bundle
    return _bundle(draw, drawn=False)


def _stored(bundle: dict) -> dict:
    """The bundle as kept in `draws.bundle`: without the members, which `population_members`
    already holds (a million USCCs are ~20 MB; writing them twice costs the draw a second)."""
    stored = dict(bundle)
    stored["population"] = {k: v for k, v in bundle["population"].items() if k != "members"}
    return stored


def internal_bundle(draw: Draw) -> dict:
    """The auditors' bundle: the public one plus the conflicts the matching excluded."""
    bundle = dict(public_bundle(draw))
    if draw.state == DRAWN:
        bundle["conflicts"] = [
            {"uscc": u, "inspector": c} for u, c in sorted(map(tuple, draw.conflicts or []))
        ]
    return bundle


def _randomness(draw: Draw, *, drawn: bool) -> dict:
    """§4's randomness object: before the draw only what the announcement fixed."""
    if draw.source == dsr.BEACON:
        if drawn:
            return dsr.randomness_beacon(
                draw.beacon,
                draw.beacon_round,
                bytes.fromhex(draw.beacon_randomness),
                bytes.fromhex(draw.beacon_signature),
            )
        # Announced: the round is known, its value does not exist yet (verify.py notes
        # "announced, not drawn yet" when randomness and seed are null).
        return {
            "source": dsr.BEACON,
            "beacon": draw.beacon,
            "round": draw.beacon_round,
            "randomness": None,
            "signature": None,
        }
    if drawn:
        return dsr.randomness_commit_reveal(
            draw.commitment, bytes.fromhex(draw.secret_hex), draw.witness_input
        )
    return dsr.randomness_commit_reveal(draw.commitment)


def _bundle(draw: Draw, *, drawn: bool, result: dsr.DrawResult | None = None) -> dict:
    randomness = _randomness(draw, drawn=drawn)
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


def _beacon_entropy(draw: Draw, now: dt.datetime, randomness, signature) -> tuple[bytes, bytes]:
    """The round's (randomness, signature): refused before its time; pasted, local or fetched."""
    chosen = beacons.BEACONS.get(draw.beacon)
    if chosen is None:
        raise DrawError(N_("未知的随机信标"), status=409)
    if not chosen.is_published(draw.beacon_round, now):
        raise DrawError(
            N_("信标第 %(round)s 轮尚未产生，预计于 %(time)s 产生，请届时再抽取"),
            status=409,
            round=draw.beacon_round,
            time=_local(chosen.round_time(draw.beacon_round)).strftime("%Y-%m-%d %H:%M:%S"),
        )
    try:
        if chosen.is_demo:
            return beacons.demo_value(draw.beacon_round)
        if (randomness or "").strip() or (signature or "").strip():
            return beacons.check_value(chosen, draw.beacon_round, randomness, signature)
        return beacons.fetch(chosen, draw.beacon_round, current_app.config["DRAND_URL"])
    except beacons.BeaconError as error:
        field = f"beacon_{error.field}" if error.field else None  # the form's field names
        raise DrawError(error.msgid, field, status=error.status, **error.params) from None


def draw_objects(
    session: Session,
    *,
    actor: Actor,
    draw: Draw,
    witness_input: str = "",
    user=None,
    beacon_randomness: str | None = None,
    beacon_signature: str | None = None,
    now: dt.datetime | None = None,
) -> Draw:
    """Draw the subjects and match the teams (§2–§3).

    Commit-reveal: reveal S with the witness input typed by the people present. Beacon: the
    announced round's randomness, pasted (hex `beacon_randomness` + `beacon_signature`, read
    from the beacon's site) or, when both are blank, fetched from SPOTCHECK_DRAND_URL.
    """
    task = draw.task
    _require(user, task, "mark_drawn")
    _lock(session, draw)
    if draw.state != ANNOUNCED:
        if draw.state == CANCELLED:
            raise DrawError(N_("本次抽取已随任务取消，不能抽取"), status=409)
        raise DrawError(N_("本次抽取已完成，不能重新抽取"), status=409)
    now = (now or utcnow()).replace(microsecond=0)
    if draw.source == dsr.BEACON:
        witness = None
        value, signature = _beacon_entropy(draw, now, beacon_randomness, beacon_signature)
        entropy = dsr.entropy_beacon(value)
    else:
        witness = dsr.normalise_witness(witness_input or "")
        if not witness.strip():
            raise DrawError(N_("请由在场人员输入见证输入（如骰子点数、随意文字）"), "witness_input")
        entropy = dsr.entropy_commit_reveal(bytes.fromhex(draw.secret_hex), witness)
    # The snapshot and the pool were frozen at the announcement: read only what the draw needs
    # of the directory now (the conflict register; ids of the drawn subjects, further down).
    conflicts = population_queries.conflicts_within(
        session, draw.population_members, draw.pool_members
    )
    # §2: seed, ranks, selection and alternates, from the frozen members (the root was
    # computed from these very members at the announcement; the verifier recomputes it).
    seed_bytes = dsr.seed(str(draw.id), draw.population_root, entropy)
    selected, alternates = dsr.draw_objects(seed_bytes, draw.population_members, draw.k, draw.m)
    # Members drawn stay drawn even if deregistered since the announcement (alternates exist for
    # that): their ids are looked up whatever their status now.
    subjects = population_queries.subject_ids(
        session, [u for u, _ in selected] + [u for u, _ in alternates]
    )
    inspectors = population_queries.inspector_ids(session, draw.pool_members)
    chosen = [u for u, _ in selected]
    ids = new_ids(session, len(selected) + len(alternates) + draw.team_size * len(chosen))
    selections = persist.selection_rows(draw, selected, alternates, subjects, ids)
    member_ids = iter(ids[len(selections) :])
    # §3's matching is pure Python; the database writes the rows meanwhile, the teams in chunks
    # as they are matched. A savepoint keeps a refused matching from leaving rows behind.
    matching = dsr.new_matching(seed_bytes, draw.pool_members, draw.team_size, conflicts)
    savepoint = session.begin_nested()
    try:
        with ConcurrentWrites(session) as writes:
            writes.insert(DrawSelection, persist.SELECTION_COLUMNS, selections)
            visit_ops.write_for_draw(session, writes, draw, [(subjects[u], u) for u in chosen])
            for first in range(0, len(chosen), TEAMS_PER_WRITE):
                teams = [(u, matching.assign(u)) for u in chosen[first : first + TEAMS_PER_WRITE]]
                rows = persist.assignment_rows(draw, first, teams, subjects, inspectors, member_ids)
                writes.insert(DrawAssignment, persist.ASSIGNMENT_COLUMNS, rows)
    except dsr.InsufficientInspectors as error:
        savepoint.rollback()
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
    savepoint.commit()
    teams = matching.team_list()
    result = dsr.DrawResult(draw.population_root, seed_bytes, selected, alternates, teams)
    # The relationships were not loaded through the ORM: read them again when next used.
    session.expire(draw, ["selections", "assignments"])
    draw.state, draw.drawn_at, draw.drawn_by_id = DRAWN, now, getattr(user, "id", None)
    draw.witness_input, draw.seed_hex = witness, seed_bytes.hex()
    if draw.source == dsr.BEACON:
        draw.beacon_randomness, draw.beacon_signature = value.hex(), signature.hex()
    draw.conflicts = [list(pair) for pair in conflicts]
    draw.bundle = _stored(_bundle(draw, drawn=True, result=result))
    session.flush()
    task_ops.mark_drawn(session, task, actor=actor, user=user)
    task_ops.mark_matched(session, task, actor=actor, user=user)
    visit_ops.record_for_draw(session, actor=actor, draw=draw, usccs=chosen)
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


# ---------------------------------------------------------------- issue


def teams_without_lead(draw: Draw) -> list[str]:
    """USCCs whose current team has no designated lead.

    The assignments always hold the current teams (a subject released for an alternate has
    none any more, the alternate has one), so the teams are read from them, not the selection.
    """
    teams = {a.uscc for a in draw.assignments}
    led = {a.uscc for a in draw.assignments if a.is_team_lead}
    return sorted(teams - led)


def demo_beacon_draw(
    session: Session,
    *,
    actor: Actor,
    task: Task,
    user=None,
    announced_at: dt.datetime | None = None,
    drawn_at: dt.datetime | None = None,
) -> Draw:
    """seed-demo only: announce with the local *demo* beacon and draw it, without network.

    The demo beacon is predictable and labelled "演示信标（非真实随机信标）" wherever it shows;
    it exists so a demo can show a beacon draw. The round is the first one
    SPOTCHECK_BEACON_DELAY_MINUTES after `announced_at` (default: an hour ago), so it has
    already passed at `drawn_at` (default: now); a later `announced_at` is refused (409).
    """
    announced_at = announced_at or utcnow() - dt.timedelta(hours=1)
    draw = announce_draw(
        session,
        actor=actor,
        task=task,
        user=user,
        source=dsr.BEACON,
        beacon=beacons.DEMO_BEACON,
        allow_demo=True,
        now=announced_at,
    )
    return draw_objects(session, actor=actor, draw=draw, user=user, now=drawn_at)


def can_issue(user, task: Task) -> bool:
    return workflow.may(user, task, workflow.transition_for("issue"))


def issue_task(session: Session, *, actor: Actor, draw: Draw, user=None) -> Task:
    """下达: matched → issued once every team has its lead (Art. 16); visits then go out."""
    task = draw.task
    if not can_issue(user, task):
        raise DrawError(N_("只有本科室负责人、后台人员或管理员可以下达任务"), status=403)
    _lock(session, draw)
    if draw.state != DRAWN:
        raise DrawError(N_("抽取完成后才能下达任务"), status=409)
    missing = teams_without_lead(draw)
    if missing:
        raise DrawError(
            N_("还有 %(n)s 个检查对象的检查组尚无组长，请科室负责人选定组长后再下达"),
            status=409,
            n=len(missing),
        )
    # The task's own transition checks its state (matched) under the task's row lock.
    return task_ops.issue(session, task, actor=actor, user=user)
