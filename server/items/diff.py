"""What changed between two versions of an item, field by field (for the history pages)."""

from __future__ import annotations

import dataclasses
import difflib

from server.codes.models import Code
from server.items import present
from server.items.models import ItemVersion
from server.items.schemas import CONTENT_FIELDS, LABELS

# Long free text is shown as an inline character diff (Chinese has no word breaks).
TEXT_FIELDS = frozenset(
    {"name", "legal_basis", "checking_body", "object_scope", "content", "inspector_requirements"}
)
# Below this similarity an inline diff is noise: show the old text struck and the new one whole.
_MIN_SIMILARITY = 0.3


@dataclasses.dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str
    # For text fields: [("equal" | "delete" | "insert", text), ...]; empty for short values.
    segments: list[tuple[str, str]]


def _display(version: ItemVersion, field: str, methods: dict[str, Code]) -> str:
    value = getattr(version, field)
    if field == "methods":
        return "、".join(present.method_names(value, methods))
    if field == "ratio_percent":
        return present.ratio_text(version)
    if field == "frequency_per_year":
        return present.frequency_text(version)
    if field in ("ratio_is_statutory", "frequency_is_statutory"):
        return present.yes_no(bool(value))
    if field == "department_id":
        return version.department.name if version.department else str(value)
    return value or ""


def _segments(old: str, new: str) -> list[tuple[str, str]]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < _MIN_SIMILARITY:
        return [s for s in (("delete", old), ("insert", new)) if s[1]]
    out: list[tuple[str, str]] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("equal", old[a1:a2]))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", old[a1:a2]))
        if op in ("insert", "replace"):
            out.append(("insert", new[b1:b2]))
    return out


def changed_fields(old: ItemVersion | dict, new: ItemVersion | dict) -> list[str]:
    """Names of the content fields whose stored values differ."""

    def get(obj, field):
        value = obj.get(field) if isinstance(obj, dict) else getattr(obj, field)
        if field == "methods":
            return sorted(value or [])
        if field in ("ratio_is_statutory", "frequency_is_statutory"):
            return bool(value)
        if field == "inspector_requirements":
            return value or None
        return value

    return [f for f in CONTENT_FIELDS if get(old, f) != get(new, f)]


def version_changes(
    old: ItemVersion | None, new: ItemVersion, methods: dict[str, Code]
) -> list[Change]:
    """The changes that `new` made to `old` (nothing for the first version)."""
    if old is None:
        return []
    changes = []
    for field in changed_fields(old, new):
        before, after = _display(old, field, methods), _display(new, field, methods)
        segments = _segments(before, after) if field in TEXT_FIELDS else []
        changes.append(Change(field, str(LABELS[field]), before, after, segments))
    return changes
