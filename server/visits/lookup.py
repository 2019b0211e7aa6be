"""A visit (and one of its records) named in a URL, or the error page: 404 unknown, 403 outside
the user's scope. Shared by the visit, review and document pages."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from server.extensions import db
from server.visits import access, queries


def visit_or_abort(visit_id: str):
    visit = queries.get_visit(db.session, visit_id)
    if visit is None:
        abort(404)
    if not access.may_view(db.session, current_user, visit):
        abort(403)
    return visit


def record_or_abort(visit_id: str, record_id: str):
    """(visit, record); a record of another visit is 404."""
    visit = visit_or_abort(visit_id)
    row = queries.get_record(db.session, record_id)
    if row is None or row.visit_id != visit.id:
        abort(404)
    return visit, row
