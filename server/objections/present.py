"""Labels of objection states and channels, and the masking of the applicant's contact."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from server.objections.models import (
    CORRECTED,
    MAINTAINED,
    ONLINE,
    PAPER,
    RECEIVED,
    REPLIED,
    UNDER_REVIEW,
)
from server.privacy import mask_name, mask_phone

STATES = {
    RECEIVED: _l("已收到"),
    UNDER_REVIEW: _l("复核中"),
    CORRECTED: _l("已更正"),
    MAINTAINED: _l("予以维持"),
    REPLIED: _l("已答复"),
}
STATE_BADGES = {
    RECEIVED: "danger",
    UNDER_REVIEW: "",
    CORRECTED: "ok",
    MAINTAINED: "ok",
    REPLIED: "",
}
CHANNELS = {ONLINE: _l("网上提交"), PAPER: _l("书面申请")}
DECISIONS = {CORRECTED: _l("经复核确有错误，予以更正"), MAINTAINED: _l("经复核无错误，予以维持")}


def mask_contact(value: str | None) -> str:
    """138****5678, or z***@example.cn for an e-mail address."""
    if not value:
        return ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    return mask_phone(value)


def mask_applicant(value: str | None) -> str:
    return mask_name(value)
