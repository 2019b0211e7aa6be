"""Read-only JSON API of the two directories for signed-in console users (session auth)."""

from __future__ import annotations

import functools

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from server.clock import local_today
from server.directory import identifiers, queries
from server.directory.args import InspectorListArgs, SubjectListArgs
from server.directory.models import Subject
from server.directory.schemas import InspectorSchema, SubjectSchema
from server.extensions import db

blp = Blueprint(
    "directory_api",
    __name__,
    url_prefix="/api/v1/directory",
    description="检查对象名录库与执法检查人员名录库（只读；需登录控制台）",
)


def signed_in(view):
    """Console session required; an API caller gets 401 JSON, not a redirect to /login."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)

    return wrapped


class _PageSchema(Schema):
    total = fields.Integer(metadata={"description": "符合条件的总条数"})
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()


class SubjectPageSchema(_PageSchema):
    items = fields.List(fields.Nested(SubjectSchema))


class InspectorPageSchema(_PageSchema):
    items = fields.List(fields.Nested(InspectorSchema))


@blp.route("/subjects")
class Subjects(MethodView):
    decorators = [signed_in]

    @blp.arguments(SubjectListArgs, location="query")
    @blp.response(200, SubjectPageSchema)
    def get(self, args):
        """Subjects, filtered and paged as in the console (page_size ≤ 200)."""
        return queries.list_subjects(db.session, args)


@blp.route("/subjects/<uscc>")
class SubjectByUscc(MethodView):
    decorators = [signed_in]

    @blp.response(200, SubjectSchema)
    @blp.alt_response(404, description="名录库中没有该统一社会信用代码")
    def get(self, uscc):
        """One subject of the directory by its USCC."""
        subject = db.session.scalars(
            select(Subject).where(
                Subject.uscc == identifiers.normalise(uscc), Subject.is_deleted.is_(False)
            )
        ).first()
        if subject is None:
            abort(404)
        return subject


@blp.route("/inspectors")
class Inspectors(MethodView):
    decorators = [signed_in]

    @blp.arguments(InspectorListArgs, location="query")
    @blp.response(200, InspectorPageSchema)
    def get(self, args):
        """Inspectors, filtered and paged as in the console (ID numbers are never returned)."""
        return queries.list_inspectors(db.session, args, local_today())
