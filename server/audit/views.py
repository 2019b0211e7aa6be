"""Console: read the audit trail, inspect one event, verify the chain on demand.

Reading is not audited (it changes nothing and would flood the chain); a verification run is
(audit.verify), so who checked the chain, when, and what they saw is itself on record.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from server.audit import labels, operations
from server.audit.chain import GENESIS_HASH
from server.audit.models import AuditEvent
from server.audit.schemas import audit_filter_args
from server.auth.models import User
from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN, DEPT_HEAD, LEADER
from server.clock import SHANGHAI
from server.extensions import db
from server.validation import InputError, form_data, parse

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/audit")

READERS = (ADMIN, LEADER, DEPT_HEAD)
FILTERS = ("action", "object_type", "object_id", "actor", "date_from", "date_to")


def _local_midnight(day: dt.date) -> dt.datetime:
    """00:00 of a Shanghai calendar day, as the UTC instant the database compares."""
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI).astimezone(dt.UTC)


def _actor_names(events) -> dict:
    """Display names of the users among `events`' actors, in one query."""
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def _template_context() -> dict:
    return {
        "action_labels": labels.ACTIONS,
        "object_labels": labels.OBJECT_TYPES,
        "break_labels": labels.BREAK_KINDS,
    }


def _messages(errors: dict) -> dict[str, list[str]]:
    """Field → list of plain strings (lazy Chinese messages resolved for the template)."""
    return {
        field: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for field, msgs in errors.items()
    }


@bp.get("")
@roles_required(*READERS)
def index():
    raw = form_data(request.args)
    shown = {k: v for k, v in raw.items() if k in FILTERS}
    context = {
        **_template_context(),
        "filters": shown,
        "object_types": operations.object_types(db.session),
    }
    try:
        args = parse(audit_filter_args, raw)
    except InputError as err:
        return render_template(
            "audit/index.html", page=None, errors=_messages(err.errors), **context
        ), 422
    stmt = operations.events_query(
        action=args["action"],
        object_type=args["object_type"],
        object_id=args["object_id"],
        actor=args["actor"],
        since=_local_midnight(args["date_from"]) if args["date_from"] else None,
        before=(
            _local_midnight(args["date_to"] + dt.timedelta(days=1)) if args["date_to"] else None
        ),
    )
    page = db.paginate(
        stmt, page=args["page"], per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    return render_template(
        "audit/index.html",
        page=page,
        errors={},
        actor_names=_actor_names(page.items),
        **context,
    )


@bp.get("/<int:seq>")
@roles_required(*READERS)
def index_event(seq: int):
    event = db.session.get(AuditEvent, seq)
    if event is None:
        abort(404)
    before = db.session.get(AuditEvent, seq - 1) if seq > 1 else None
    expected_prev = GENESIS_HASH if seq == 1 else (before.hash if before else None)
    checks = {
        # Each event can be checked on its own; only the full walk proves the whole chain.
        "content": operations.recompute_hash(event) == event.hash,
        "link": expected_prev is not None and event.prev_hash == expected_prev,
    }
    return render_template(
        "audit/event.html",
        event=event,
        checks=checks,
        has_previous=before is not None,
        has_next=db.session.get(AuditEvent, seq + 1) is not None,
        actor_names=_actor_names([event]),
        details_json=json.dumps(event.details or {}, ensure_ascii=False, indent=2, sort_keys=True),
        **_template_context(),
    )


@bp.post("/verify")
@roles_required(*READERS)
def index_verify():
    result = operations.verify_and_record(db.session, actor=current_actor())
    if result.ok:
        flash(
            _(
                "审计链完整：已校验 %(n)s 条事件，链头 #%(seq)s %(hash)s",
                n=result.checked,
                seq=result.head_seq,
                hash=result.head_hash,
            ),
            "success",
        )
    else:
        flash(
            _(
                "审计链在第 %(seq)s 条事件处断裂：%(reason)s（此前 %(n)s 条完整）",
                seq=result.broken.seq,
                reason=labels.BREAK_KINDS.get(result.broken.kind, result.broken.reason),
                n=result.checked,
            ),
            "error",
        )
    return redirect(url_for("audit.index"))
