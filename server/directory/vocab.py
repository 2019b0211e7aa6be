"""Closed vocabularies of the directories with their Chinese labels (imports use the labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SUBJECT_KINDS = {
    "enterprise": _l("企业"),
    "individual": _l("个体工商户"),
    "cooperative": _l("农民专业合作社"),
    "branch": _l("分支机构"),
    "other": _l("其他组织"),
}
SUBJECT_SCALES = {
    "large": _l("大型"),
    "medium": _l("中型"),
    "small": _l("小型"),
    "micro": _l("微型"),
}
SUBJECT_STATUSES = {
    "active": _l("存续"),
    "suspended": _l("停业"),
    "deregistered": _l("注销"),
    "revoked": _l("吊销"),
}
# domain.md: many complaints, abnormal-operation list, dishonest, serious violation.
RISK_FLAGS = {
    "complaints": _l("投诉举报多"),
    "abnormal": _l("列入经营异常名录"),
    "dishonest": _l("失信行为"),
    "serious_violation": _l("严重违法违规记录"),
}
CONFLICT_KINDS = {
    "kinship": _l("亲属关系"),
    "former_employment": _l("曾任职"),
    "shareholding": _l("持股"),
    "other": _l("其他利害关系"),
}
QUALIFICATIONS = {
    "law_enforcement": _l("行政执法资格"),
    "daily_supervision": _l("日常监管"),
}


def zh(label) -> str:
    """The Chinese label itself (the msgid), whatever the console's language.

    Imports and templates speak Chinese even for an English-speaking user, and the CLI has no
    request (hence no locale) to translate with.
    """
    args = getattr(label, "_args", None)
    return str(args[0]) if args else str(label)


def code_for_label(vocab: dict, label: str) -> str | None:
    """Find a code from its Chinese label or from the code itself (imports accept either)."""
    label = (label or "").strip()
    if label in vocab:
        return label
    for code, text in vocab.items():
        if zh(text) == label:
            return code
    return None
