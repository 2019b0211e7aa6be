"""Who works on which follow-ups and transfers ("谁监管、谁负责").

The back office and the head of the task's department read and handle its follow-ups and the
transfers it sends; the back office and the head of an internal recipient department read the
transfers sent to it (not drafts) and record their receipt. Nobody else: other users get 404 on
an object, and 403 on the pages when their role is not one of these.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from server.auth.roles import BACK_OFFICE, DEPT_HEAD
from server.followups.models import T_DRAFT, FollowUp, Transfer

ROLES = (BACK_OFFICE, DEPT_HEAD)


def _department(user):
    if not user.has_role(*ROLES):
        return None
    return user.department_id


def visible_followups(user) -> ColumnElement[bool]:
    department = _department(user)
    if department is None:
        return false()
    return FollowUp.department_id == department


def may_handle(user, followup) -> bool:
    department = _department(user)
    return department is not None and followup.department_id == department


def is_sender(user, transfer) -> bool:
    department = _department(user)
    return department is not None and transfer.department_id == department


def is_recipient(user, transfer) -> bool:
    department = _department(user)
    return (
        department is not None
        and transfer.recipient_department_id == department
        and transfer.status != T_DRAFT
    )


def may_read_transfer(user, transfer) -> bool:
    return is_sender(user, transfer) or is_recipient(user, transfer)


def inbox(user) -> ColumnElement[bool]:
    department = _department(user)
    if department is None:
        return false()
    return (Transfer.recipient_department_id == department) & (Transfer.status != T_DRAFT)
