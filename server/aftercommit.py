"""Ids to hand on once the current transaction has committed; a rollback forgets them.

Operations only flush, so they cannot start work that must see their rows (a publication
delivery, a background job): they note the ids here under a channel name, and whoever ends the
request (or CLI command) takes the committed ones. One pair of Session listeners serves every
channel: on the outermost commit the pending ids become committed; on the outermost rollback
they are dropped (a savepoint rolled back inside keeps the others' ids).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "aftercommit.pending"
_COMMITTED = "aftercommit.committed"


def defer(session: Session, channel: str, ids) -> None:
    """Hand these ids on under `channel` once the current transaction has committed."""
    session.info.setdefault(_PENDING, {}).setdefault(channel, []).extend(ids)


def take(session: Session, channel: str) -> list:
    """The ids of `channel` whose transactions have committed, removed from the session."""
    return session.info.get(_COMMITTED, {}).pop(channel, None) or []


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        committed = session.info.setdefault(_COMMITTED, {})
        for channel, ids in pending.items():
            committed.setdefault(channel, []).extend(ids)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested and previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
