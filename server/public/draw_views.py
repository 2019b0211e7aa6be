"""Public pages and JSON of draws (DSR-v1): announcements, results and the verifiable bundle.

`register(bp)` is called at the end of server/public/views.py, like plan_views. Before a draw the
secret S is never shown (nor ever for a cancelled draw); conflicts (personal data) are never
public.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Response, abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.directory.models import Inspector, Subject
from server.draws import dsr, operations
from server.draws.models import CANCELLED, DRAWN, Draw
from server.draws.schemas import BundleSchema, PublicDrawSchema
from server.extensions import db

_TOOLS = Path(__file__).resolve().parent.parent / "draws"
# The standalone verifier: verify.py needs its neighbour dsr.py (standard library only).
TOOL_FILES = ("verify.py", "dsr.py")


def _draws() -> list[Draw]:
    return list(db.session.scalars(select(Draw).order_by(Draw.announced_at.desc())))


def _draw(draw_id) -> Draw:
    try:
        draw = db.session.get(Draw, uuid.UUID(str(draw_id)))
    except ValueError:
        draw = None
    if draw is None:
        abort(404)
    return draw


def _iso(value):
    return operations._local(value).isoformat(timespec="seconds") if value else None


def _iso_local(value):
    return value.isoformat(timespec="seconds") if value else None


def draw_record(draw: Draw) -> dict:
    return {
        "id": str(draw.id),
        "task_number": draw.task.number or "",
        "task_name": draw.task.name,
        "state": draw.state,
        "announced_at": _iso(draw.announced_at),
        "drawn_at": _iso(draw.drawn_at),
        "n": draw.population_n,
        "k": draw.k,
        "m": draw.m,
        "population_root": draw.population_root,
        "source": draw.source,
        "commitment": draw.commitment,
        "beacon": draw.beacon,
        "beacon_round": draw.beacon_round,
        "beacon_time": _iso_local(operations.beacon_time(draw)),
        "cancel_reason": draw.cancel_reason if draw.state == CANCELLED else None,
        "bundle_url": url_for("public_api.draw_bundle", draw_id=draw.id),
    }


def result_rows(draw: Draw) -> dict:
    """Names for the drawn USCCs and credentials: selected, alternates, teams (public facts)."""
    if draw.state != DRAWN:
        return {"selected": [], "alternates": [], "teams": []}
    subject_ids = {s.subject_id for s in draw.selections}
    stmt = select(Subject.id, Subject.name).where(Subject.id.in_(subject_ids))
    names = {sid: name for sid, name in db.session.execute(stmt)}
    inspector_ids = {a.inspector_id for a in draw.assignments}
    stmt = select(Inspector.id, Inspector.name).where(Inspector.id.in_(inspector_ids))
    people = {iid: name for iid, name in db.session.execute(stmt)}
    teams: dict[str, list] = {}
    for a in draw.assignments:
        teams.setdefault(a.uscc, []).append(
            {
                "name": people.get(a.inspector_id, ""),
                "credential_no": a.credential_no,
                "is_lead": a.is_team_lead,
            }
        )
    rows = {"selected": [], "alternates": [], "teams": []}
    for s in draw.selections:
        row = {"uscc": s.uscc, "name": names.get(s.subject_id, ""), "rank": s.rank}
        rows["alternates" if s.is_alternate else "selected"].append(row)
    # The current teams: after replacements, swaps and alternates (the amendments), in the
    # order the bundle gives them (an alternate takes the end of the list).
    by_uscc = {r["uscc"]: r for r in rows["selected"] + rows["alternates"]}
    bundle = draw.bundle or {}
    current = dsr.current_teams(
        bundle.get("matching", {}).get("teams", []), bundle.get("amendments", [])
    )
    rows["teams"] = [
        {**by_uscc[t["uscc"]], "team": teams.get(t["uscc"], [])}
        for t in current
        if t["uscc"] in by_uscc
    ]
    rows["subject_names"] = {r["uscc"]: r["name"] for r in by_uscc.values()}
    rows["inspector_names"] = {
        member["credential_no"]: member["name"] for team in teams.values() for member in team
    }
    return rows


def draws():
    return render_template("draws/public_list.html", draws=_draws())


def draw_detail(draw_id):
    draw = _draw(draw_id)
    return render_template(
        "draws/public_detail.html",
        draw=draw,
        bundle=operations.public_bundle(draw),
        rows=result_rows(draw),
        pool_rule=operations.pool_text(draw.task),
        beacon_time=operations.beacon_time(draw),
        beacon_url=operations.beacon_round_url(draw),
        demo_beacon=operations.is_demo_beacon(draw),
        tools=TOOL_FILES,
    )


def tool(name: str):
    """The verifier's source files, to download and run with plain Python."""
    if name not in TOOL_FILES:
        abort(404)
    return Response(
        (_TOOLS / name).read_text(encoding="utf-8"),
        mimetype="text/x-python",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def api_draws():
    """Draws, newest first"""
    return [draw_record(draw) for draw in _draws()]


def api_bundle(draw_id):
    """The DSR-v1 bundle of a draw (before the draw: the announcement only, no secret)"""
    return operations.public_bundle(_draw(draw_id))


def register(bp) -> None:
    """Add the draw pages and JSON to the public blueprints and the public header."""
    from server.public import views  # the caller: already defines `api` and the sections

    bp.add_url_rule("/public/draws", "draws", draws)
    bp.add_url_rule("/public/draws/<draw_id>", "draw_detail", draw_detail)
    bp.add_url_rule("/public/draws/tools/<name>", "draw_tool", tool)
    views.api.route("/draws", methods=["GET"])(
        views.api.response(200, PublicDrawSchema(many=True), description="抽取公告与结果列表")(
            api_draws
        )
    )
    views.api.route("/draws/<draw_id>/bundle", methods=["GET"], endpoint="draw_bundle")(
        views.api.alt_response(404, description="没有该抽取")(
            views.api.response(200, BundleSchema, description="DSR-v1 抽取数据包（协议第 4 节）")(
                api_bundle
            )
        )
    )
    views.PUBLIC_SECTIONS.append(("public.draws", _l("抽取公告与结果")))
