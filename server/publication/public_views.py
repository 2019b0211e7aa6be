"""Public pages and JSON of published results (抽查结果公示): no sign-in, snapshots only.

`register(bp)` is called at the end of server/public/views.py, like plan_views and draw_views.
What shows is exactly the stored snapshot of a published version (no personal data is ever in
it); every earlier version stays reachable with its date and reason.

- GET /public/results                        published tasks (search: business name or USCC)
- GET /public/results/tasks/<task_id>        newest version (?version=n: an earlier one) + history
- GET /public/results/subjects/<uscc>        every published result of one business
- GET /api/v1/public/results                 paginated (filters: uscc, task, q)
- GET /api/v1/public/results/<task_id>       newest version + history
"""

from __future__ import annotations

import flask_smorest
from flask import abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from server.codes.reference import FOLLOWUP, METHOD, RESULT
from server.directory.identifiers import normalise as normalise_uscc
from server.extensions import db
from server.items.present import code_name
from server.pagination import page_body
from server.publication import queries
from server.publication.schemas import (
    PublicResultDetailSchema,
    PublicResultListArgs,
    PublicResultPageSchema,
    PublicSearchArgs,
    local_iso,
)
from server.results import queries as result_queries

# The objection form (server/objections) takes the version and the business from the link.
OBJECTION_PATH = "/public/objections/new"


def _latest(task_id):
    key = queries.get_uuid(task_id)
    publication = queries.latest(db.session, key) if key else None
    if publication is None:
        abort(404)  # an unpublished task does not exist for the public
    return publication


def _labeller():
    """label(kind, {"code", "name"}): the code's name in the page's language, else as published."""
    lookups = {kind: result_queries.codes(db.session, kind) for kind in (RESULT, METHOD, FOLLOWUP)}
    return lambda kind, entry: code_name(lookups[kind].get(entry["code"]), entry["name"])


def result_record(publication) -> dict:
    """A published version as `PublicResultDetailSchema` documents it."""
    snap = publication.snapshot
    return {
        "task_id": str(publication.task_id),
        "publication_id": str(publication.id),
        "version_no": publication.version_no,
        "published_at": local_iso(publication.published_at),
        "reason": publication.reason,
        "sha256": publication.sha256,
        "plan": snap.get("plan"),
        "task": snap["task"],
        "checking_body": snap["checking_body"],
        "completed_on": snap["completed_on"],
        "items": snap["items"],
        "subjects": snap["subjects"],
        "history": queries.history(db.session, publication.task_id),
    }


# ---- pages ------------------------------------------------------------------------------------


def results():
    try:
        args = PublicSearchArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    pagination = db.paginate(
        queries.public_list(q=args.get("q")),
        page=args["page"],
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "publication/public_list.html",
        page=pagination,
        q=args.get("q") or "",
        query_args=request.args.to_dict(),
    )


def result_task(task_id):
    latest = _latest(task_id)
    number = request.args.get("version", type=int)
    publication = latest
    if number is not None and number != latest.version_no:
        publication = next(
            (p for p in queries.versions(db.session, latest.task_id) if p.version_no == number),
            None,
        )
        if publication is None:
            abort(404)
    return render_template(
        "publication/public_task.html",
        publication=publication,
        latest=latest,
        snap=publication.snapshot,
        history=queries.history(db.session, latest.task_id),
        label=_labeller(),
        objection_path=OBJECTION_PATH,
    )


def result_subject(uscc):
    uscc = normalise_uscc(uscc)
    entries = [
        (publication, queries.subject_entry(publication, uscc))
        for publication in queries.for_subject(db.session, uscc)
    ]
    if not entries:
        abort(404)
    return render_template(
        "publication/public_subject.html",
        uscc=uscc,
        name=queries.subject_name(db.session, uscc),
        entries=[(p, e) for p, e in entries if e is not None],
        label=_labeller(),
        objection_path=OBJECTION_PATH,
    )


# ---- JSON ---------------------------------------------------------------------------------------


def api_results(args):
    """Published results: the newest version of each task, newest first"""
    page, size = args.pop("page"), args.pop("page_size")
    return page_body(
        queries.public_list(q=args.get("q"), uscc=args.get("uscc"), task_id=args.get("task")),
        page,
        size,
    )


def api_result(task_id):
    """A task's published results (newest version) with the history of its versions"""
    key = queries.get_uuid(task_id)
    publication = queries.latest(db.session, key) if key else None
    if publication is None:
        flask_smorest.abort(404, message="该任务的检查结果尚未公示")
    return result_record(publication)


def register(bp) -> None:
    """Add the result pages and JSON to the public blueprints and the public header."""
    from server.public import views  # the caller: already defines `api` and the sections

    bp.add_url_rule("/public/results", "results", results)
    bp.add_url_rule("/public/results/tasks/<task_id>", "result_task", result_task)
    bp.add_url_rule("/public/results/subjects/<uscc>", "result_subject", result_subject)
    api = views.api
    api.route("/results", methods=["GET"], endpoint="results")(
        api.arguments(PublicResultListArgs, location="query")(
            api.response(200, PublicResultPageSchema, description="已公示的抽查检查结果")(
                api_results
            )
        )
    )
    api.route("/results/<task_id>", methods=["GET"], endpoint="result")(
        api.alt_response(404, description="该任务的检查结果尚未公示")(
            api.response(200, PublicResultDetailSchema, description="任务检查结果的现行公示版本")(
                api_result
            )
        )
    )
    views.PUBLIC_SECTIONS.append(("public.results", _l("抽查结果公示")))
