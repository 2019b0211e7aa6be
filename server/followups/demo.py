"""Demo of follow-ups for `seed-demo`: on a completed task with approved results, the measures
are opened, the 责令限期整改 one is checked and closed, and a clue is handed over (sent and
received) with its generated letter. Every step through the operations; idempotent.
"""

from __future__ import annotations

import collections
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.operations import Actor
from server.auth.roles import BACK_OFFICE, DEPT_HEAD
from server.clock import local_today
from server.followups import operations
from server.followups.models import OPEN, FollowUp
from server.results.models import APPROVED, ResultSheet

CLOSE_CODE = "rectify"
TRANSFER_CODES = ("notify_other", "to_daily", "to_case", "to_judiciary")
RECIPIENT = "中国人民银行威海市分行"


def _staff(users, task, role):
    """The first user of the task's department holding `role`."""
    pool = users.values() if isinstance(users, dict) else users
    return next(
        (u for u in pool if u.department_id == task.department_id and u.has_role(role)), None
    )


def seed_followups(session: Session, actor: Actor, task, users) -> collections.Counter:
    """Open the task's follow-ups, close one, hand one over (sent, received)."""
    created: collections.Counter = collections.Counter()
    office, head = _staff(users, task, BACK_OFFICE), _staff(users, task, DEPT_HEAD)
    if office is None:
        return created
    sheets = session.scalars(
        select(ResultSheet).where(
            ResultSheet.task_id == task.id,
            ResultSheet.is_current.is_(True),
            ResultSheet.state == APPROVED,
        )
    )
    for sheet in sheets:
        created["followups"] += len(operations.open_for_sheet(session, actor, sheet))
    followups = list(session.scalars(select(FollowUp).where(FollowUp.task_id == task.id)))
    today = local_today()
    office_actor = actor  # the seeder did it: the audit trail names the CLI

    rectify = next((f for f in followups if f.code == CLOSE_CODE and f.status == OPEN), None)
    if rectify is not None:
        start = max(rectify.opened_on, today - dt.timedelta(days=3))
        operations.set_due(
            session,
            actor=office_actor,
            user=office,
            followup=rectify,
            due_on=rectify.opened_on + dt.timedelta(days=15),
        )
        operations.add_entry(
            session,
            actor=office_actor,
            user=office,
            followup=rectify,
            happened_on=start,
            text="复查：购卡章程已在经营场所显著位置公示。",
        )
        operations.close(
            session,
            actor=office_actor,
            user=office,
            followup=rectify,
            closed_on=today,
            note="整改到位，复查合格。",
        )
        created["followups_closed"] += 1

    clue = next(
        (f for f in followups if f.code in TRANSFER_CODES and f.status == OPEN and not f.transfers),
        None,
    )
    if clue is not None:
        transfer = operations.create_transfer(
            session,
            actor=office_actor,
            user=office,
            followup=clue,
            data={
                "kind": None,
                "recipient_name": RECIPIENT,
                "recipient_department_id": None,
                "clue_summary": "预收资金余额与资金存管账户余额不一致，涉嫌未按规定存管预收资金。",
            },
        )

        operations.send(session, actor=office_actor, user=office, transfer=transfer, sent_on=today)
        receiver = head or office
        operations.receive(
            session,
            actor=actor,
            user=receiver,
            transfer=transfer,
            received_on=today,
            note="对方经办人电话确认收到。",
        )
        created["transfers"] += 1
    return created
