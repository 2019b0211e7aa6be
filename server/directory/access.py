"""Who may change what in the directories (object-level rules on top of roles_required).

Everybody signed in reads both directories. back_office and admin keep them; a department head
keeps the risk flags and conflicts of the subjects in the department's scope; an inspector
declares their own conflicts (a duty under Art. 17), never someone else's.
"""

from __future__ import annotations

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD, INSPECTOR, ROLES
from server.directory.models import Conflict, Inspector, Subject

READERS = ROLES
KEEPERS = (BACK_OFFICE, ADMIN)
FLAGGERS = (BACK_OFFICE, ADMIN, DEPT_HEAD)
CONFLICT_REGISTRARS = (BACK_OFFICE, ADMIN, DEPT_HEAD, INSPECTOR)


def keeps_directory(user) -> bool:
    """May create and edit subjects and inspectors, and see unmasked contact data."""
    return user.has_role(*KEEPERS)


def in_scope(user, subject: Subject) -> bool:
    """A department head whose department supervises the subject."""
    return (
        user.has_role(DEPT_HEAD)
        and user.department_id is not None
        and user.department_id in subject.department_ids
    )


def may_flag(user, subject: Subject) -> bool:
    return keeps_directory(user) or in_scope(user, subject)


def may_register_conflict(user, inspector: Inspector, subject: Subject) -> bool:
    if keeps_directory(user) or in_scope(user, subject):
        return True
    return user.has_role(INSPECTOR) and inspector.user_id == user.id


def may_end_conflict(user, conflict: Conflict) -> bool:
    # Ending a registration puts a pair back into draws: not something one declares alone.
    return keeps_directory(user) or in_scope(user, conflict.subject)
