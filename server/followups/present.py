"""Labels of follow-up and transfer states and kinds for pages and documents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.followups.models import (
    CLOSED,
    HANDOVER,
    OPEN,
    REFERRAL_CASE,
    REFERRAL_JUDICIAL,
    T_CLOSED,
    T_DRAFT,
    T_RECEIVED,
    T_SENT,
)

STATUS = {OPEN: _l("未办结"), CLOSED: _l("已办结")}
STATUS_BADGES = {OPEN: "warn", CLOSED: "ok"}
KINDS = {
    HANDOVER: _l("移交（抄告）其他部门"),
    REFERRAL_CASE: _l("移送办案机构"),
    REFERRAL_JUDICIAL: _l("移送司法机关"),
}
# The letter's title (always Chinese: an official document).
LETTER_TITLES = {
    HANDOVER: "线索移交函",
    REFERRAL_CASE: "案件线索移送函",
    REFERRAL_JUDICIAL: "涉嫌犯罪案件移送函",
}
TRANSFER_STATES = {
    T_DRAFT: _l("草稿"),
    T_SENT: _l("已发出"),
    T_RECEIVED: _l("已签收"),
    T_CLOSED: _l("已办结"),
}
TRANSFER_BADGES = {T_DRAFT: "", T_SENT: "warn", T_RECEIVED: "warn", T_CLOSED: "ok"}
