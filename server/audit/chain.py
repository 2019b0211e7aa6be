"""Hashing rules of the audit chain. Pure functions, shared by the writer and the verifier."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64


def canonical_digest(value: Any) -> str:
    """SHA-256 hex of the RFC 8785 canonical JSON of a JSON-compatible value."""
    return hashlib.sha256(rfc8785.dumps(value)).hexdigest()


def iso_utc(at: dt.datetime) -> str:
    """The timestamp as hashed: ISO 8601 in UTC with microseconds, independent of any session."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_body(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: str | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str | None,
    state_digest: str | None,
    details: dict,
) -> dict:
    """The fields of one event that its hash covers (everything but the hashes themselves)."""
    return {
        "seq": seq,
        "at": iso_utc(at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "state_digest": state_digest,
        "details": details,
    }


def event_hash(prev_hash: str, body: dict) -> str:
    """row_hash = SHA-256(prev_hash ‖ canonical(body)) — a classic hash chain."""
    return hashlib.sha256(prev_hash.encode("ascii") + rfc8785.dumps(body)).hexdigest()
