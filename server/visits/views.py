"""Console pages of visits (/visits, /my/visits), the merge queue, and the read-only visits API.

Views parse (schemas.py), check the object-level rule (access.py), call an operation (merges.py)
and render. A refused decision re-renders the queue with 403/409/422 and nothing is written.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint

from server.auth.permissions import current_actor, roles_required
from server.clock import local_today
from server.directory import access as directory_access
from server.directory.api import signed_in
from server.extensions import db
from server.items import present as item_present
from server.items.queries import method_codes
from server.validation import InputError, form_data, parse
from server.visits import access, merges, queries, review, review_views
from server.visits.lookup import record_or_abort, visit_or_abort
from server.visits.merges import MergeError
from server.visits.models import CANCELLED, MERGED, PLANNED
from server.visits.schemas import (
    DecisionArgs,
    VisitDetailSchema,
    VisitListArgs,
    VisitPageSchema,
)

bp = Blueprint("visits", __name__, template_folder="templates")
# The evidence review page, its actions and the evidence files (endpoints `visits.review.*`).
bp.register_blueprint(review_views.bp)
api_blp = ApiBlueprint(
    "visits_api",
    __name__,
    url_prefix="/api/v1/visits",
    description="检查（含合并后的多任务检查）：只读；需登录控制台，按账号可见范围返回",
)
api_blueprints = [api_blp]

VISIT_STATES = {PLANNED: _l("待检查"), MERGED: _l("已合并"), CANCELLED: _l("已取消")}
VISIT_BADGES = {PLANNED: "warn", MERGED: "", CANCELLED: "danger"}


@bp.context_processor
def _vocabularies():
    return {"visit_states": VISIT_STATES, "visit_badges": VISIT_BADGES}


def _method_names() -> dict[str, str]:
    return {
        code: item_present.code_name(row, code) for code, row in method_codes(db.session).items()
    }


# ---- list and detail -----------------------------------------------------------------------------


@bp.get("/visits")
@roles_required(*access.READERS)
def index():
    try:
        args, errors = parse(VisitListArgs(), request.args), {}
    except InputError as error:
        args, errors = None, error.errors
    if args:
        page = queries.list_visits(db.session, current_user, args)
    else:
        page = queries.Page(items=[], total=0, page=1, page_size=50)
    teams = queries.teams_for(db.session, [link for v in page.items for link in v.tasks])
    return render_template(
        "visits/index.html",
        page=page,
        sections=queries.sections_of(page.items, teams),
        filters=request.args,
        pager_args={k: v for k, v in request.args.items() if k != "page" and v.strip()},
        errors=errors,
        year_options={str(y): str(y) for y in queries.year_options(db.session, current_user)},
        task_options={
            str(t.id): f"{t.number or ''} {t.name}".strip()
            for t in queries.task_options(db.session, current_user)
        },
        state_options={k: str(v) for k, v in VISIT_STATES.items()},
    ), (422 if errors else 200)


@bp.get("/visits/<visit_id>")
@roles_required(*access.READERS)
def detail(visit_id: str):
    return _detail(visit_or_abort(visit_id))


def _detail(visit, errors: dict | None = None, values: dict | None = None, status: int = 200):
    target = queries.get_visit(db.session, visit.merged_into_id) if visit.merged_into_id else None
    proposals = queries.proposals_of(db.session, visit)
    records = review.records_of_visit(db.session, visit.id)
    return render_template(
        "visits/detail.html",
        visit=visit,
        sections=queries.sections(db.session, visit),
        merged_from=queries.merged_from(db.session, visit),
        merged_into=target,
        proposals=proposals,
        names=queries.decision_names(db.session, proposals),
        method_names=_method_names(),
        keeps_directory=directory_access.keeps_directory(current_user),
        today=local_today(),
        records=records,
        comments=review.comments_of(db.session, [r.id for r in records]),
        may_review={r.id: review.may_review(db.session, current_user, r) for r in records},
        record_states=review_views.RECORD_STATES,
        record_badges=review_views.RECORD_BADGES,
        errors=errors or {},
        values=values or {},
    ), status


@bp.post("/visits/<visit_id>/records/<record_id>/return")
@roles_required(*access.READERS)
def return_record(visit_id: str, record_id: str):
    """Send a submitted record back to the team with a comment (reaches the phones by pull)."""
    visit, row = record_or_abort(visit_id, record_id)
    form = form_data(request.form)
    try:
        review.send_back(db.session, current_actor(), current_user, row, form.get("comment"))
    except review.ReviewError as error:
        if error.status == 403:
            abort(403, description=error.translated())
        db.session.rollback()
        db.session.refresh(visit)
        messages = {str(row.id): {error.field or "_schema": [error.translated()]}}
        return _detail(visit, messages, {str(row.id): form}, error.status)
    flash(_("已退回，意见将在检查人员同步时送达"), "success")
    return redirect(url_for("visits.detail", visit_id=visit.id, _anchor=f"record-{row.id}"))


@bp.get("/my/visits")
@roles_required(*access.FIELD_ROLES)
def mine():
    groups = queries.my_visits(db.session, current_user, local_today())
    visits = [v for group in groups.values() for v in group]
    teams = queries.teams_for(db.session, [link for v in visits for link in v.tasks])
    return render_template(
        "visits/mine.html",
        groups=groups,
        sections=queries.sections_of(visits, teams),
        today=local_today(),
    )


# ---- merge queue ---------------------------------------------------------------------------------


def _merge_page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    proposals = queries.open_proposals(db.session, current_user)
    return render_template(
        "visits/merges.html",
        proposals=proposals,
        names=queries.decision_names(db.session, [v.proposal for v in proposals]),
        may_decide=lambda view: access.may_decide(current_user, [d.id for d in view.departments]),
        method_names=_method_names(),
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/visits/merges")
@roles_required(*access.MERGE_VIEWERS)
def merge_queue():
    return _merge_page()


def _decide(proposal_id: str, operation, done_message: str):
    proposal = queries.get_proposal(db.session, proposal_id)
    if proposal is None:
        abort(404)
    form = form_data(request.form)
    try:
        args = parse(DecisionArgs(), form)
        operation(db.session, current_actor(), current_user, proposal, args.get("comment"))
    except InputError as error:
        return _merge_page({str(proposal.id): error.errors}, {str(proposal.id): form}, 422)
    except MergeError as error:
        if error.status == 403:
            abort(403, description=error.translated())
        db.session.rollback()  # nothing of the refused decision may reach the page
        messages = {error.field or "_schema": [error.translated()]}
        return _merge_page({str(proposal.id): messages}, {str(proposal.id): form}, error.status)
    flash(done_message(proposal), "success")
    return redirect(url_for("visits.merge_queue"))


def _confirmed_message(proposal) -> str:
    if proposal.state == "confirmed":
        return _("各科室均已同意，已合并为一次检查")
    return _("已同意合并，等待其他科室负责人确认")


@bp.post("/visits/merges/<proposal_id>/confirm")
@roles_required(*access.MERGE_DECIDERS)
def merge_confirm(proposal_id: str):
    return _decide(proposal_id, merges.confirm, _confirmed_message)


@bp.post("/visits/merges/<proposal_id>/decline")
@roles_required(*access.MERGE_DECIDERS)
def merge_decline(proposal_id: str):
    return _decide(proposal_id, merges.decline, lambda p: _("已不同意合并，各检查保持不变"))


# ---- JSON API ------------------------------------------------------------------------------------


def _section_json(section: queries.Section) -> dict:
    task = section.task
    return {
        "task_id": task.id,
        "number": task.number,
        "name": task.name,
        "department": task.department.name,
        "window_start": task.window_start,
        "window_end": task.window_end,
        "position": section.link.position,
        "checklist": task.checklist.name if task.checklist else None,
        "items": [vars(item) for item in section.items],
        "team": [
            {"name": m.name, "credential_no": m.credential_no, "is_team_lead": m.is_lead}
            for m in section.team
        ],
    }


def _visit_json(visit, sections: list[queries.Section]) -> dict:
    return {
        "id": visit.id,
        "state": visit.state,
        "year": visit.year,
        "subject": visit.subject,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "due_date": visit.due_date,
        "merged_into_id": visit.merged_into_id,
        "sections": [_section_json(s) for s in sections],
    }


@api_blp.route("")
class Visits(MethodView):
    decorators = [signed_in]

    @api_blp.arguments(VisitListArgs, location="query")
    @api_blp.response(200, VisitPageSchema)
    def get(self, args):
        """Visits the signed-in user may see, soonest due first (page_size ≤ 200).

        admin / leader: all; dept_head / back_office: visits carrying a task of their
        department; inspector: visits whose team they are on.
        """
        page = queries.list_visits(db.session, current_user, args)
        teams = queries.teams_for(db.session, [link for v in page.items for link in v.tasks])
        sections = queries.sections_of(page.items, teams)
        return {
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
            "pages": page.pages,
            "items": [_visit_json(v, sections[v.id]) for v in page.items],
        }


@api_blp.route("/<visit_id>")
class VisitById(MethodView):
    decorators = [signed_in]

    @api_blp.response(200, VisitDetailSchema)
    @api_blp.alt_response(403, description="该检查不在您的可见范围内")
    @api_blp.alt_response(404, description="没有该检查")
    def get(self, visit_id):
        """One visit with its sections (tasks, items, teams) and merge history."""
        visit = visit_or_abort(visit_id)
        body = _visit_json(visit, queries.sections(db.session, visit))
        body["end_reason"] = visit.end_reason
        body["merged_from"] = [v.id for v in queries.merged_from(db.session, visit)]
        return body
