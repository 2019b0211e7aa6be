"""Demo data: publish a completed task's results (called by the demo seed, server/seed)."""

from __future__ import annotations

import collections

from sqlalchemy.orm import Session

from server.audit.operations import Actor
from server.publication import operations, queries


def seed_publication(session: Session, actor: Actor, task, user) -> collections.Counter:
    """Publish `task` (completed, every result approved) as `user`, the back office of its
    department; the outbox jobs run after the seed's commit or with `flask publication-run`.
    Idempotent: a task already published is left as it is."""
    counts: collections.Counter = collections.Counter()
    if queries.latest(session, task.id) is not None:
        counts["publications_existing"] += 1
        return counts
    publication = operations.publish(session, actor=actor, user=user, task=task)
    counts["publications"] += 1
    counts["publication_jobs"] += len(publication.jobs)
    counts["published_subjects"] += len(publication.snapshot["subjects"])
    return counts
