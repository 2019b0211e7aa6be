"""Writes of publication. Flush, never commit; audit every publication and every manual retry.

Rules (domain.md "Results", Art. 25–27):
- the back office of the task's department publishes, once the task is completed and every
  section's current result is approved; version 1 fills `TaskCompletion.published_at` (the
  deadlines board stops counting);
- a later version (a corrected result, or an objection's outcome — server/objections calls
  `publish(..., objection_id=…)`) needs a reason and something that changed since the previous
  version; every version is kept and public with its reason;
- publishing writes one outbox job per configured publisher in the same transaction; the jobs
  are sent after the commit (server/publication/outbox.py) and by `flask publication-run`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.chain import canonical_digest
from server.audit.operations import Actor, jsonable
from server.config import Defaults
from server.errors import OperationError
from server.i18n import N_
from server.orm import utcnow
from server.publication import export, outbox, publishers, queries
from server.publication.models import (
    DEAD,
    DUE_STATES,
    FAILED,
    PENDING,
    SENT,
    Publication,
    PublicationJob,
    PublishedSubject,
)
from server.results import access
from server.results import queries as result_queries
from server.results.models import TaskCompletion
from server.tasks import workflow

# The stored reason of a version that answers an objection without its own wording.
OBJECTION_REASON = "根据异议处理结果更正"
MAX_ERROR_CHARS = 1000


class PublicationError(OperationError):
    """A refused write: 422 (bad input), 403 (not yours) or 409 (not in this state)."""


class PublicationForbidden(PublicationError):
    status = 403


class PublicationConflict(PublicationError):
    status = 409


def _config() -> Mapping:
    return current_app.config if has_app_context() else vars(Defaults)


def may_publish(user, task) -> bool:
    """The back office of the task's department (who enters results) publishes them."""
    return access.may_enter(user, task)


def may_retry(user, task) -> bool:
    """A delivery is retried by the department's back office or an administrator."""
    return access.may_enter(user, task) or user.has_role("admin")


def publishable(session: Session, task) -> tuple[bool, str | None]:
    """(can it be published now, why not) — the task page's button; no permission check."""
    try:
        _check_state(session, task)
        previous = queries.latest(session, task.id)
        if previous is not None and previous.basis == queries.current_basis(session, task.id):
            raise PublicationConflict(N_("检查结果自上次公示以来没有变化，无需重新公示"))
    except PublicationError as error:
        return False, error.translated()
    return True, None


def _check_state(session: Session, task) -> TaskCompletion:
    completion = result_queries.completion_of(session, task.id)
    if task.state != workflow.COMPLETED or completion is None:
        raise PublicationConflict(N_("任务尚未完成，不能公示检查结果"))
    pending = result_queries.pending_sections(session, task.id)
    if pending:
        raise PublicationConflict(N_("尚有 %(n)s 个检查的结果未审核通过，不能公示"), n=len(pending))
    return completion


def publish(
    session: Session,
    *,
    actor: Actor,
    user,
    task,
    reason: str | None = None,
    objection_id=None,
    now: dt.datetime | None = None,
) -> Publication:
    """Publish the task's current results as its next version (see the module's rules)."""
    if not may_publish(user, task):
        raise PublicationForbidden(N_("只有任务所属科室的业务人员可以公示检查结果"))
    reason = (reason or "").strip() or None
    if objection_id is not None:
        objection_id = queries.get_uuid(objection_id)
        if objection_id is None:
            raise PublicationError(N_("异议编号无效"), "objection_id")
    _check_state(session, task)
    # One publisher at a time per task: the version number and published_at are decided here.
    session.execute(
        select(TaskCompletion.task_id).where(TaskCompletion.task_id == task.id).with_for_update()
    )
    completion = result_queries.completion_of(session, task.id)
    session.refresh(completion)
    previous = queries.latest(session, task.id)
    basis_now = queries.current_basis(session, task.id)
    if previous is not None:
        if reason is None and objection_id is None:
            raise PublicationError(N_("重新公示时请填写更正原因"), "reason")
        if previous.basis == basis_now:
            raise PublicationConflict(N_("检查结果自上次公示以来没有变化，无需重新公示"))
        reason = reason or OBJECTION_REASON
        previous.is_latest = False
        session.flush()
    at = now or utcnow()
    version_no = previous.version_no + 1 if previous else 1
    body, basis = queries.snapshot(
        session, task, completion, bureau_name=_config().get("BUREAU_NAME", "")
    )
    snapshot = jsonable(
        {
            "version_no": version_no,
            "published_at": at,
            "reason": reason,
            "objection_id": objection_id,
            **body,
        }
    )
    seen: dict[str, str] = {}
    for subject in body["subjects"]:
        seen.setdefault(subject["uscc"], subject["name"])
    publication = Publication(
        task_id=task.id,
        version_no=version_no,
        is_latest=True,
        published_at=at,
        published_by_id=user.id,
        reason=reason,
        objection_id=objection_id,
        snapshot=snapshot,
        sha256=canonical_digest(snapshot),
        basis=basis,
        subjects=[PublishedSubject(uscc=u, name=n) for u, n in seen.items()],
    )
    session.add(publication)
    if completion.published_at is None:
        completion.published_at = at
    session.flush()
    jobs = [
        PublicationJob(publication_id=publication.id, publisher=name, next_attempt_at=at)
        for name in publishers.configured(_config())
    ]
    session.add_all(jobs)
    session.flush()
    outbox.after_commit(session, [job.id for job in jobs])
    audit.record(
        session,
        actor=actor,
        action="publication.publish",
        object_type="publication",
        object_id=publication.id,
        state=publication.audit_state(),
        details={
            "task": task.number,
            "version_no": version_no,
            "publishers": [job.publisher for job in jobs],
        },
    )
    return publication


# ---------------------------------------------------------------- the outbox


def run_job(
    session: Session,
    job_id,
    *,
    now: dt.datetime | None = None,
    config: Mapping | None = None,
    instance_path: str = "instance",
) -> PublicationJob | None:
    """Send one due job through its publisher and record the outcome (flush only).

    None when the job is not due (sent, dead, waiting for its next attempt) or another runner
    holds it right now (PostgreSQL: SKIP LOCKED; the lock lasts until the caller commits).
    """
    now = now or utcnow()
    config = config if config is not None else _config()
    stmt = (
        select(PublicationJob)
        .where(PublicationJob.id == job_id)
        .with_for_update(skip_locked=True, of=PublicationJob)
    )
    job = session.scalars(stmt).first()
    if job is None:
        return None
    session.refresh(job)
    if job.state not in DUE_STATES or job.next_attempt_at > now:
        return None
    document = export.national_export(session, job.publication)
    job.attempts += 1
    try:
        publishers.publisher_for(job.publisher, config, instance_path).send(document)
    except publishers.PublishFailed as failure:
        job.last_error = str(failure)[:MAX_ERROR_CHARS]
        if job.attempts >= int(config.get("PUBLISH_MAX_ATTEMPTS", 6)):
            job.state = DEAD
        else:
            job.state = FAILED
            base = int(config.get("PUBLISH_RETRY_BASE_SECONDS", 60))
            job.next_attempt_at = now + dt.timedelta(seconds=base * 2 ** (job.attempts - 1))
    else:
        job.state, job.sent_at, job.last_error = SENT, now, None
    session.flush()
    return job


def retry(session: Session, *, actor: Actor, user, job: PublicationJob) -> PublicationJob:
    """A failed or dead delivery goes back to the queue now, with a fresh count of attempts."""
    if not may_retry(user, job.publication.task):
        raise PublicationForbidden(N_("只有任务所属科室的业务人员或系统管理员可以重试发送"))
    session.execute(select(PublicationJob.id).where(PublicationJob.id == job.id).with_for_update())
    session.refresh(job)
    if job.state not in (FAILED, DEAD):
        raise PublicationConflict(N_("只有发送失败的任务可以重试"))
    before = job.state
    job.state, job.attempts, job.next_attempt_at = PENDING, 0, utcnow()
    session.flush()
    outbox.after_commit(session, [job.id])
    audit.record(
        session,
        actor=actor,
        action="publication.retry",
        object_type="publication_job",
        object_id=job.id,
        state=job.audit_state(),
        details={"before_state": before, "last_error": job.last_error},
    )
    return job
