"""Demo objections (called from the demo seed): one under review, one maintained and answered,
both on a published task, filed through the real operations."""

from __future__ import annotations

import collections
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.clock import local_today
from server.objections import operations
from server.objections.models import PAPER, Objection
from server.publication.models import PublishedSubject
from sync.storage import Storage

# A one-page PDF (the smallest a reader accepts) standing in for a scanned letter.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_objections(
    session: Session, actor, publication, users, *, storage: Storage | None = None
) -> collections.Counter:
    """`users`: {"office": the back office of the task's department}. Returns what was made."""
    office = users["office"]
    subjects = sorted(publication.subjects, key=lambda s: s.uscc) or list(
        session.query(PublishedSubject).filter_by(publication_id=publication.id)
    )
    counts: collections.Counter = collections.Counter()
    already = session.scalar(
        select(Objection.id).where(Objection.task_id == publication.task_id).limit(1)
    )
    if not subjects or already is not None:
        return counts  # idempotent: the task's demo objections exist
    if storage is None:
        from server.uploads.views import storage as app_storage  # noqa: PLC0415

        storage = app_storage()
    office_actor = actor  # the seeder did it: the audit trail names the CLI
    today = local_today()
    common = {"max_files": 3, "max_bytes": 10 * 1024 * 1024}

    first = subjects[0]
    reviewing = operations.file(
        session,
        storage,
        actor=actor,
        publication=publication,
        uscc=first.uscc,
        applicant_name=f"{first.name}",
        contact="13800138000",
        grounds="公示的检查结果与现场情况不符：检查当日已出示全部台账，请予复核。",
        files=[operations.Upload("台账说明.pdf", DEMO_PDF)],
        **common,
    )
    operations.start_review(session, actor=office_actor, user=office, objection=reviewing)
    counts["objection under review"] += 1

    last = subjects[-1]
    answered = operations.file(
        session,
        storage,
        actor=office_actor,
        user=office,
        channel=PAPER,
        received_on=today - dt.timedelta(days=3),
        publication=publication,
        uscc=last.uscc,
        applicant_name=f"{last.name}",
        contact="demo@example.cn",
        grounds="对检查结果有异议（书面申请）。",
        files=[],
        **common,
    )
    operations.start_review(session, actor=office_actor, user=office, objection=answered)
    operations.maintain(
        session,
        actor=office_actor,
        user=office,
        objection=answered,
        text="经复核，检查记录、证据与公示结果一致，原检查结果无误。",
    )
    operations.reply(
        session,
        actor=office_actor,
        user=office,
        objection=answered,
        text="经复核，原检查结果无误，予以维持。如有疑问请联系承办科室。",
    )
    counts["objection answered"] += 1
    return counts
