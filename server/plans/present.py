"""How plan values read to people (console, public pages, Excel)."""

from __future__ import annotations

import decimal

from flask_babel import gettext as _

from server.directory.vocab import RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES
from server.i18n import N_
from server.items.present import number
from server.plans.models import DRAFT, FILED, PUBLISHED
from server.plans.rules import RULE_NAMES

STATE_LABELS = {DRAFT: N_("草稿"), FILED: N_("已报备"), PUBLISHED: N_("已公开")}
STATE_BADGES = {DRAFT: "", FILED: "warn", PUBLISHED: "ok"}


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


def rule_name(code: str) -> str:
    return _(RULE_NAMES[code]) if code in RULE_NAMES else code


def finding_text(finding) -> str:
    return _(finding.message, **finding.params)


def ratio(value) -> str:
    return number(decimal.Decimal(str(value))) + "%"


def filter_text(filters: dict | None, regions: dict[str, str] | None = None) -> str:
    """The structured object filters in one line of Chinese ("" when there are none)."""
    filters = filters or {}
    parts = []
    if filters.get("department_scope"):
        parts.append(_("本科室监管对象"))
    for key, vocab in (("kinds", SUBJECT_KINDS), ("scales", SUBJECT_SCALES)):
        if filters.get(key):
            parts.append("、".join(str(vocab.get(c, c)) for c in filters[key]))
    if filters.get("regions"):
        names = regions or {}
        parts.append("、".join(names.get(c, c) for c in filters["regions"]))
    if filters.get("tags"):
        parts.append(_("标签：%(t)s", t="、".join(filters["tags"])))
    if filters.get("risk_flags"):
        parts.append(
            _("风险：%(f)s", f="、".join(str(RISK_FLAGS.get(c, c)) for c in filters["risk_flags"]))
        )
    return "；".join(parts)
