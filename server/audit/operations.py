"""Append events to the audit chain and verify it."""

from __future__ import annotations

import contextlib
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
    # "missing" (a gap in seq), "link" (prev_hash ≠ the hash before), "content" (edited row):
    # lets the console say it in Chinese without parsing `reason`.
    kind: str = "content"


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Walk the chain from genesis; return (events checked, first break or None)."""
    with contextlib.closing(_events_in_order(session)) as events:
        return _walk(events)


def _walk(events: Iterator[AuditEvent]) -> tuple[int, ChainBreak | None]:
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in events:
        if event.seq != expected_seq:
            reason = f"event {expected_seq} is missing (next found: {event.seq})"
            return checked, ChainBreak(expected_seq, reason, "missing")
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(
                event.seq, "prev_hash does not match the event before", "link"
            )
        if recompute_hash(event, prev_hash) != event.hash:
            return checked, ChainBreak(event.seq, "content does not match its hash", "content")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return checked, None


def recompute_hash(event: AuditEvent, prev_hash: str | None = None) -> str:
    """The hash this event should carry, from its stored fields (and the given prev_hash)."""
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
    return event_hash(event.prev_hash if prev_hash is None else prev_hash, body)


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    result = session.scalars(stmt)
    try:
        yield from result
    finally:
        # yield_per streams through a server-side cursor on PostgreSQL: a walk that stops at
        # the first break must close it rather than leave it to the garbage collector.
        result.close()


def head(session: Session) -> AuditEvent | None:
    """The newest event; publish its (seq, hash) to anchor the chain outside the database."""
    return session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()


def check_anchor(session: Session, seq: int, expected_hash: str) -> str | None:
    """Compare a published head (seq, hash) with the chain: None if it matches, else why not.

    A walk of the chain alone cannot see its newest events being cut off, or the whole chain
    being rewritten by someone who recomputed every hash; a head published earlier can.
    """
    event = session.get(AuditEvent, seq)
    if event is None:
        return f"event {seq} of the published head is missing"
    if event.hash != expected_hash.strip().lower():
        return f"event {seq} does not carry the published hash"
    return None


@dataclasses.dataclass(frozen=True)
class Verification:
    """The outcome of one walk of the chain."""

    checked: int
    broken: ChainBreak | None
    head_seq: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(session: Session) -> Verification:
    """verify_chain plus the head it reached (genesis for an empty chain)."""
    checked, broken = verify_chain(session)
    last = head(session)
    return Verification(
        checked,
        broken,
        last.seq if last else 0,
        last.hash if last else GENESIS_HASH,
    )


def verify_and_record(session: Session, *, actor: Actor) -> Verification:
    """Verify the chain on someone's request and record that they did (action audit.verify)."""
    result = verify(session)
    record(
        session,
        actor=actor,
        action="audit.verify",
        object_type="audit_chain",
        details={
            "ok": result.ok,
            "checked": result.checked,
            "head_seq": result.head_seq,
            "head_hash": result.head_hash,
            "broken_seq": result.broken.seq if result.broken else None,
            "broken_kind": result.broken.kind if result.broken else None,
        },
    )
    return result


def events_query(
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
):
    """Events matching the console's filters, newest first (a Select to paginate)."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(actor, autoescape=True))
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if before is not None:
        stmt = stmt.where(AuditEvent.at < before)
    return stmt


def object_types(session: Session) -> list[str]:
    """The object types present in the chain, for the console's filter."""
    return list(
        session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type))
    )
