"""Writing a computed draw: its selections (selected + alternates) and its teams, in bulk."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from server.bulk import insert_rows, new_ids
from server.draws import dsr
from server.draws.models import Draw, DrawAssignment, DrawSelection
from sync import changes as sync_changes


def store_result(
    session: Session,
    draw: Draw,
    result: dsr.DrawResult,
    subjects: dict[str, uuid.UUID],
    inspectors: dict[str, uuid.UUID],
) -> None:
    """Rows for every selected subject and alternate (rank order) and every team member."""
    rows = [
        (alternate, position, uscc, rank_hex)
        for alternate, ranked in ((False, result.selected), (True, result.alternates))
        for position, (uscc, rank_hex) in enumerate(ranked)
    ]
    ids = iter(new_ids(session, len(rows)))
    selections = [
        {
            "id": next(ids),
            "draw_id": draw.id,
            "uscc": uscc,
            "subject_id": subjects[uscc],
            "rank": rank_hex,
            "position": position,
            "is_alternate": alternate,
        }
        for alternate, position, uscc, rank_hex in rows
    ]
    ids = iter(new_ids(session, sum(len(t["inspectors"]) for t in result.teams)))
    assignments = [
        {
            "id": next(ids),
            "draw_id": draw.id,
            "uscc": team["uscc"],
            "subject_id": subjects[team["uscc"]],
            "inspector_id": inspectors[credential],
            "credential_no": credential,
            "position": index * draw.team_size + place,
            "is_team_lead": False,
        }
        for index, team in enumerate(result.teams)
        for place, credential in enumerate(team["inspectors"])
    ]
    insert_rows(session, DrawSelection, selections)
    insert_rows(session, DrawAssignment, assignments)
    # Sync change feed: COPY bypasses the ORM's flush hook. One row for the task: the pull
    # expands it to the reader's visits of the task (not one row per team member).
    sync_changes.record(session, sync_changes.TASKS, [draw.task_id])
    # The relationships were not loaded through the ORM: read them again when next used.
    session.expire(draw, ["selections", "assignments"])
