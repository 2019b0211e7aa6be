"""Console: the calendar overrides (admin) and a due-date calculator to check deadlines."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN
from server.calendar import operations, service
from server.calendar.models import CalendarOverride
from server.calendar.schemas import calculator_args, edit_override_args, override_args
from server.extensions import db
from server.validation import InputError, form_data, parse

bp = Blueprint("calendar", __name__, template_folder="templates", url_prefix="/admin/calendar")


def _messages(errors: dict) -> dict[str, list[str]]:
    """Field → list of plain strings (lazy Chinese messages resolved for the template)."""
    return {
        field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for field, msgs in errors.items()
    }


def _page(*, form=None, errors=None, status=200):
    """The overrides page: list, add form and calculator (its result computed from the query)."""
    overrides = db.session.scalars(
        select(CalendarOverride).order_by(CalendarOverride.day.desc())
    ).all()
    calendar = service.WorkdayCalendar(db.session)
    official = {o.day: service.official(o.day) for o in overrides}
    calc, calc_errors = None, None
    if request.args.get("start") or request.args.get("n"):
        try:
            args = parse(calculator_args, form_data(request.args))
        except InputError as err:
            calc_errors = _messages(err.errors)
        else:
            due, provisional = calendar.add_workdays(args["start"], args["n"])
            calc = {**args, "due": due, "provisional": provisional, "info": calendar.info(due)}
    years = service.official_years()
    return (
        render_template(
            "calendar/overrides.html",
            overrides=overrides,
            official=official,
            form=form or {},
            errors=errors or {},
            calc=calc,
            calc_args=request.args,
            calc_errors=calc_errors or {},
            first_year=years.start,
            last_year=years.stop - 1,
        ),
        status,
    )


@bp.get("")
@roles_required(ADMIN)
def overrides():
    return _page()


@bp.post("/overrides")
@roles_required(ADMIN)
def overrides_create():
    try:
        args = parse(override_args, form_data(request.form))
    except InputError as err:
        return _page(form=request.form, errors=_messages(err.errors), status=422)
    operations.set_override(
        db.session,
        actor=current_actor(),
        day=args["day"],
        is_workday=args["kind"] == "workday",
        note=args["note"],
    )
    flash(_("已保存 %(day)s 的调整", day=args["day"].isoformat()), "success")
    return redirect(url_for("calendar.overrides"))


def _override_or_404(day: str) -> CalendarOverride:
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    override = db.session.get(CalendarOverride, parsed)
    if override is None:
        abort(404)
    return override


@bp.route("/overrides/<day>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def overrides_edit(day: str):
    override = _override_or_404(day)
    if request.method == "GET":
        form = {
            "kind": "workday" if override.is_workday else "dayoff",
            "note": override.note,
        }
        return render_template("calendar/edit.html", override=override, form=form, errors={})
    try:
        args = parse(edit_override_args, form_data(request.form))
    except InputError as err:
        return (
            render_template(
                "calendar/edit.html",
                override=override,
                form=request.form,
                errors=_messages(err.errors),
            ),
            422,
        )
    operations.set_override(
        db.session,
        actor=current_actor(),
        day=override.day,
        is_workday=args["kind"] == "workday",
        note=args["note"],
    )
    flash(_("已保存 %(day)s 的调整", day=override.day.isoformat()), "success")
    return redirect(url_for("calendar.overrides"))


@bp.post("/overrides/<day>/delete")
@roles_required(ADMIN)
def overrides_delete(day: str):
    override = _override_or_404(day)
    operations.delete_override(db.session, actor=current_actor(), day=override.day)
    flash(_("已删除 %(day)s 的调整，恢复国务院安排", day=override.day.isoformat()), "success")
    return redirect(url_for("calendar.overrides"))
