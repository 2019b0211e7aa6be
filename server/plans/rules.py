"""The plan rules of Art. 6 and Art. 12, as pure functions over plain data (no database).

`check_plan()` returns findings; filing and publication are refused while a finding has no
override (a rule broken on purpose, with a written justification).

"Planned checks" of a subject (the cap of Art. 6: at most 2 checks a year per subject unless
high-risk): a line plans `frequency_per_year` checks of every subject its object filters match.
Lines whose time windows overlap are expected to be merged into one visit (Art. 15, 进一次门、
查多项事), so for one subject we group its lines into runs of overlapping windows and count each
run as its largest frequency; the runs add up. This is an upper bound (it assumes the subject is
drawn every time); the draw stage checks the real count. High-risk subjects are exempt and are
not counted. Lines that target risk flags only reach high-risk subjects and so never count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid
from collections.abc import Iterable

from server.i18n import N_

DEFAULT_MIN_RATIO = decimal.Decimal("5")
DEFAULT_MIN_FREQUENCY = 1
MAX_CHECKS_PER_SUBJECT = 2

# Rule codes (stored on overrides) with their Chinese names (shown next to findings).
COVERAGE = "coverage"
RATIO = "ratio"
FREQUENCY = "frequency"
FREQUENCY_CAP = "frequency_cap"
SUBJECT_CAP = "subject_cap"
WINDOW = "window"
RULE_NAMES = {
    COVERAGE: N_("覆盖全部事项"),
    RATIO: N_("抽查比例"),
    FREQUENCY: N_("抽查频次"),
    FREQUENCY_CAP: N_("单一事项频次上限"),
    SUBJECT_CAP: N_("同一对象年度检查次数上限"),
    WINDOW: N_("抽查时间"),
}
ERROR, WARNING = "error", "warning"


@dataclasses.dataclass(frozen=True)
class ItemRule:
    """What the item list says about one current item."""

    item_id: uuid.UUID
    code: str
    name: str
    ratio_percent: decimal.Decimal | None = None
    ratio_is_statutory: bool = False
    frequency_per_year: int | None = None
    frequency_is_statutory: bool = False


@dataclasses.dataclass(frozen=True)
class LineFacts:
    """One plan line, as the rules see it."""

    item_id: uuid.UUID
    code: str
    ratio_percent: decimal.Decimal
    frequency_per_year: int
    window_start: dt.date
    window_end: dt.date
    filters: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SubjectProfile:
    """Subjects of the department's directory that look alike to a filter (not high-risk)."""

    kind: str
    scale: str | None
    region_code: str
    tags: frozenset[str]
    count: int


@dataclasses.dataclass(frozen=True)
class Finding:
    """A broken rule. `item_id`/`line` name the line (or the missing item); Chinese message."""

    code: str
    item_id: uuid.UUID | None
    line: str | None
    message: str
    severity: str
    params: dict = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> tuple[str, uuid.UUID | None]:
        """What an override matches: the rule and the item."""
        return (self.code, self.item_id)

    def text(self) -> str:
        return self.message % self.params if self.params else self.message


def _minimum_ratio(item: ItemRule | None) -> tuple[decimal.Decimal, bool]:
    if item and item.ratio_is_statutory and item.ratio_percent is not None:
        return item.ratio_percent, True
    return DEFAULT_MIN_RATIO, False


def _minimum_frequency(item: ItemRule | None) -> tuple[int, bool]:
    if item and item.frequency_is_statutory and item.frequency_per_year is not None:
        return item.frequency_per_year, True
    return DEFAULT_MIN_FREQUENCY, False


def _pct(value: decimal.Decimal) -> str:
    text = format(value.quantize(decimal.Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".")


def check_coverage(items: Iterable[ItemRule], lines: Iterable[LineFacts]) -> list[Finding]:
    """Art. 12: every current item of the department's list has a line."""
    planned = {line.item_id for line in lines}
    return [
        Finding(
            COVERAGE,
            item.item_id,
            item.code,
            N_("事项 %(code)s“%(name)s”未列入计划（计划应涵盖全部抽查事项）"),
            ERROR,
            {"code": item.code, "name": item.name},
        )
        for item in items
        if item.item_id not in planned
    ]


def check_line(line: LineFacts, item: ItemRule | None, year: int) -> list[Finding]:
    """Art. 6 ratio and frequency (the item's statutory values win), the window in the year."""
    findings = []
    min_ratio, ratio_statutory = _minimum_ratio(item)
    if line.ratio_percent < min_ratio:
        message = (
            N_("%(code)s：抽查比例 %(ratio)s%% 低于法定比例 %(min)s%%")
            if ratio_statutory
            else N_("%(code)s：抽查比例 %(ratio)s%% 低于 5%%（事项未规定法定比例）")
        )
        params = {"code": line.code, "ratio": _pct(line.ratio_percent), "min": _pct(min_ratio)}
        findings.append(Finding(RATIO, line.item_id, line.code, message, WARNING, params))
    min_frequency, frequency_statutory = _minimum_frequency(item)
    if line.frequency_per_year < min_frequency:
        message = (
            N_("%(code)s：抽查频次每年 %(n)s 次，低于法定频次每年 %(min)s 次")
            if frequency_statutory
            else N_("%(code)s：抽查频次每年 %(n)s 次，应每年不少于 1 次")
        )
        params = {"code": line.code, "n": line.frequency_per_year, "min": min_frequency}
        findings.append(Finding(FREQUENCY, line.item_id, line.code, message, WARNING, params))
    # A statutory frequency above 2 is the law's own requirement, not a planning choice.
    cap = max(MAX_CHECKS_PER_SUBJECT, min_frequency if frequency_statutory else 0)
    if line.frequency_per_year > cap:
        findings.append(
            Finding(
                FREQUENCY_CAP,
                line.item_id,
                line.code,
                N_("%(code)s：每年 %(n)s 次，同一对象每年抽查原则上不超过 2 次（高风险对象除外）"),
                WARNING,
                {"code": line.code, "n": line.frequency_per_year},
            )
        )
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if line.window_start > line.window_end:
        findings.append(
            Finding(
                WINDOW,
                line.item_id,
                line.code,
                N_("%(code)s：抽查时间的开始日期晚于结束日期"),
                ERROR,
                {"code": line.code},
            )
        )
    elif line.window_start < first or line.window_end > last:
        findings.append(
            Finding(
                WINDOW,
                line.item_id,
                line.code,
                N_("%(code)s：抽查时间应在 %(year)s 年内"),
                ERROR,
                {"code": line.code, "year": year},
            )
        )
    return findings


def matches(filters: dict, profile: SubjectProfile) -> bool:
    """Whether a line's object filters reach these (non-high-risk) subjects."""
    if filters.get("risk_flags"):
        return False  # only high-risk subjects, which the cap exempts
    if filters.get("kinds") and profile.kind not in filters["kinds"]:
        return False
    if filters.get("scales") and profile.scale not in filters["scales"]:
        return False
    if filters.get("regions") and profile.region_code not in filters["regions"]:
        return False
    # Any one of the tags is enough (a subject tagged 加油站 matches "加油站, 预付卡").
    return not filters.get("tags") or bool(profile.tags.intersection(filters["tags"]))


def planned_checks(lines: Iterable[LineFacts]) -> int:
    """Checks of one subject planned by `lines` (overlapping windows merge into one visit)."""
    total, run_end, run_max = 0, None, 0
    for line in sorted(lines, key=lambda li: (li.window_start, li.window_end)):
        if run_end is not None and line.window_start <= run_end:
            run_end = max(run_end, line.window_end)
            run_max = max(run_max, line.frequency_per_year)
        else:
            total += run_max
            run_end, run_max = line.window_end, line.frequency_per_year
    return total + run_max


def check_subject_cap(lines: list[LineFacts], profiles: Iterable[SubjectProfile]) -> list[Finding]:
    """Art. 6: the department's lines together plan > 2 checks for a non-high-risk subject.

    One finding per plan (an override of the cap covers the plan as a whole): the most checks
    any subject gets, how many subjects are over the cap, and the lines that reach them.
    """
    worst, subjects, codes = 0, 0, set()
    for profile in profiles:
        reaching = [line for line in lines if matches(line.filters, profile)]
        checks = planned_checks(reaching)
        if checks > MAX_CHECKS_PER_SUBJECT:
            worst = max(worst, checks)
            subjects += profile.count
            codes.update(line.code for line in reaching)
    if not subjects:
        return []
    names = "、".join(sorted(codes))
    return [
        Finding(
            SUBJECT_CAP,
            None,
            names,
            N_(
                "%(codes)s 合计对同一对象每年最多计划抽查 %(n)s 次（涉及 %(subjects)s 户非高风险"
                "对象），超过 2 次；可错开或合并抽查时间、降低频次，或说明理由"
            ),
            WARNING,
            {"codes": names, "n": worst, "subjects": subjects},
        )
    ]


def check_plan(
    *,
    year: int,
    items: list[ItemRule],
    lines: list[LineFacts],
    profiles: Iterable[SubjectProfile] = (),
) -> list[Finding]:
    """All findings of a plan: coverage, each line, the per-subject cap."""
    by_item = {item.item_id: item for item in items}
    findings = check_coverage(items, lines)
    for line in lines:
        findings += check_line(line, by_item.get(line.item_id), year)
    findings += check_subject_cap(lines, profiles)
    return findings


def open_findings(findings: list[Finding], override_keys: set[tuple]) -> list[Finding]:
    """The findings no override covers (these block filing and publication)."""
    return [f for f in findings if f.key not in override_keys]
