"""Console page of a task's draw: announce, draw, results, team-lead designation, issue."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from server.auth.permissions import current_actor, roles_required
from server.draws import operations
from server.draws.models import Draw
from server.draws.operations import DrawError
from server.draws.schemas import AnnounceArgs, BeaconValueArgs, LeadArgs, WitnessArgs
from server.extensions import db
from server.items.schemas import flat_errors
from server.public.draw_views import result_rows
from server.tasks import queries as task_queries
from server.tasks import workflow
from server.tasks.operations import TaskError

bp = Blueprint("draws", __name__, template_folder="templates")

# Leaders oversee every department's draws; the others see their own department's.
VIEW_ROLES = ("admin", "leader", "dept_head", "back_office")


def _task(task_id: str):
    task = task_queries.get_task(db.session, task_id)
    if task is None:
        abort(404)
    if not current_user.has_role("admin", "leader") and (
        current_user.department_id != task.department_id
    ):
        abort(403)
    return task


def _draw_of(task):
    return db.session.scalars(select(Draw).where(Draw.task_id == task.id)).first()


def _beacon_options() -> list[dict]:
    """Each offered beacon with its default round and that round's expected local time."""
    options = []
    for name, chosen in operations.beacon_choices().items():
        round_ = operations.default_beacon_round(name)
        options.append(
            {
                "name": name,
                "is_demo": chosen.is_demo,
                "round": round_,
                "time": operations._local(chosen.round_time(round_)),
            }
        )
    return options


def _render(task, errors=None, status=200, values=None):
    draw = _draw_of(task)
    announce = workflow.transition_for("announce")
    options = _beacon_options() if draw is None else []
    return (
        render_template(
            "draws/panel.html",
            task=task,
            draw=draw,
            rows=result_rows(draw) if draw else None,
            pool_rule=operations.pool_text(task),
            can_draw=workflow.may(current_user, task, announce),
            can_designate=operations.can_designate(current_user, task),
            can_issue=operations.can_issue(current_user, task),
            without_lead=len(operations.teams_without_lead(draw)) if draw else 0,
            beacon_options=options,
            beacon_labels={
                o["name"]: _("演示信标（demo-beacon，非真实随机信标，仅供演示）")
                if o["is_demo"]
                else _("drand 公共随机信标 quicknet（每 3 秒一轮）")
                for o in options
            },
            beacon_time=operations.beacon_time(draw) if draw else None,
            beacon_url=operations.beacon_round_url(draw) if draw else None,
            demo_beacon=operations.is_demo_beacon(draw) if draw else False,
            beacon_delay=current_app.config["BEACON_DELAY_MINUTES"],
            errors=errors or {},
            values=values or {},
        ),
        status,
    )


def _refused(task, error: DrawError | TaskError, values=None):
    # TaskError: the task's own transition refused (e.g. a concurrent announcement won).
    if error.status == 403:
        abort(403, description=error.translated())
    return _render(task, {error.field or "_schema": [error.translated()]}, error.status, values)


@bp.get("/tasks/<task_id>/draw")
@roles_required(*VIEW_ROLES)
def panel(task_id: str):
    return _render(_task(task_id))


@bp.post("/tasks/<task_id>/draw/announce")
@roles_required(*VIEW_ROLES)
def announce(task_id: str):
    task = _task(task_id)
    values = request.form.to_dict()
    try:
        args = AnnounceArgs().load(values)
        operations.announce_draw(
            db.session,
            actor=current_actor(),
            task=task,
            user=current_user,
            source=args["source"],
            beacon=args["beacon"],
            beacon_round=args["beacon_round"],
        )
    except ValidationError as error:
        return _render(task, flat_errors(error.messages), 422, values)
    except (DrawError, TaskError) as error:
        return _refused(task, error, values)
    flash(_("已发布抽取公告"), "success")
    return redirect(url_for("draws.panel", task_id=task.id))


@bp.post("/tasks/<task_id>/draw/run")
@roles_required(*VIEW_ROLES)
def run(task_id: str):
    task = _task(task_id)
    draw = _draw_of(task)
    if draw is None:
        abort(409, description=_("尚未发布抽取公告"))
    values = request.form.to_dict()
    try:
        if draw.source == "beacon":
            args = {"witness_input": "", **BeaconValueArgs().load(values)}
        else:
            args = WitnessArgs().load({"witness_input": values.get("witness_input", "")})
            args.update(beacon_randomness=None, beacon_signature=None)
        operations.draw_objects(
            db.session,
            actor=current_actor(),
            draw=draw,
            witness_input=args["witness_input"],
            beacon_randomness=args["beacon_randomness"],
            beacon_signature=args["beacon_signature"],
            user=current_user,
        )
    except ValidationError as error:
        return _render(task, flat_errors(error.messages), 422, values)
    except (DrawError, TaskError) as error:
        return _refused(task, error, values)
    flash(_("抽取完成"), "success")
    return redirect(url_for("draws.panel", task_id=task.id))


@bp.post("/tasks/<task_id>/draw/lead")
@roles_required("dept_head")
def designate(task_id: str):
    task = _task(task_id)
    draw = _draw_of(task)
    if draw is None:
        abort(404)
    try:
        args = LeadArgs().load(request.form.to_dict())
        operations.designate_team_lead(
            db.session,
            actor=current_actor(),
            draw=draw,
            uscc=args["uscc"],
            credential_no=args["credential_no"],
            user=current_user,
        )
    except ValidationError as error:
        return _render(task, flat_errors(error.messages), 422)
    except (DrawError, TaskError) as error:
        return _refused(task, error)
    flash(_("已指定检查组组长"), "success")
    return redirect(url_for("draws.panel", task_id=task.id))


@bp.post("/tasks/<task_id>/draw/issue")
@roles_required(*VIEW_ROLES)
def issue(task_id: str):
    """下达: the visits go out to the inspectors' phones once every team has its lead."""
    task = _task(task_id)
    draw = _draw_of(task)
    if draw is None:
        abort(409, description=_("尚未发布抽取公告"))
    try:
        operations.issue_task(db.session, actor=current_actor(), draw=draw, user=current_user)
    except (DrawError, TaskError) as error:
        return _refused(task, error)
    flash(_("任务已下达"), "success")
    return redirect(url_for("draws.panel", task_id=task.id))


@bp.get("/tasks/<task_id>/draw/internal-bundle.json")
@roles_required("admin", "leader", "dept_head")
def internal_bundle(task_id: str):
    """The auditors' bundle (with the conflicts): recomputes the teams too. Not public."""
    task = _task(task_id)
    draw = _draw_of(task)
    if draw is None or draw.state != "drawn":
        abort(404)
    response = jsonify(operations.internal_bundle(draw))
    response.headers["Content-Disposition"] = f"attachment; filename=internal-{draw.id}.json"
    return response


from server.draws import replacement_views  # noqa: E402,F401
