"""Writes of results and of task start/completion. Flush, never commit; audit every write.

Rules (domain.md "Results", "Rules the software enforces"):
- a section's result is entered by the back office of the task's department once the section's
  latest inspection record is approved, or, for a visit that ended without a record (cancelled
  with its reason), with an explanation;
- "未发现问题" (result `no_problem`) and "无须后续处置" (follow-up `none`) exclude every other code
  of their kind (the codes table's `is_exclusive`); at least one method per item;
- draft → submitted → returned (comment required) / approved, decided by the department head,
  never by the person who entered or submitted the sheet; edits only in draft or returned;
- an approved sheet is corrected only by a new version (with a reason) in draft; every version
  is kept; after publication too (a recorded correction, republished with its reason by
  server/publication once approved);
- a task starts (issued → in_progress) once one of its records has been submitted, and the
  department head completes it (in_progress → completed) when every section has an approved
  result; the completion day is stored and the publication deadline counts from it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.clock import local_today
from server.codes.reference import FOLLOWUP, METHOD, RESULT
from server.errors import OperationError
from server.followups.operations import open_for_sheet
from server.i18n import N_
from server.orm import utcnow
from server.results import access, queries
from server.results.models import (
    APPROVED,
    CLOSED,
    DRAFT,
    EDITABLE_STATES,
    RETURNED,
    SUBMITTED,
    ResultLine,
    ResultSheet,
    TaskCompletion,
)
from server.tasks import operations as task_ops
from server.tasks import workflow
from server.visits.models import CANCELLED as VISIT_CANCELLED
from server.visits.models import MERGED as VISIT_MERGED
from server.visits.models import VisitTask
from server.visits.record_models import APPROVED as RECORD_APPROVED

# A result may be entered while the task is out in the field or done (until publication).
ENTRY_TASK_STATES = frozenset({workflow.ISSUED, workflow.IN_PROGRESS, workflow.COMPLETED})


class ResultError(OperationError):
    """A refused write: 422 (bad input), 403 (not yours) or 409 (not in this state)."""


class ResultForbidden(ResultError):
    status = 403


class ResultConflict(ResultError):
    status = 409


# ---------------------------------------------------------------- helpers


def _lock(session: Session, sheet: ResultSheet) -> None:
    """Lock the sheet's row (PostgreSQL; SQLite has one writer) and re-read its state."""
    session.execute(select(ResultSheet.id).where(ResultSheet.id == sheet.id).with_for_update())
    session.refresh(sheet)


def _record(session: Session, actor: Actor, action: str, sheet: ResultSheet, **details) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"result.{action}",
        object_type="result_sheet",
        object_id=sheet.id,
        state=sheet.audit_state(),
        details={"task": sheet.task.number, "version": sheet.version, **details},
    )


def _published(session: Session, task) -> bool:
    completion = queries.completion_of(session, task.id)
    return completion is not None and completion.published_at is not None


def entry_basis(session: Session, visit, task):
    """The approved record a section's result rests on, or None for a visit that ended without
    one (then an explanation is required). 409 while there is nothing to rest on."""
    if visit.state == VISIT_MERGED or queries.section(session, visit.id, task.id) is None:
        raise ResultConflict(N_("该检查不包含此任务，不能录入结果"))
    record = queries.latest_record(session, visit.id, task.id)
    if record is not None:
        if record.state != RECORD_APPROVED:
            raise ResultConflict(N_("该检查的检查记录尚未审核通过，不能录入结果"))
        return record
    if visit.state == VISIT_CANCELLED:
        return None
    raise ResultConflict(N_("该检查尚无审核通过的检查记录，不能录入结果"))


def _check_lines(session: Session, task, lines: list[dict]) -> list[dict]:
    """Known codes, one line per item of the task, exclusive codes alone. 422 otherwise."""
    known = {kind: queries.codes(session, kind) for kind in (RESULT, METHOD, FOLLOWUP)}
    items = {ti.item_id: (n, ti) for n, ti in enumerate(task.items)}
    seen, out = set(), []
    for line in lines:
        if line["item_id"] not in items or line["item_id"] in seen:
            raise ResultError(N_("所填事项不属于该任务"), "lines")
        seen.add(line["item_id"])
        followups = {}
        for measure in line["followups"]:
            followups.setdefault(measure["code"], measure)  # a code once
        chosen = {
            RESULT: line["result_codes"],
            METHOD: line["method_codes"],
            FOLLOWUP: list(followups),
        }
        for kind, picked in chosen.items():
            unknown = [c for c in picked if c not in known[kind] or not known[kind][c].is_active]
            if unknown:
                raise ResultError(N_("未知的代码：%(codes)s"), "lines", codes="、".join(unknown))
            exclusive = [known[kind][c] for c in set(picked) if known[kind][c].is_exclusive]
            if exclusive and len(set(picked)) > 1:
                message = {
                    RESULT: N_("检查结果“%(name)s”不能与其他检查结果同时选择"),
                    FOLLOWUP: N_("后续处置“%(name)s”不能与其他后续处置同时选择"),
                }.get(kind, N_("“%(name)s”不能与其他选项同时选择"))
                raise ResultError(message, "lines", name=exclusive[0].name_zh)
        order = {kind: list(known[kind]) for kind in known}
        out.append(
            {
                "item_id": line["item_id"],
                "position": items[line["item_id"]][0],
                "result_codes": [c for c in order[RESULT] if c in set(chosen[RESULT])],
                "method_codes": [c for c in order[METHOD] if c in set(chosen[METHOD])],
                "followups": [
                    {
                        "code": code,
                        "status": followups[code]["status"],
                        "closed_on": (
                            followups[code]["closed_on"].isoformat()
                            if followups[code]["status"] == CLOSED
                            else None
                        ),
                    }
                    for code in order[FOLLOWUP]
                    if code in followups
                ],
                "note": line.get("note"),
            }
        )
    return out


def _complete_enough(sheet: ResultSheet, task) -> None:
    """What a submitted sheet must have: per item a result, a method and a follow-up."""
    for ti in task.items:
        line = sheet.line_for(ti.item_id)
        code = ti.item.code
        if line is None or not line.result_codes:
            raise ResultError(N_("事项 %(item)s：请选择检查结果"), "lines", item=code)
        if not line.method_codes:
            raise ResultError(N_("事项 %(item)s：请至少选择一种核查方式"), "lines", item=code)
        if not line.followups:
            raise ResultError(N_("事项 %(item)s：请选择后续处置"), "lines", item=code)
    if sheet.record_id is None and not sheet.no_record_reason:
        raise ResultError(N_("该检查没有检查记录，请说明原因"), "no_record_reason")


def _set_lines(sheet: ResultSheet, lines: list[dict]) -> None:
    """Change lines in place by item (a delete and re-insert of one item would hit the unique
    key: the unit of work inserts before it deletes)."""
    wanted = {line["item_id"]: line for line in lines}
    for row in list(sheet.lines):
        if row.item_id not in wanted:
            sheet.lines.remove(row)
    for item_id, line in wanted.items():
        row = sheet.line_for(item_id)
        if row is None:
            sheet.lines.append(ResultLine(**line))
            continue
        for key, value in line.items():
            setattr(row, key, value)


# ---------------------------------------------------------------- entry


def save(session: Session, *, actor: Actor, user, visit, task, data: dict) -> ResultSheet:
    """Create the section's first result or change its current draft/returned version.

    `data` is SheetArgs output. A returned sheet stays returned until it is submitted again.
    """
    if not access.may_enter(user, task):
        raise ResultForbidden(N_("只有任务所属科室的业务人员可以录入检查结果"))
    if task.state not in ENTRY_TASK_STATES:
        raise ResultConflict(N_("任务尚未下达，不能录入检查结果"))
    published = _published(session, task)
    record = entry_basis(session, visit, task)
    reason = data.get("no_record_reason")
    if record is None and not reason:
        raise ResultError(N_("该检查没有检查记录，请说明原因"), "no_record_reason")
    lines = _check_lines(session, task, data["lines"])
    # Lock the section so two first saves of one section cannot both create version 1.
    session.execute(
        select(VisitTask.id)
        .where(VisitTask.visit_id == visit.id, VisitTask.task_id == task.id)
        .with_for_update()
    )
    sheet = queries.current_sheet(session, visit.id, task.id)
    if sheet is None and published:
        # After publication a result changes only through a recorded correction (a new version).
        raise ResultConflict(N_("检查结果已公示，只能通过更正修改"))
    if sheet is None:
        sheet = ResultSheet(
            visit_id=visit.id,
            task_id=task.id,
            version=1,
            is_current=True,
            state=DRAFT,
            entered_by_id=user.id,
        )
        session.add(sheet)
        action = "create"
    else:
        _lock(session, sheet)
        if sheet.state not in EDITABLE_STATES:
            raise ResultConflict(N_("检查结果已提交或已审核，不能再修改"))
        action = "update"
    sheet.record_id = record.id if record is not None else None
    sheet.no_record_reason = reason if record is None else None
    sheet.remarks = data.get("remarks")
    _set_lines(sheet, lines)
    session.flush()
    session.refresh(sheet, ["task"])
    _record(session, actor, action, sheet)
    _start_lazily(session, task, actor=actor, user=user)
    return sheet


def submit(session: Session, *, actor: Actor, user, sheet: ResultSheet) -> ResultSheet:
    if not access.may_enter(user, sheet.task):
        raise ResultForbidden(N_("只有任务所属科室的业务人员可以提交检查结果"))
    _lock(session, sheet)
    if sheet.state not in EDITABLE_STATES or not sheet.is_current:
        raise ResultConflict(N_("只有草稿或被退回的检查结果可以提交审核"))
    _complete_enough(sheet, sheet.task)
    before = sheet.state
    sheet.state, sheet.submitted_by_id, sheet.submitted_at = SUBMITTED, user.id, utcnow()
    session.flush()
    _record(session, actor, "submit", sheet, before_state=before)
    return sheet


def _decide(session, actor, user, sheet, target, comment, *, required: bool) -> ResultSheet:
    if not access.is_department_head(user, sheet.task):
        raise ResultForbidden(N_("只有任务所属科室的负责人可以审核检查结果"))
    if not access.may_review(user, sheet):
        raise ResultForbidden(N_("不能审核自己录入或提交的检查结果"))
    comment = (comment or "").strip() or None
    if required and not comment:
        raise ResultError(N_("退回时请填写退回意见"), "comment")
    _lock(session, sheet)
    if sheet.state != SUBMITTED or not sheet.is_current:
        raise ResultConflict(N_("只有待审核的检查结果可以审核"))
    sheet.state = target
    sheet.reviewed_by_id, sheet.reviewed_at, sheet.review_comment = user.id, utcnow(), comment
    session.flush()
    action = "approve" if target == APPROVED else "return"
    _record(session, actor, action, sheet, comment=comment)
    if target == APPROVED:
        # Measures needing action become follow-ups the department tracks to closure.
        open_for_sheet(session, actor, sheet)
    return sheet


def approve(session, *, actor, user, sheet, comment=None) -> ResultSheet:
    return _decide(session, actor, user, sheet, APPROVED, comment, required=False)


def return_sheet(session, *, actor, user, sheet, comment) -> ResultSheet:
    return _decide(session, actor, user, sheet, RETURNED, comment, required=True)


def correct(session: Session, *, actor: Actor, user, sheet: ResultSheet, reason: str):
    """An approved result is corrected by a new version in draft; the approved one is kept.

    Also after publication: the correction is recorded with its reason, and once the new
    version is approved the task is published again (server/publication `publish(...,
    reason=…)`), the reason shown publicly with it; every published version stays public.
    """
    if not access.may_enter(user, sheet.task):
        raise ResultForbidden(N_("只有任务所属科室的业务人员可以更正检查结果"))
    reason = (reason or "").strip()
    if not reason:
        raise ResultError(N_("请填写更正原因"), "reason")
    _lock(session, sheet)
    if sheet.state != APPROVED or not sheet.is_current:
        raise ResultConflict(N_("只有已审核通过的最新检查结果可以更正"))
    published = _published(session, sheet.task)
    sheet.is_current = False
    session.flush()  # the old version first leaves "current", then the new one arrives
    new = ResultSheet(
        visit_id=sheet.visit_id,
        task_id=sheet.task_id,
        version=sheet.version + 1,
        is_current=True,
        supersedes_id=sheet.id,
        correction_reason=reason,
        state=DRAFT,
        record_id=sheet.record_id,
        no_record_reason=sheet.no_record_reason,
        remarks=sheet.remarks,
        entered_by_id=user.id,
        lines=[
            ResultLine(
                item_id=line.item_id,
                position=line.position,
                result_codes=list(line.result_codes),
                method_codes=list(line.method_codes),
                followups=[dict(f) for f in line.followups],
                note=line.note,
            )
            for line in sheet.lines
        ],
    )
    session.add(new)
    session.flush()
    session.refresh(new, ["task"])
    _record(
        session,
        actor,
        "correct",
        new,
        previous_id=str(sheet.id),
        reason=reason,
        after_publication=published,
    )
    return new


# ---------------------------------------------------------------- task start and completion


def may_start(user, task) -> bool:
    return access.may_enter(user, task) or access.is_department_head(user, task)


def start_task(session: Session, *, actor: Actor, user, task):
    """issued → in_progress, once a record of the task has been submitted from the field."""
    if user is not None and not may_start(user, task):
        raise ResultForbidden(N_("只有任务所属科室的负责人或业务人员可以开始任务"))
    if task.state != workflow.ISSUED:
        raise ResultConflict(N_("只有已下达的任务可以开始检查"))
    if not queries.has_submitted_record(session, task.id):
        raise ResultConflict(N_("该任务尚无已提交的检查记录，不能开始"))
    return task_ops.start(session, task, actor=actor, user=user)


def _start_lazily(session: Session, task, *, actor: Actor, user) -> None:
    """Entering a result means the field work has begun: start an issued task."""
    if task.state == workflow.ISSUED and queries.has_submitted_record(session, task.id):
        task_ops.start(session, task, actor=actor, user=user)


def complete_task(session: Session, *, actor: Actor, user, task, today: dt.date | None = None):
    """in_progress → completed by the department head when every section's result is approved.

    Stores the completion day (Asia/Shanghai; `today` for tests and back-dated imports): the 20
    working days to publication count from it.
    """
    if not access.is_department_head(user, task):
        raise ResultForbidden(N_("只有任务所属科室的负责人可以完成任务"))
    if task.state != workflow.IN_PROGRESS:
        raise ResultConflict(N_("只有检查中的任务可以完成"))
    if not queries.task_sections(session, task.id):
        raise ResultConflict(N_("该任务没有检查对象，不能完成"))
    pending = queries.pending_sections(session, task.id)
    if pending:
        raise ResultConflict(N_("尚有 %(n)s 个检查的结果未审核通过，不能完成任务"), n=len(pending))
    task_ops.complete(session, task, actor=actor, user=user)
    completion = TaskCompletion(
        task_id=task.id,
        completed_on=today or local_today(),
        completed_at=utcnow(),
        completed_by_id=user.id,
    )
    session.add(completion)
    session.flush()
    due, provisional = queries.publication_due(session, completion.completed_on)
    audit.record(
        session,
        actor=actor,
        action="task.completion",
        object_type="task",
        object_id=task.id,
        state=completion.audit_state(),
        details={
            "number": task.number,
            "publication_due": due.isoformat(),
            "provisional": provisional,
        },
    )
    return completion
