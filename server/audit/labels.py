"""Chinese names of audit actions and object types, for people reading the trail.

The code (e.g. "item.revise") is what the chain hashes and what filters match; the label is only
shown beside it. An action without a label is shown by its code.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "audit.verify": _l("校验审计链"),
    "auth.login": _l("登录"),
    "auth.logout": _l("退出"),
    "auth.login_failed": _l("登录失败"),
    "auth.locked": _l("账号锁定"),
    "auth.login_refused_locked": _l("登录被拒（已锁定）"),
    "auth.login_refused_inactive": _l("登录被拒（已停用）"),
    "user.create": _l("新建用户"),
    "user.update": _l("修改用户"),
    "user.roles": _l("修改角色"),
    "user.deactivate": _l("停用用户"),
    "user.reactivate": _l("启用用户"),
    "user.unlock": _l("解锁用户"),
    "user.password_change": _l("修改密码"),
    "user.password_reset": _l("重置密码"),
    "user.force_logout": _l("强制下线"),
    "department.create": _l("新建科室"),
    "department.update": _l("修改科室"),
    "department.deactivate": _l("停用科室"),
    "department.reactivate": _l("启用科室"),
    "calendar.override_set": _l("设置工作日调整"),
    "calendar.override_delete": _l("删除工作日调整"),
    "item.create": _l("新建抽查事项"),
    "item.revise": _l("修订抽查事项"),
    "item.retire": _l("停用抽查事项"),
    "item.restore": _l("恢复抽查事项"),
    "subject.create": _l("新增检查对象"),
    "subject.update": _l("修改检查对象"),
    "subject.delete": _l("移出检查对象"),
    "subject.restore": _l("恢复检查对象"),
    "subject.flag_set": _l("标记风险"),
    "subject.flag_clear": _l("取消风险标记"),
    "inspector.create": _l("新增执法人员"),
    "inspector.update": _l("修改执法人员"),
    "conflict.register": _l("登记利害关系"),
    "conflict.end": _l("解除利害关系"),
}

OBJECT_TYPES = {
    "audit_chain": _l("审计链"),
    "user": _l("用户"),
    "department": _l("科室"),
    "calendar_override": _l("工作日调整"),
    "item": _l("抽查事项"),
    "subject": _l("检查对象"),
    "inspector": _l("执法人员"),
    "conflict": _l("利害关系"),
}

# Why a chain check failed, by ChainBreak.kind.
BREAK_KINDS = {
    "missing": _l("该序号的事件缺失（被删除）"),
    "link": _l("与前一条事件的链接不符（被删除、插入或调换顺序）"),
    "content": _l("内容与其哈希不符（被修改）"),
}
