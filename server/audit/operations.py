"""Append events to the audit chain and verify it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server.audit.chain import GENESIS_HASH, canonical_digest, event_body, event_hash
from server.audit.models import AuditEvent
from server.orm import utcnow

# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_KEY = 0x5370_6F74  # "Spot"


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who did it: a user (id + "user:name"), or a labelled system actor such as "cli"."""

    id: uuid.UUID | None
    label: str


SYSTEM = Actor(None, "system")
CLI = Actor(None, "cli")
PUBLIC = Actor(None, "public")


def jsonable(value: Any) -> Any:
    """Turn model values into JSON that RFC 8785 can canonicalise (UUIDs, dates, decimals…)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _lock_chain(session: Session) -> None:
    """Serialise appends so two transactions can never fork the chain."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    # SQLite allows one writer at a time; a second writer fails instead of forking.


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = None,
    state: dict | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event for a write; call it inside the write's own transaction."""
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    at = utcnow()
    body = event_body(
        seq=seq,
        at=at,
        actor_id=str(actor.id) if actor.id else None,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        state_digest=canonical_digest(jsonable(state)) if state is not None else None,
        details=jsonable(details or {}),
    )
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=body["object_id"],
        state_digest=body["state_digest"],
        details=body["details"],
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, body),
    )
    session.add(event)
    session.flush()
    return event


@dataclasses.dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Walk the chain from genesis; return (events checked, first break or None)."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in _events_in_order(session):
        if event.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq, f"event {expected_seq} is missing (next found: {event.seq})"
            )
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(event.seq, "prev_hash does not match the event before")
        body = event_body(
            seq=event.seq,
            at=event.at,
            actor_id=str(event.actor_id) if event.actor_id else None,
            actor_label=event.actor_label,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            state_digest=event.state_digest,
            details=event.details or {},
        )
        if event_hash(prev_hash, body) != event.hash:
            return checked, ChainBreak(event.seq, "content does not match its hash")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return checked, None


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    yield from session.scalars(stmt)


def head(session: Session) -> AuditEvent | None:
    """The newest event; publish its (seq, hash) to anchor the chain outside the database."""
    return session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
