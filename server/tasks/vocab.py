"""Closed vocabularies of tasks and checklists with their Chinese labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ORIGINS = {"plan": _l("按年度抽查计划"), "ad_hoc": _l("计划外（临时）任务")}
TARGETINGS = {"untargeted": _l("不定向抽取"), "targeted": _l("定向抽取")}
POOL_MODES = {"automatic": _l("自动（全部符合条件人员）"), "manual": _l("手动（按条件筛选）")}
SAMPLE_KINDS = {"ratio": _l("按比例"), "count": _l("按户数")}
COMMISSION_SCOPES = {
    "testing": _l("检验检测"),
    "audit": _l("财务审计"),
    "survey": _l("调查咨询"),
    "other": _l("其他"),
}
ANSWER_TYPES = {
    "yes_no_na": _l("是 / 否 / 不适用"),
    "text": _l("文字"),
    "number": _l("数字"),
    "date": _l("日期"),
    "photo_required": _l("须拍照"),
}
