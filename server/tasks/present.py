"""Plain-Chinese descriptions of a task's settings for its page and the draw announcement."""

from __future__ import annotations

from flask_babel import gettext as _

from server.directory.vocab import QUALIFICATIONS, RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES
from server.tasks.schemas import percent_from_ratio


def _names(codes, vocab: dict) -> str:
    return "、".join(str(vocab.get(code, code)) for code in codes)


def target_lines(task, region_names: dict[str, str] | None = None) -> list[str]:
    """One line per filter ("主体类型：企业、个体工商户"); untargeted: the whole directory."""
    if task.targeting != "targeted":
        return [_("本科室检查对象名录库中的全部主体")]
    filters = task.target_filters or {}
    region_names = region_names or {}
    lines = []
    if filters.get("kinds"):
        lines.append(_("主体类型：%(v)s", v=_names(filters["kinds"], SUBJECT_KINDS)))
    if filters.get("scales"):
        lines.append(_("经营规模：%(v)s", v=_names(filters["scales"], SUBJECT_SCALES)))
    if filters.get("regions"):
        lines.append(_("地理区域：%(v)s", v=_names(filters["regions"], region_names)))
    if filters.get("risk_flags"):
        lines.append(_("风险标记：%(v)s", v=_names(filters["risk_flags"], RISK_FLAGS)))
    if filters.get("tags"):
        lines.append(_("业务标签：%(v)s", v="、".join(filters["tags"])))
    return lines


def pool_lines(task) -> list[str]:
    if task.pool_mode != "manual":
        return [_("执法检查人员名录库中全部符合条件的人员")]
    filters = task.pool_filters or {}
    lines = []
    if filters.get("qualifications"):
        lines.append(_("执法资质：%(v)s", v=_names(filters["qualifications"], QUALIFICATIONS)))
    if filters.get("expertise"):
        lines.append(_("业务专长：%(v)s", v="、".join(filters["expertise"])))
    return lines


def sample_text(task) -> str:
    if task.sample_kind == "count":
        return _("抽取 %(n)s 户", n=task.sample_count)
    return _("按名录库的 %(p)s%% 抽取（向上取整）", p=percent_from_ratio(task.sample_ratio))
