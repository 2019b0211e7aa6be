"""Labels of result states and codes for pages and the API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.items.present import code_name
from server.results.models import APPROVED, CLOSED, DRAFT, OPEN, RETURNED, SUBMITTED

STATES = {
    DRAFT: _l("草稿"),
    SUBMITTED: _l("待审核"),
    RETURNED: _l("退回"),
    APPROVED: _l("通过"),
}
STATE_BADGES = {DRAFT: "", SUBMITTED: "warn", RETURNED: "danger", APPROVED: "ok"}
FOLLOWUP_STATUS = {OPEN: _l("未办结"), CLOSED: _l("已办结")}


def item_code(line) -> str | None:
    item = getattr(line, "item", None)
    return item.code if item is not None else None


def names(codes: list[str] | None, lookup: dict) -> list[str]:
    """The codes' names in the page's language (an unknown code shows as itself)."""
    return [code_name(lookup.get(c), c) for c in codes or []]
