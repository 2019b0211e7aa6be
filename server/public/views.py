"""Public pages and JSON (no sign-in): the current item list and its change history.

Later disclosure pages (plans, draw announcements and proofs, results) belong here too: add
their routes to `bp` (pages) or `api` (JSON) and a link to PUBLIC_SECTIONS for the header.
"""

from __future__ import annotations

import itertools

import flask_smorest
from flask import Blueprint, abort, current_app, render_template
from flask_babel import lazy_gettext as _l

from server.extensions import db
from server.items import queries
from server.items.export import items_workbook, xlsx_response
from server.items.schemas import ItemSchema
from server.public.schemas import PublicItemDetailSchema

bp = Blueprint("public", __name__, template_folder="templates")

api = flask_smorest.Blueprint(
    "public_api",
    __name__,
    url_prefix="/api/v1/public",
    description="公开信息：无需登录即可读取（随机抽查事项清单等）",
)
api_blueprints = [api]

# The public header's sections: (endpoint, label). Later issues append plans, draws, results.
PUBLIC_SECTIONS = [("public.items", _l("随机抽查事项清单"))]


@bp.app_context_processor
def _public_sections():
    return {"public_sections": PUBLIC_SECTIONS}


def change_history(item, methods) -> list[dict]:
    """New versions, retirements and restorations, newest first — dates and reasons, no names."""
    entries = [
        {
            "kind": "version",
            "at": entry.version.created_at,
            "version_no": entry.version.version_no,
            "reason": entry.version.change_reason,
            "changed": [change.label for change in entry.changes],
        }
        for entry in queries.history(db.session, item, methods)
    ]
    entries += [
        {"kind": s.action, "at": s.at, "version_no": None, "reason": s.reason, "changed": []}
        for s in queries.status_changes(db.session, item)
    ]
    return sorted(entries, key=lambda e: e["at"], reverse=True)


# ---- pages ------------------------------------------------------------------------------------


@bp.get("/public/items")
def items():
    current = queries.current_items(db.session)
    groups = [
        (department, list(group))
        for department, group in itertools.groupby(current, key=lambda i: i.department)
    ]
    updated = max((i.current.created_at for i in current), default=None)
    return render_template(
        "public/items.html",
        groups=groups,
        total=len(current),
        updated=updated,
        methods=queries.method_codes(db.session),
    )


@bp.get("/public/items.xlsx")
def items_export():
    content = items_workbook(
        queries.current_items(db.session),
        bureau_name=current_app.config["BUREAU_NAME"],
        methods=queries.method_codes(db.session),
    )
    return xlsx_response(content)


@bp.get("/public/items/<code>")
def item_detail(code: str):
    item = queries.find_item(db.session, code)
    if item is None:
        abort(404)
    methods = queries.method_codes(db.session)
    return render_template(
        "public/item.html",
        item=item,
        version=item.current,
        methods=methods,
        changes=change_history(item, methods),
    )


# ---- JSON ---------------------------------------------------------------------------------------


@api.get("/items")
@api.response(200, ItemSchema(many=True), description="现行随机抽查事项清单（不含已停用事项）")
def api_items():
    """The current item list"""
    methods = queries.method_codes(db.session)
    return [queries.item_record(item, methods) for item in queries.current_items(db.session)]


@api.get("/items/<code>")
@api.response(200, PublicItemDetailSchema, description="事项的现行内容和变更记录")
@api.alt_response(404, description="没有该编码的事项")
def api_item(code: str):
    """One item with its public change history"""
    item = queries.find_item(db.session, code)
    if item is None:
        flask_smorest.abort(404, message="没有该编码的事项")
    methods = queries.method_codes(db.session)
    return {**queries.item_record(item, methods), "history": change_history(item, methods)}


# The annual plans' public pages live in their own module and add their routes to `bp`.
from server.public import plan_views  # noqa: E402 - needs `bp` defined above

plan_views.register(bp)

# The draws' public pages (DSR-v1) likewise.
from server.public import draw_views  # noqa: E402 - needs `bp` defined above

draw_views.register(bp)

# The published results (server/publication) likewise.
from server.publication import public_views  # noqa: E402 - needs `bp` defined above

public_views.register(bp)
