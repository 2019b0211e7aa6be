"""The roles of domain.md. A team lead is not a role: it is designated per visit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ADMIN = "admin"
DEPT_HEAD = "dept_head"
LEADER = "leader"
BACK_OFFICE = "back_office"
INSPECTOR = "inspector"

ROLE_LABELS = {
    ADMIN: _l("系统管理员"),
    DEPT_HEAD: _l("监管科室负责人"),
    LEADER: _l("分管负责人"),
    BACK_OFFICE: _l("业务/法制人员"),
    INSPECTOR: _l("执法检查人员"),
}
ROLES = tuple(ROLE_LABELS)
