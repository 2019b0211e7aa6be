"""What the objections need from server/publication, in one place: a published version, the
businesses it names, the result sheets it was made from, republishing after a correction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.publication.models import Publication, PublishedSubject


def get(session: Session, publication_id) -> Publication | None:
    if isinstance(publication_id, uuid.UUID):
        key = publication_id
    else:
        try:
            key = uuid.UUID(str(publication_id))
        except ValueError:
            return None
    return session.get(Publication, key)


def subject_name(session: Session, publication: Publication, uscc: str) -> str | None:
    """The business's name as published, or None when the version does not name that USCC."""
    return session.scalar(
        select(PublishedSubject.name).where(
            PublishedSubject.publication_id == publication.id, PublishedSubject.uscc == uscc
        )
    )


def latest_with_subject(session: Session, uscc: str) -> list[Publication]:
    """The newest published version of every task that names `uscc` (when no link was given)."""
    stmt = (
        select(Publication)
        .join(PublishedSubject, PublishedSubject.publication_id == Publication.id)
        .where(Publication.is_latest.is_(True), PublishedSubject.uscc == uscc)
        .order_by(Publication.published_at.desc())
    )
    return list(session.scalars(stmt))


def basis_sheet_ids(publication: Publication) -> set[uuid.UUID]:
    """The result sheets the published version was made from."""
    out = set()
    for value in (publication.basis or {}).values():
        try:
            out.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def republish(session: Session, *, actor, user, task, reason: str, objection_id):
    """Publish the task's corrected results as a new version linked to the objection."""
    from server.publication import operations  # noqa: PLC0415 - imported when used

    return operations.publish(
        session, actor=actor, user=user, task=task, reason=reason, objection_id=objection_id
    )
