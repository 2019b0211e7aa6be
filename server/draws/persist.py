"""Rows of a computed draw for bulk inserts (server/bulk.py): its selections and its teams."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from server.draws.models import Draw

Ranked = list[tuple[str, str]]  # (uscc, rank hex) in rank order

SELECTION_COLUMNS = ("id", "draw_id", "uscc", "subject_id", "rank", "position", "is_alternate")
ASSIGNMENT_COLUMNS = (
    "id", "draw_id", "uscc", "subject_id", "inspector_id", "credential_no", "position",
    "is_team_lead",
)  # fmt: skip


def selection_rows(
    draw: Draw,
    selected: Ranked,
    alternates: Ranked,
    subjects: dict[str, uuid.UUID],
    ids: list,
) -> list[tuple]:
    """A row for every selected subject and alternate (rank order, `position` from 0 in each);
    `ids`: one new id per row (server.bulk.new_ids)."""
    draw_id, new = draw.id, iter(ids)
    return [
        (next(new), draw_id, uscc, subjects[uscc], rank_hex, position, alternate)
        for alternate, ranked in ((False, selected), (True, alternates))
        for position, (uscc, rank_hex) in enumerate(ranked)
    ]


def assignment_rows(
    draw: Draw,
    first: int,
    teams: list[tuple[str, list[str]]],
    subjects: dict[str, uuid.UUID],
    inspectors: dict[str, uuid.UUID],
    ids: Iterator,
) -> list[tuple]:
    """A row for every member of `teams` ((uscc, credentials) of consecutive selected subjects,
    the first of them at rank position `first`); `ids` yields the new ids."""
    draw_id, size = draw.id, draw.team_size
    return [
        (
            next(ids),
            draw_id,
            uscc,
            subjects[uscc],
            inspectors[credential],
            credential,
            (first + index) * size + place,
            False,
        )  # fmt: skip
        for index, (uscc, team) in enumerate(teams)
        for place, credential in enumerate(team)
    ]
