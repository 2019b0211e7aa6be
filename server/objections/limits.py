"""The public pages' rate limit: filings per client IP and per USCC, status lookups per IP.

A small DB-backed counter (works across gunicorn workers, no extra service) until Flask-Limiter
arrives; `allow()` is the one place that decides, so swapping it is a one-function change.
Keys are SHA-256 digests: no raw IP address is stored. Events are written in the request's own
transaction, so a refused request (status ≥ 400, rolled back) counts nothing — the filing limit
is a limit on objections actually filed; the status page answers 200 "not found" so lookups
count too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.objections.models import ObjectionRateEvent
from server.orm import utcnow


@dataclasses.dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window: dt.timedelta


def limits_from_config(config) -> dict[str, Limit]:
    """The limits of OBJECTION_RATE_LIMITS: {scope: (count, seconds)}."""
    return {
        scope: Limit(scope, int(count), dt.timedelta(seconds=int(seconds)))
        for scope, (count, seconds) in config["OBJECTION_RATE_LIMITS"].items()
    }


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def allow(session: Session, checks: list[tuple[Limit, str]], *, now: dt.datetime | None = None):
    """Count one event under every (limit, key) if none is exhausted; False (nothing written) if
    one is. Old events of the scopes checked are pruned on the way."""
    now = now or utcnow()
    for limit, key in checks:
        since = now - limit.window
        used = session.scalar(
            select(func.count())
            .select_from(ObjectionRateEvent)
            .where(
                ObjectionRateEvent.scope == limit.scope,
                ObjectionRateEvent.key == _digest(key),
                ObjectionRateEvent.at > since,
            )
        )
        if used >= limit.count:
            return False
    for limit, key in checks:
        session.execute(
            delete(ObjectionRateEvent).where(
                ObjectionRateEvent.scope == limit.scope,
                ObjectionRateEvent.at <= now - limit.window,
            )
        )
        session.add(ObjectionRateEvent(scope=limit.scope, key=_digest(key), at=now))
    session.flush()
    return True
