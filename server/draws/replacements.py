"""Changing a drawn team (Art. 17–18) and using alternates (§2.4): requests, decisions, writes.

Operations take plain arguments (the phone will send the same request through sync), only flush,
and audit every write. Who comes in is never chosen by a person: it is recomputed by dsr.py from
the bundle at the moment of approval, appended to the bundle as an amendment, and mirrored in the
DrawAssignment rows (which always hold the current teams).
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.clock import SHANGHAI
from server.directory import operations as directory_ops
from server.directory.models import Conflict, Inspector, Subject
from server.directory.vocab import CONFLICT_KINDS
from server.draws import dsr
from server.draws.models import DRAWN, Draw, DrawAssignment
from server.draws.operations import DrawError
from server.draws.replacement_models import (
    ALTERNATE_REASONS,
    APPROVED,
    MODES,
    NOTE_REQUIRED,
    PENDING,
    REASONS,
    RECUSAL,
    REFUSED,
    REPLACE,
    SWAP,
    WITHDRAW,
    AlternateUse,
    ReplacementRequest,
)
from server.i18n import N_
from server.orm import utcnow
from server.tasks import workflow
from server.visits import operations as visit_ops

MAX_TEXT = 2000


# ---------------------------------------------------------------- state of the matching


def matching_now(draw: Draw) -> dsr.Matching:
    """The matching after the drawn teams and every amendment so far (what §3.5 continues)."""
    bundle = draw.bundle or {}
    return dsr.matching_from_teams(
        bytes.fromhex(draw.seed_hex),
        bundle["matching"]["teams"],
        draw.pool_members,
        draw.team_size,
        [tuple(pair) for pair in draw.conflicts or []],
        bundle.get("amendments", []),
    )


def current_teams(draw: Draw) -> list[dict]:
    """The current teams in §4's shape, rank order (drawn subjects, then alternates used)."""
    bundle = draw.bundle or {}
    return dsr.current_teams(bundle["matching"]["teams"], bundle.get("amendments", []))


def _now_local():
    return utcnow().astimezone(SHANGHAI).replace(microsecond=0)


def _check_drawn(draw: Draw) -> None:
    if draw.state != DRAWN or draw.bundle is None:
        raise DrawError(N_("只有已完成抽取的任务才能申请"), status=409)
    if draw.task.state in (workflow.COMPLETED, "cancelled"):
        raise DrawError(N_("任务已完成，不能再更换检查人员或检查对象"), status=409)


def _lock(session: Session, draw: Draw) -> None:
    # Two approvals on one draw must see each other's amendments: serialise on the draw row.
    session.execute(select(Draw.id).where(Draw.id == draw.id).with_for_update())
    session.refresh(draw)


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DrawError(message, field)
    if len(value) > MAX_TEXT:
        raise DrawError(N_("最多 %(n)s 个字"), field, n=MAX_TEXT)
    return value


def _inspectors_by_credential(session: Session, credentials) -> dict[str, Inspector]:
    stmt = select(Inspector).where(Inspector.credential_no.in_(set(credentials)))
    return {i.credential_no: i for i in session.scalars(stmt)}


def _subject_ids(session: Session, usccs) -> dict[str, uuid.UUID]:
    stmt = select(Subject.uscc, Subject.id).where(Subject.uscc.in_(set(usccs)))
    return {uscc: sid for uscc, sid in session.execute(stmt)}


def _refuse_registered_conflicts(session: Session, pairs: list[tuple[str, str]]) -> None:
    """The register may have grown since the draw: never bring in someone it now excludes."""
    if not pairs:
        return
    people = _inspectors_by_credential(session, [c for _, c in pairs])
    subjects = _subject_ids(session, [u for u, _ in pairs])
    registered = directory_ops.conflicted_pairs(session)
    for uscc, credential in pairs:
        person = people.get(credential)
        if person is not None and (person.id, subjects.get(uscc)) in registered:
            raise DrawError(
                N_(
                    "按规则应补入的检查人员 %(name)s（%(credential)s）与检查对象 %(uscc)s "
                    "在抽取后登记了利害关系，请先处理该登记"
                ),
                status=409,
                name=person.name,
                credential=credential,
                uscc=uscc,
            )


# ---------------------------------------------------------------- who may do what


def may_file_for(user, draw: Draw, inspector: Inspector | None) -> bool:
    """The inspector themself, or a dept_head / back_office of the task's department."""
    capacities = workflow.capacities(user, draw.task)
    if {workflow.HEAD, workflow.OFFICE} & capacities:
        return True
    return (
        inspector is not None
        and user.has_role("inspector")
        and inspector.user_id is not None
        and inspector.user_id == user.id
    )


def may_decide(user) -> bool:
    """Art. 18: the leader in charge (分管负责人) approves; leaders oversee every department."""
    return user is not None and user.has_role("leader")


def may_use_alternates(user, draw: Draw) -> bool:
    return bool({workflow.HEAD, workflow.OFFICE} & workflow.capacities(user, draw.task))


def may_approve_alternates(user, draw: Draw) -> bool:
    return workflow.HEAD in workflow.capacities(user, draw.task)


# ---------------------------------------------------------------- replacement requests


def request_replacement(
    session: Session,
    *,
    actor: Actor,
    user,
    draw: Draw,
    uscc: str,
    credential_no: str,
    mode: str,
    reason: str,
    explanation: str,
    conflict_kind: str | None = None,
) -> ReplacementRequest:
    """File a request to change one inspector of one subject's team (pending the leader)."""
    inspector = _inspectors_by_credential(session, [credential_no]).get(credential_no)
    if not may_file_for(user, draw, inspector):
        raise DrawError(N_("只能为本人申请；科室负责人或后台人员可代为申请"), status=403)
    _check_drawn(draw)
    if mode not in MODES:
        raise DrawError(N_("请选择处理方式"), "mode")
    if reason not in REASONS:
        raise DrawError(N_("请选择更换原因（回避、岗位变动、工作冲突、身体原因）"), "reason")
    if mode == SWAP and reason != RECUSAL:
        raise DrawError(N_("交换检查对象只适用于回避"), "mode")
    explanation = _text(explanation, "explanation", N_("请填写书面说明"))
    if reason == RECUSAL:
        conflict_kind = conflict_kind or "other"
        if conflict_kind not in CONFLICT_KINDS:
            raise DrawError(N_("请选择利害关系类型"), "conflict_kind")
    else:
        conflict_kind = None
    assignment = next(
        (a for a in draw.assignments if a.uscc == uscc and a.credential_no == credential_no), None
    )
    if assignment is None or inspector is None:
        raise DrawError(N_("该检查人员不在此对象的检查组中"), "credential_no")
    duplicate = session.scalars(
        select(ReplacementRequest.id).where(
            ReplacementRequest.draw_id == draw.id,
            ReplacementRequest.subject_id == assignment.subject_id,
            ReplacementRequest.inspector_id == inspector.id,
            ReplacementRequest.state == PENDING,
        )
    ).first()
    if duplicate is not None:
        raise DrawError(N_("该检查人员在此对象上已有待审批的申请"), status=409)
    request = ReplacementRequest(
        id=uuid.uuid4(),
        draw_id=draw.id,
        task_id=draw.task_id,
        department_id=draw.task.department_id,
        subject_id=assignment.subject_id,
        uscc=uscc,
        inspector_id=inspector.id,
        credential_no=credential_no,
        mode=mode,
        reason=reason,
        explanation=explanation,
        conflict_kind=conflict_kind,
        state=PENDING,
        requested_by_id=user.id,
        requested_at=utcnow(),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw.replacement_request",
        object_type="replacement_request",
        object_id=request.id,
        state=request.audit_state(),
        details={"task": draw.task.number, "mode": mode, "reason": reason},
    )
    return request


def propose(draw: Draw, request: ReplacementRequest) -> dict:
    """Who would come in if the request were approved now: {"moves": [...]} or {"error": ...}.

    Each move is {"uscc", "out", "in", "with_uscc"?}; nothing is written."""
    matching = matching_now(draw)
    out, uscc = request.credential_no, request.uscc
    try:
        if out not in matching.teams.get(uscc, ()):
            return {"error": N_("该检查人员已不在此对象的检查组中")}
        if request.mode == REPLACE:
            incoming = matching.replacement_for(uscc, out)
            return {"moves": [{"uscc": uscc, "out": out, "in": incoming}]}
        if request.mode == SWAP:
            other, partner = matching.swap_partner(uscc, out)
            return {"moves": [{"uscc": uscc, "out": out, "in": partner, "with_uscc": other}]}
        plan = dsr.plan_withdrawal(matching, out)
        return {"moves": [{"uscc": u, "out": out, "in": c} for u, c in plan]}
    except dsr.NoSwapPartner:
        return {"error": N_("本任务没有可与其交换检查对象的检查人员")}
    except dsr.InsufficientInspectors:
        return {"error": N_("人员库中已没有可补入的检查人员")}


def _pending(request) -> None:
    if request.state != PENDING:
        raise DrawError(N_("该申请已处理"), status=409)


def _move(draw: Draw, uscc: str, out: str, incoming: Inspector) -> bool:
    """`incoming` takes `out`'s row on u's team (same position). True if `out` was the lead."""
    row = next(a for a in draw.assignments if a.uscc == uscc and a.credential_no == out)
    was_lead = row.is_team_lead
    row.inspector_id, row.credential_no = incoming.id, incoming.credential_no
    # A lead is a named person: a newcomer is not the lead until the dept head says so.
    row.is_team_lead, row.designated_by_id, row.designated_at = False, None, None
    return was_lead


def _append(draw: Draw, amendments: list[dict]) -> None:
    # A new dict, so SQLAlchemy sees the JSON column change.
    bundle = dict(draw.bundle)
    bundle["amendments"] = [*bundle.get("amendments", []), *amendments]
    draw.bundle = bundle


def approve_request(
    session: Session, *, actor: Actor, user, request: ReplacementRequest, comment: str | None = None
) -> list[str]:
    """Approve: compute the incoming inspector(s) now, amend the bundle and the teams.

    Returns the USCCs whose team lead left (the dept head must designate again)."""
    if not may_decide(user):
        raise DrawError(N_("只有分管负责人可以审批更换检查人员"), status=403)
    draw = request.draw
    _lock(session, draw)
    _pending(request)
    _check_drawn(draw)
    plan = propose(draw, request)
    if "error" in plan:
        raise DrawError(plan["error"], status=409)
    moves = plan["moves"]
    _refuse_registered_conflicts(
        session,
        [(m["uscc"], m["in"]) for m in moves]
        + [(m["with_uscc"], m["out"]) for m in moves if "with_uscc" in m],
    )
    at, approver = _now_local(), user.display_name
    reason = str(REASONS[request.reason])
    if request.mode == SWAP:
        move = moves[0]
        amendments = [
            dsr.swap_amendment(
                move["uscc"], move["out"], move["with_uscc"], move["in"], reason, approver, at
            )
        ]
    else:
        amendments = [
            dsr.amendment(m["uscc"], m["out"], m["in"], reason, approver, at) for m in moves
        ]
        if request.mode == WITHDRAW:
            amendments.insert(
                0, dsr.withdrawal_amendment(request.credential_no, reason, approver, at)
            )
    people = _inspectors_by_credential(session, [m["in"] for m in moves] + [request.credential_no])
    leads_cleared = []
    for move in moves:
        if _move(draw, move["uscc"], move["out"], people[move["in"]]):
            leads_cleared.append(move["uscc"])
        if "with_uscc" in move and _move(draw, move["with_uscc"], move["in"], people[move["out"]]):
            leads_cleared.append(move["with_uscc"])
    _append(draw, amendments)
    request.state, request.decided_by_id, request.decided_at = APPROVED, user.id, utcnow()
    request.decision_comment = (comment or "").strip() or None
    request.amendments = amendments
    if request.reason == RECUSAL:
        _register_conflict(session, actor, request)
    session.flush()
    _audit_amendments(session, actor, draw, amendments, leads_cleared)
    audit.record(
        session,
        actor=actor,
        action="draw.replacement_approve",
        object_type="replacement_request",
        object_id=request.id,
        state=request.audit_state(),
        details={"task": draw.task.number, "leads_cleared": leads_cleared},
    )
    return leads_cleared


def _register_conflict(session: Session, actor: Actor, request: ReplacementRequest) -> None:
    """A recusal puts the pair in the conflict register: later draws exclude it (Art. 17)."""
    kind = request.conflict_kind or "other"
    existing = session.scalars(
        select(Conflict).where(
            Conflict.inspector_id == request.inspector_id,
            Conflict.subject_id == request.subject_id,
            Conflict.kind == kind,
            Conflict.is_active.is_(True),
        )
    ).first()
    if existing is not None:
        return
    directory_ops.register_conflict(
        session,
        actor=actor,
        inspector=request.inspector,
        subject=session.get(Subject, request.subject_id),
        kind=kind,
        note=f"回避申请（{request.draw.task.number or ''}）：{request.explanation}",
    )


def _audit_amendments(session, actor, draw, amendments, leads_cleared) -> None:
    audit.record(
        session,
        actor=actor,
        action="draw.amend",
        object_type="draw",
        object_id=draw.id,
        state={"amendments": len(draw.bundle["amendments"]), "teams": current_teams(draw)},
        details={"task": draw.task.number, "added": amendments, "leads_cleared": leads_cleared},
    )


def refuse_request(
    session: Session, *, actor: Actor, user, request: ReplacementRequest, comment: str
) -> None:
    """Refuse with a written comment; the teams do not change."""
    if not may_decide(user):
        raise DrawError(N_("只有分管负责人可以审批更换检查人员"), status=403)
    _pending(request)
    comment = _text(comment, "comment", N_("不同意时请填写理由"))
    request.state, request.decided_by_id, request.decided_at = REFUSED, user.id, utcnow()
    request.decision_comment = comment
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw.replacement_refuse",
        object_type="replacement_request",
        object_id=request.id,
        state=request.audit_state(),
        details={"task": request.draw.task.number},
    )


# ---------------------------------------------------------------- alternates


def next_alternate(draw: Draw) -> str | None:
    """The first alternate not used yet (rank order), or None."""
    alternates = [s.uscc for s in draw.selections if s.is_alternate]
    try:
        return dsr.next_alternate(alternates, (draw.bundle or {}).get("amendments", []))
    except dsr.NoAlternateLeft:
        return None


def request_alternate(
    session: Session, *, actor: Actor, user, draw: Draw, uscc: str, reason: str, note: str | None
) -> AlternateUse:
    """Use the next alternate in place of subject u; a dept head's own request is approved."""
    if not may_use_alternates(user, draw):
        raise DrawError(N_("只有本科室负责人或后台人员可以使用备选对象"), status=403)
    _check_drawn(draw)
    if reason not in ALTERNATE_REASONS:
        raise DrawError(
            N_("只有检查对象已注销、已停业/关闭或无法联系/下落不明时才能使用备选对象"), "reason"
        )
    note = (note or "").strip() or None
    if reason in NOTE_REQUIRED:
        note = _text(note, "note", N_("无法联系/下落不明时请填写书面说明"))
    elif note and len(note) > MAX_TEXT:
        raise DrawError(N_("最多 %(n)s 个字"), "note", n=MAX_TEXT)
    row = next((a for a in draw.assignments if a.uscc == uscc), None)
    if row is None:
        raise DrawError(N_("该对象不是本次抽取的检查对象"), "uscc")
    if next_alternate(draw) is None:
        raise DrawError(N_("备选对象已全部使用，不能再替换（不得重新抽取）"), status=409)
    duplicate = session.scalars(
        select(AlternateUse.id).where(
            AlternateUse.draw_id == draw.id,
            AlternateUse.replaced_subject_id == row.subject_id,
            AlternateUse.state == PENDING,
        )
    ).first()
    if duplicate is not None:
        raise DrawError(N_("该对象已有待审批的备选替换申请"), status=409)
    use = AlternateUse(
        id=uuid.uuid4(),
        draw_id=draw.id,
        task_id=draw.task_id,
        department_id=draw.task.department_id,
        replaced_subject_id=row.subject_id,
        replaced_uscc=uscc,
        reason=reason,
        note=note,
        state=PENDING,
        requested_by_id=user.id,
        requested_at=utcnow(),
    )
    session.add(use)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw.alternate_request",
        object_type="alternate_use",
        object_id=use.id,
        state=use.audit_state(),
        details={"task": draw.task.number, "reason": reason},
    )
    if may_approve_alternates(user, draw):  # one step is enough when the dept head files it
        approve_alternate(session, actor=actor, user=user, use=use)
    return use


def approve_alternate(session: Session, *, actor: Actor, user, use: AlternateUse) -> str:
    """The dept head approves: the first unused alternate takes the place, with a new team."""
    draw = use.draw
    if not may_approve_alternates(user, draw):
        raise DrawError(N_("只有本科室负责人可以批准使用备选对象"), status=403)
    _lock(session, draw)
    _pending(use)
    _check_drawn(draw)
    matching = matching_now(draw)
    if use.replaced_uscc not in matching.teams:
        raise DrawError(N_("该对象已不在本次抽取的检查对象中"), status=409)
    alternates = [s.uscc for s in draw.selections if s.is_alternate]
    try:
        incoming, team = dsr.plan_alternate(
            matching, alternates, draw.bundle.get("amendments", []), use.replaced_uscc
        )
    except dsr.NoAlternateLeft:
        raise DrawError(N_("备选对象已全部使用，不能再替换（不得重新抽取）"), status=409) from None
    except dsr.InsufficientInspectors:
        raise DrawError(N_("人员库中已没有足够的检查人员组成检查组"), status=409) from None
    _refuse_registered_conflicts(session, [(incoming, c) for c in team])
    reason = str(ALTERNATE_REASONS[use.reason])
    amendment = dsr.alternate_amendment(
        use.replaced_uscc, incoming, team, reason, user.display_name, _now_local()
    )
    selection = next(s for s in draw.selections if s.is_alternate and s.uscc == incoming)
    for row in [a for a in draw.assignments if a.uscc == use.replaced_uscc]:
        draw.assignments.remove(row)  # the bundle and this use keep the history
    people = _inspectors_by_credential(session, team)
    for place, credential in enumerate(team):
        draw.assignments.append(
            DrawAssignment(
                uscc=incoming,
                subject_id=selection.subject_id,
                inspector_id=people[credential].id,
                credential_no=credential,
                # After every selected subject's rows, in the alternates' rank order.
                position=(draw.k + selection.position) * draw.team_size + place,
            )
        )
    _append(draw, [amendment])
    use.state, use.decided_by_id, use.decided_at = APPROVED, user.id, utcnow()
    use.subject_id, use.uscc, use.amendment = selection.subject_id, incoming, amendment
    session.flush()
    visit_ops.add_for_alternate(
        session,
        actor=actor,
        draw=draw,
        replaced_subject_id=use.replaced_subject_id,
        subject_id=selection.subject_id,
        uscc=incoming,
        reason=reason,
    )
    _audit_amendments(session, actor, draw, [amendment], [])
    audit.record(
        session,
        actor=actor,
        action="draw.alternate_approve",
        object_type="alternate_use",
        object_id=use.id,
        state=use.audit_state(),
        details={"task": draw.task.number},
    )
    return incoming


def refuse_alternate(session: Session, *, actor: Actor, user, use: AlternateUse, comment: str):
    if not may_approve_alternates(user, use.draw):
        raise DrawError(N_("只有本科室负责人可以批准使用备选对象"), status=403)
    _pending(use)
    comment = _text(comment, "comment", N_("不同意时请填写理由"))
    use.state, use.decided_by_id, use.decided_at = REFUSED, user.id, utcnow()
    use.decision_comment = comment
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw.alternate_refuse",
        object_type="alternate_use",
        object_id=use.id,
        state=use.audit_state(),
        details={"task": use.draw.task.number},
    )


# ---------------------------------------------------------------- lists for the pages


def visible_requests(session: Session, user, *, pending_only: bool = False):
    """Requests the user may see: leaders/admins all; dept staff their department's; an
    inspector those about them or filed by them."""
    stmt = select(ReplacementRequest).order_by(ReplacementRequest.requested_at.desc())
    if pending_only:
        stmt = stmt.where(ReplacementRequest.state == PENDING)
    if not user.has_role("leader", "admin"):
        mine = select(Inspector.id).where(Inspector.user_id == user.id)
        clauses = [
            ReplacementRequest.requested_by_id == user.id,
            ReplacementRequest.inspector_id.in_(mine),
        ]
        if user.has_role("dept_head", "back_office") and user.department_id is not None:
            clauses.append(ReplacementRequest.department_id == user.department_id)
        stmt = stmt.where(or_(*clauses))
    return list(session.scalars(stmt))


def visible_alternate_uses(session: Session, user, *, pending_only: bool = False):
    stmt = select(AlternateUse).order_by(AlternateUse.requested_at.desc())
    if pending_only:
        stmt = stmt.where(AlternateUse.state == PENDING)
    if not user.has_role("leader", "admin"):
        if not user.has_role("dept_head", "back_office") or user.department_id is None:
            return []
        stmt = stmt.where(AlternateUse.department_id == user.department_id)
    return list(session.scalars(stmt))


def my_assignments(session: Session, user) -> list[DrawAssignment]:
    """The current team places of the inspector linked to this user, in drawn draws."""
    stmt = (
        select(DrawAssignment)
        .join(Inspector, Inspector.id == DrawAssignment.inspector_id)
        .join(Draw, Draw.id == DrawAssignment.draw_id)
        .where(Inspector.user_id == user.id, Draw.state == DRAWN)
        .order_by(Draw.drawn_at.desc(), DrawAssignment.position)
    )
    return list(session.scalars(stmt))
