"""Public pages and JSON of annual plans (Art. 13): published versions only, no names.

`register(bp)` is called at the end of server/public/views.py; it adds the pages to the public
blueprint, the JSON to the public API blueprint and the section to the public header.
"""

from __future__ import annotations

import itertools

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l

from server.directory.models import Region
from server.extensions import db
from server.items import queries as item_queries
from server.plans import queries
from server.plans.schemas import PublicPlanSchema
from server.plans.views import overrides_by_item


def history(plan) -> list[dict]:
    """The plan's public versions, newest first: number, date, reason."""
    return [
        {"version_no": v.version_no, "at": v.created_at, "reason": v.reason}
        for v in reversed(plan.versions)
    ]


def plan_record(plan, version) -> dict:
    """A published plan as `PublicPlanSchema` documents it."""
    snap = version.snapshot
    return {
        "id": plan.id,
        "year": plan.year,
        "department": plan.department.name,
        "filed_to": snap.get("filed_to"),
        "version_no": version.version_no,
        "published_at": version.created_at,
        "lines": snap.get("lines", []),
        "overrides": snap.get("overrides", []),
        "history": history(plan),
    }


def _published(plan_id):
    plan = queries.get_plan(db.session, plan_id)
    if plan is None or not plan.current_version_no:
        abort(404)  # a draft or a merely filed plan does not exist for the public
    return plan


def _regions() -> dict[str, str]:
    return {r.code: r.name for r in db.session.query(Region)}


def plans():
    published = queries.published_plans(db.session)
    entries = [(plan, queries.version(db.session, plan)) for plan in published]
    years = [
        (year, list(group)) for year, group in itertools.groupby(entries, key=lambda e: e[0].year)
    ]
    return render_template("plans/public_list.html", years=years, history=history)


def plan_detail(plan_id):
    plan = _published(plan_id)
    number = request.args.get("version", type=int)
    version = queries.version(db.session, plan, number)
    if version is None:
        abort(404)
    return render_template(
        "plans/public_detail.html",
        plan=plan,
        version=version,
        changes=history(plan),
        methods=item_queries.method_codes(db.session),
        regions=_regions(),
        overrides_by_item=overrides_by_item(version.snapshot.get("overrides", [])),
    )


def api_plans():
    """Published annual plans (newest version of each, with its change history)"""
    return [
        plan_record(plan, queries.version(db.session, plan))
        for plan in queries.published_plans(db.session)
    ]


def register(bp) -> None:
    """Add the plan pages and JSON to the public blueprints and the public header."""
    from server.public import views  # the caller: already defines `api` and the sections

    bp.add_url_rule("/public/plans", "plans", plans)
    bp.add_url_rule("/public/plans/<plan_id>", "plan_detail", plan_detail)
    views.api.route("/plans", methods=["GET"])(
        views.api.response(
            200, PublicPlanSchema(many=True), description="已公开的年度抽查工作计划"
        )(api_plans)
    )
    views.PUBLIC_SECTIONS.append(("public.plans", _l("年度抽查工作计划")))
