"""Console pages of recusal / replacement requests (Art. 17–18) and alternate uses (§2.4).

Registered on the draws blueprint (imported at the end of server/draws/views.py). Every write is
an operation of server/draws/replacements.py inside the request's transaction.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from server.auth.permissions import current_actor, roles_required
from server.directory.models import Inspector, Subject
from server.directory.vocab import CONFLICT_KINDS
from server.draws import replacements as ops
from server.draws.models import DRAWN, Draw
from server.draws.operations import DrawError
from server.draws.replacement_models import (
    ALTERNATE_REASONS,
    MODES,
    NOTE_REQUIRED,
    REASONS,
    STATE_BADGES,
    STATES,
    AlternateUse,
    ReplacementRequest,
)
from server.draws.replacement_schemas import AlternateArgs, DecisionArgs, RequestArgs
from server.draws.views import bp
from server.extensions import db
from server.items.schemas import flat_errors
from server.tasks import queries as task_queries
from server.tasks import workflow

TASK_ROLES = ("admin", "leader", "dept_head", "back_office", "inspector")


def _names(usccs=(), credentials=()) -> tuple[dict, dict]:
    """Subject names by USCC and inspector names by credential number (for display)."""
    stmt = select(Subject.uscc, Subject.name).where(Subject.uscc.in_(set(usccs)))
    subjects = {uscc: name for uscc, name in db.session.execute(stmt)}
    stmt = select(Inspector.credential_no, Inspector.name)
    stmt = stmt.where(Inspector.credential_no.in_(set(credentials)))
    people = {credential: name for credential, name in db.session.execute(stmt)}
    return subjects, people


def _mine(draw: Draw) -> set[str]:
    """Credential numbers linked to the signed-in user that are on this draw's teams."""
    stmt = select(Inspector.credential_no).where(Inspector.user_id == current_user.id)
    own = set(db.session.scalars(stmt))
    return {a.credential_no for a in draw.assignments} & own


def _task_and_draw(task_id: str):
    task = task_queries.get_task(db.session, task_id)
    if task is None:
        abort(404)
    draw = db.session.scalars(select(Draw).where(Draw.task_id == task.id)).first()
    if draw is None or draw.state != DRAWN:
        abort(404)
    staff = {workflow.HEAD, workflow.OFFICE} & workflow.capacities(current_user, task)
    if not (current_user.has_role("admin", "leader") or staff or _mine(draw)):
        abort(403)
    return task, draw


def _render_task(task, draw, errors=None, status=200, values=None):
    teams = ops.current_teams(draw)
    amendments = draw.bundle.get("amendments", [])
    usccs = [s.uscc for s in draw.selections]
    credentials = [c for t in teams for c in t["inspectors"]]
    credentials += [a[k] for a in amendments for k in ("in", "out") if k in a]
    credentials += [c for a in amendments for c in a.get("inspectors", ())]
    subjects, people = _names(usccs, credentials)
    leads = {(a.uscc, a.credential_no) for a in draw.assignments if a.is_team_lead}
    staff = {workflow.HEAD, workflow.OFFICE} & workflow.capacities(current_user, task)
    own = _mine(draw)
    places = [
        {
            "value": f"{t['uscc']}|{c}",
            "label": f"{subjects.get(t['uscc'], t['uscc'])} — {people.get(c, c)}（{c}）",
        }
        for t in teams
        for c in t["inspectors"]
        if staff or c in own
    ]
    requests = [r for r in ops.visible_requests(db.session, current_user) if r.draw_id == draw.id]
    uses = [u for u in ops.visible_alternate_uses(db.session, current_user) if u.draw_id == draw.id]
    return (
        render_template(
            "draws/replacement_task.html",
            task=task,
            draw=draw,
            teams=teams,
            subjects=subjects,
            people=people,
            leads=leads,
            places=places,
            requests=requests,
            uses=uses,
            next_alternate=ops.next_alternate(draw),
            can_use_alternates=ops.may_use_alternates(current_user, draw),
            modes=MODES,
            reasons=REASONS,
            conflict_kinds=CONFLICT_KINDS,
            alternate_reasons=ALTERNATE_REASONS,
            note_required=NOTE_REQUIRED,
            states=STATES,
            badges=STATE_BADGES,
            amendments=amendments,
            subject_names=subjects,
            inspector_names=people,
            errors=errors or {},
            values=values or {},
        ),
        status,
    )


def _refused(render, error: DrawError, values=None):
    if error.status == 403:
        abort(403, description=error.translated())
    return render({error.field or "_schema": [error.translated()]}, error.status, values)


@bp.get("/tasks/<task_id>/draw/replacements")
@roles_required(*TASK_ROLES)
def replacements_task(task_id: str):
    return _render_task(*_task_and_draw(task_id))


@bp.post("/tasks/<task_id>/draw/replacements")
@roles_required("dept_head", "back_office", "inspector")
def replacements_file(task_id: str):
    task, draw = _task_and_draw(task_id)
    values = request.form.to_dict()

    def render(errors, status, values=values):
        return _render_task(task, draw, errors, status, values)

    try:
        args = RequestArgs().load(values)
        uscc, _sep, credential_no = args["place"].partition("|")
        ops.request_replacement(
            db.session,
            actor=current_actor(),
            user=current_user,
            draw=draw,
            uscc=uscc,
            credential_no=credential_no,
            mode=args["mode"],
            reason=args["reason"],
            explanation=args["explanation"],
            conflict_kind=args["conflict_kind"],
        )
    except ValidationError as error:
        return render(flat_errors(error.messages), 422)
    except DrawError as error:
        return _refused(render, error)
    flash(_("申请已提交，等待分管负责人审批"), "success")
    return redirect(url_for("draws.replacements_task", task_id=task.id))


@bp.post("/tasks/<task_id>/draw/alternates")
@roles_required("dept_head", "back_office")
def alternates_file(task_id: str):
    task, draw = _task_and_draw(task_id)
    values = request.form.to_dict()

    def render(errors, status, values=values):
        return _render_task(task, draw, errors, status, values)

    try:
        args = AlternateArgs().load(values)
        use = ops.request_alternate(
            db.session,
            actor=current_actor(),
            user=current_user,
            draw=draw,
            uscc=args["uscc"],
            reason=args["reason"],
            note=args["note"],
        )
    except ValidationError as error:
        return render(flat_errors(error.messages), 422)
    except DrawError as error:
        return _refused(render, error)
    if use.state == "approved":
        flash(_("已使用备选对象 %(uscc)s，并按规则匹配了检查组", uscc=use.uscc), "success")
    else:
        flash(_("已提交，等待科室负责人批准"), "success")
    return redirect(url_for("draws.replacements_task", task_id=task.id))


# ---------------------------------------------------------------- lists and decisions


def _labels(rows_requests, rows_uses, proposals=None):
    usccs, credentials = set(), set()
    for r in rows_requests:
        usccs.add(r.uscc)
        credentials.add(r.credential_no)
        for a in r.amendments or []:
            usccs.update(v for k, v in a.items() if k in ("uscc", "with_uscc"))
            credentials.update(a[k] for k in ("in", "out") if k in a)
    for moves in (proposals or {}).values():
        for m in moves.get("moves", []):
            usccs.update(v for k, v in m.items() if k in ("uscc", "with_uscc"))
            credentials.update((m["in"], m["out"]))
    for u in rows_uses:
        usccs.update(x for x in (u.replaced_uscc, u.uscc) if x)
    return _names(usccs, credentials)


def _places() -> list[dict]:
    """The signed-in inspector's current team places, with their task."""
    rows = ops.my_assignments(db.session, current_user)
    draws = {
        d.id: d
        for d in db.session.scalars(select(Draw).where(Draw.id.in_({a.draw_id for a in rows})))
    }
    return [
        {"task": draws[a.draw_id].task, "uscc": a.uscc, "is_lead": a.is_team_lead} for a in rows
    ]


def _render_lists(template: str, requests, uses, proposals=None, errors=None, status=200):
    places = _places()
    subjects, people = _labels(requests, uses, proposals)
    subjects.update(_names([p["uscc"] for p in places])[0])
    return (
        render_template(
            template,
            requests=requests,
            uses=uses,
            proposals=proposals or {},
            subjects=subjects,
            people=people,
            places=places,
            modes=MODES,
            reasons=REASONS,
            alternate_reasons=ALTERNATE_REASONS,
            states=STATES,
            badges=STATE_BADGES,
            errors=errors or {},
        ),
        status,
    )


@bp.get("/replacements")
@roles_required(*TASK_ROLES)
def replacements():
    """Requests about me / filed by me / of my department, with their decisions."""
    return _render_lists(
        "draws/replacement_list.html",
        ops.visible_requests(db.session, current_user),
        ops.visible_alternate_uses(db.session, current_user),
    )


def _render_queue(errors=None, status=200):
    requests = (
        ops.visible_requests(db.session, current_user, pending_only=True)
        if ops.may_decide(current_user)
        else []
    )
    uses = [
        u
        for u in ops.visible_alternate_uses(db.session, current_user, pending_only=True)
        if ops.may_approve_alternates(current_user, u.draw)
    ]
    proposals = {r.id: ops.propose(r.draw, r) for r in requests}
    return _render_lists("draws/replacement_queue.html", requests, uses, proposals, errors, status)


@bp.get("/replacements/queue")
@roles_required("leader", "dept_head")
def replacements_queue():
    """Pending decisions: leaders decide replacements; dept heads decide alternate uses."""
    return _render_queue()


def _get(model, object_id):
    try:
        row = db.session.get(model, uuid.UUID(str(object_id)))
    except ValueError:
        row = None
    if row is None:
        abort(404)
    return row


def _decide(model, object_id, decide, done_message):
    row = _get(model, object_id)
    try:
        args = DecisionArgs().load(request.form.to_dict())
        result = decide(row, args["comment"])
    except ValidationError as error:
        return _render_queue(flat_errors(error.messages), 422)
    except DrawError as error:
        if error.status == 403:
            abort(403, description=error.translated())
        return _render_queue({"_schema": [error.translated()]}, error.status)
    flash(done_message, "success")
    for uscc in result or []:
        flash(
            _("检查对象 %(uscc)s 的组长已更换离开，请科室负责人重新指定组长", uscc=uscc), "warning"
        )
    return redirect(url_for("draws.replacements_queue"))


@bp.post("/replacements/<request_id>/approve")
@roles_required("leader")
def replacement_approve(request_id):
    return _decide(
        ReplacementRequest,
        request_id,
        lambda row, comment: ops.approve_request(
            db.session, actor=current_actor(), user=current_user, request=row, comment=comment
        ),
        _("已同意，检查组已按规则更新"),
    )


@bp.post("/replacements/<request_id>/refuse")
@roles_required("leader")
def replacement_refuse(request_id):
    return _decide(
        ReplacementRequest,
        request_id,
        lambda row, comment: ops.refuse_request(
            db.session, actor=current_actor(), user=current_user, request=row, comment=comment
        ),
        _("已不同意，检查组不变"),
    )


@bp.post("/alternates/<use_id>/approve")
@roles_required("dept_head")
def alternate_approve(use_id):
    def approve(row, comment):
        ops.approve_alternate(db.session, actor=current_actor(), user=current_user, use=row)

    return _decide(AlternateUse, use_id, approve, _("已批准使用备选对象"))


@bp.post("/alternates/<use_id>/refuse")
@roles_required("dept_head")
def alternate_refuse(use_id):
    return _decide(
        AlternateUse,
        use_id,
        lambda row, comment: ops.refuse_alternate(
            db.session, actor=current_actor(), user=current_user, use=row, comment=comment
        ),
        _("已不同意使用备选对象"),
    )
