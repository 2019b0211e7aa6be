"""Writes of tasks, commissions and checklist templates. Flush, never commit; audit every write."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.directory.models import Region
from server.draws.models import ANNOUNCED as ANNOUNCED_DRAW
from server.draws.models import CANCELLED as CANCELLED_DRAW
from server.draws.models import Draw
from server.errors import OperationError
from server.i18n import N_
from server.items.models import Item
from server.items.queries import method_codes
from server.orm import utcnow
from server.tasks import access, numbering, queries, workflow
from server.tasks.models import (
    ChecklistQuestion,
    ChecklistTemplate,
    Commission,
    Task,
    TaskEvent,
    TaskItem,
)

TASK_FIELDS = (
    "name",
    "year",
    "origin",
    "ad_hoc_reason",
    "targeting",
    "target_filters",
    "team_size",
    "pool_mode",
    "pool_filters",
    "window_start",
    "window_end",
    "sample_kind",
    "sample_count",
    "sample_ratio",
    "methods",
    "checklist_template_id",
    "workflow_notes",
    "materials",
)


class TaskError(OperationError):
    """A refused write: 422 (bad input), 403 (not yours) or 409 (not in this state).

    `msgid` is Chinese; `translated()` gives it in the page's language."""


class TaskForbidden(TaskError):
    status = 403


class TaskConflict(TaskError):
    status = 409


# ---------------------------------------------------------------- task content


def _lock(session: Session, task: Task) -> None:
    """Lock the task's row (PostgreSQL; SQLite has one writer) and re-read its state."""
    session.execute(select(Task.id).where(Task.id == task.id).with_for_update())
    session.refresh(task)


def _check_content(session: Session, department_id: uuid.UUID, data: dict) -> list[Item]:
    """Object-level checks the schema cannot make: items, methods, regions, checklist."""
    items = []
    for item_id in data["item_ids"]:
        item = session.get(Item, item_id)
        if item is None or item.department_id != department_id or item.is_retired:
            raise TaskError(N_("所选抽查事项不属于本科室的现行清单"), "item_ids")
        items.append(item)
    known = method_codes(session, active_only=True)
    unknown = [code for code in data["methods"] if code not in known]
    if unknown:
        raise TaskError(N_("未知的检查方式：%(codes)s"), "methods", codes="、".join(unknown))
    data["methods"] = [code for code in known if code in set(data["methods"])]
    regions = data["target_filters"].get("regions", [])
    if regions:
        found = set(session.scalars(select(Region.code).where(Region.code.in_(regions))))
        if found != set(regions):
            raise TaskError(N_("未知的区域"), "target_regions")
    _link_plan(session, department_id, data)
    template_id = data.get("checklist_template_id")
    if template_id is not None:
        template = session.get(ChecklistTemplate, template_id)
        if template is None:
            raise TaskError(N_("检查表不存在"), "checklist_template_id")
    return items


def _link_plan(session: Session, department_id, data: dict) -> None:
    """A planned task's items must be lines of the department's annual plan of its year."""
    data["plan_lines"] = {}
    if data["origin"] != "plan":
        return
    lines = queries.plan_lines(session, department_id, data["year"])
    if lines is None:
        raise TaskError(
            N_("本科室%(year)s年度抽查计划尚未制定；计划外任务请选择“计划外”并说明理由"),
            "origin",
            year=data["year"],
        )
    missing = [item_id for item_id in data["item_ids"] if item_id not in lines]
    if missing:
        raise TaskError(N_("所选事项不在本科室该年度的抽查计划中"), "item_ids")
    data["plan_lines"] = {item_id: lines[item_id].id for item_id in data["item_ids"]}


def _set_items(task: Task, items: list[Item], plan_lines: dict) -> None:
    keep = {ti.item_id: ti for ti in task.items}
    rows = []
    for position, item in enumerate(items):
        row = keep.get(item.id) or TaskItem(item_id=item.id)
        row.position = position
        # Pin the version in force now; a draft edited later follows the item's changes.
        row.item_version_id = item.current_version_id
        row.plan_line_id = plan_lines.get(item.id)
        rows.append(row)
    task.items = rows


def _event(session, task, action, source, target, actor: Actor, comment=None) -> None:
    session.add(
        TaskEvent(
            task_id=task.id,
            action=action,
            from_state=source,
            to_state=target,
            actor_id=actor.id,
            actor_label=actor.label,
            at=utcnow(),
            comment=comment,
        )
    )


def create_task(session: Session, *, actor: Actor, user, data: dict) -> Task:
    """A new draft owned by `user`. `data` is TaskArgs output."""
    data = dict(data)
    department_id = data.pop("department_id")
    if not access.can_create_in(user, department_id):
        raise TaskForbidden(N_("只能为本科室设置抽查任务"), "department_id")
    items = _check_content(session, department_id, data)
    task = Task(
        id=uuid.uuid4(),
        department_id=department_id,
        owner_id=user.id,
        state=workflow.DRAFT,
        **{k: data.get(k) for k in TASK_FIELDS},
    )
    session.add(task)
    _set_items(task, items, data["plan_lines"])
    session.flush()
    _event(session, task, "create", None, workflow.DRAFT, actor)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="task.create",
        object_type="task",
        object_id=task.id,
        state=task.audit_state(),
        details={"name": task.name, "year": task.year},
    )
    return task


def update_task(session: Session, *, actor: Actor, user, task: Task, data: dict) -> Task:
    """Save the owner's edit of a draft; editing a returned task takes it back to draft."""
    _lock(session, task)
    if task.state not in workflow.EDITABLE_STATES:
        raise TaskConflict(N_("任务已%(state)s，不能再修改"), state=_state_name(task.state))
    if not access.can_edit(user, task):
        raise TaskForbidden(N_("只有任务创建人可以修改草稿"))
    data = dict(data)
    department_id = data.pop("department_id")
    if department_id != task.department_id:
        raise TaskError(N_("任务的责任科室不能修改"), "department_id")
    if task.number and data["year"] != task.year:
        raise TaskError(N_("已编号任务的年度不能修改"), "year")
    items = _check_content(session, department_id, data)
    if task.state == workflow.RETURNED:
        transition(session, task, "reopen", actor=actor, user=user)
    for key in TASK_FIELDS:
        setattr(task, key, data.get(key))
    _set_items(task, items, data["plan_lines"])
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="task.update",
        object_type="task",
        object_id=task.id,
        state=task.audit_state(),
        details={"name": task.name},
    )
    return task


def delete_draft(session: Session, *, actor: Actor, user, task: Task) -> None:
    """Throw away a draft that never got a number (numbers are never given back)."""
    if not access.can_delete(user, task):
        raise TaskConflict(N_("只能删除尚未提交过的草稿"))
    audit.record(
        session,
        actor=actor,
        action="task.delete",
        object_type="task",
        object_id=task.id,
        state=task.audit_state(),
        details={"name": task.name},
    )
    session.delete(task)
    session.flush()


# ---------------------------------------------------------------- workflow


def _state_name(state: str) -> str:
    return str(workflow.STATES[state])


def transition(
    session: Session, task: Task, action: str, *, actor: Actor, user, comment: str | None = None
) -> Task:
    """Make one transition of the table; refuse anything else with nothing written.

    `user` is the person acting (None: system code such as the draw). Wrong state → 409,
    wrong person → 403.
    """
    step = workflow.transition_for(action)
    if step is None:
        raise TaskConflict(N_("未知的操作"))
    if action == "cancel":
        # The draw code locks the draw, then the task: take them in the same order.
        _lock_draw_of(session, task)
    _lock(session, task)  # two reviewers cannot both decide
    if task.state not in step.sources:
        raise TaskConflict(
            N_("任务当前为“%(state)s”，不能执行“%(action)s”"),
            state=_state_name(task.state),
            action=str(step.label),
        )
    if not workflow.may(user, task, step):
        if step.action in ("approve", "return"):
            raise TaskForbidden(N_("只有本科室负责人可以审核任务"))
        raise TaskForbidden(N_("您无权执行此操作"))
    comment = (comment or "").strip() or None
    if step.comment_required and not comment:
        if action == "cancel":
            raise TaskError(N_("取消任务时请填写取消原因"), "comment")
        raise TaskError(N_("退回时请填写修改意见"), "comment")
    now = utcnow()
    if action == "submit":
        if task.number is None:
            task.seq = numbering.next_seq(session, task.year)
            task.number = numbering.format_number(task.year, task.seq)
        task.submitted_at = now
    elif action == "approve":
        task.approved_at, task.approved_by_id = now, user.id
        task.review_comment = None
    elif action == "return":
        task.review_comment = comment
    source = task.state
    task.state = step.target
    _event(session, task, action, source, step.target, actor, comment)
    session.flush()
    details = {"from": source, "to": step.target, "number": task.number}
    if comment:
        details["comment"] = comment
    audit.record(
        session,
        actor=actor,
        action=f"task.{action}",
        object_type="task",
        object_id=task.id,
        state=task.audit_state(),
        details=details,
    )
    if action == "cancel" and source == workflow.ANNOUNCED:
        _cancel_draw_of(session, task, actor, comment)
    return task


def _draw_of(session: Session, task: Task) -> Draw | None:
    stmt = select(Draw).where(Draw.task_id == task.id).execution_options(populate_existing=True)
    return session.scalars(stmt).first()


def _lock_draw_of(session: Session, task: Task) -> None:
    session.execute(select(Draw.id).where(Draw.task_id == task.id).with_for_update())


def _cancel_draw_of(session: Session, task: Task, actor: Actor, reason: str) -> None:
    """An announced draw is called off with its task: never drawn, its secret never shown."""
    draw = _draw_of(session, task)
    if draw is None or draw.state != ANNOUNCED_DRAW:
        return
    draw.state, draw.cancelled_at, draw.cancel_reason = CANCELLED_DRAW, utcnow(), reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="draw.cancel",
        object_type="draw",
        object_id=draw.id,
        state=draw.audit_state(),
        details={"task": task.number, "reason": reason},
    )


def submit(session, task, *, actor, user):
    return transition(session, task, "submit", actor=actor, user=user)


def approve(session, task, *, actor, user, comment=None):
    return transition(session, task, "approve", actor=actor, user=user, comment=comment)


def return_task(session, task, *, actor, user, comment):
    return transition(session, task, "return", actor=actor, user=user, comment=comment)


def announce(session, task, *, actor, user=None, comment=None):
    """Called by the draw code when the draw announcement is published."""
    return transition(session, task, "announce", actor=actor, user=user, comment=comment)


def mark_drawn(session, task, *, actor, user=None, comment=None):
    return transition(session, task, "mark_drawn", actor=actor, user=user, comment=comment)


def mark_matched(session, task, *, actor, user=None, comment=None):
    return transition(session, task, "mark_matched", actor=actor, user=user, comment=comment)


def cancel(session, task, *, actor, user, comment):
    """Call the task off (dept_head or admin, with the reason); an announced draw goes too."""
    return transition(session, task, "cancel", actor=actor, user=user, comment=comment)


def issue(session, task, *, actor, user=None, comment=None):
    """Use server.draws.operations.issue_task: it checks that every team has its lead."""
    return transition(session, task, "issue", actor=actor, user=user, comment=comment)


def start(session, task, *, actor, user=None, comment=None):
    return transition(session, task, "start", actor=actor, user=user, comment=comment)


def complete(session, task, *, actor, user=None, comment=None):
    return transition(session, task, "complete", actor=actor, user=user, comment=comment)


# ---------------------------------------------------------------- commissions


def add_commission(session: Session, *, actor: Actor, user, task: Task, data: dict) -> Commission:
    if not access.can_manage_commissions(user, task):
        raise TaskForbidden(N_("您无权管理该任务的委托机构"))
    commission = Commission(task_id=task.id, **data)
    session.add(commission)
    session.flush()
    session.refresh(task, ["commissions"])
    audit.record(
        session,
        actor=actor,
        action="task.commission_add",
        object_type="task",
        object_id=task.id,
        state=task.audit_state(),
        details={"agency": commission.agency, "scope": commission.scope},
    )
    return commission


def remove_commission(
    session: Session, *, actor: Actor, user, task: Task, commission_id: uuid.UUID
) -> None:
    if not access.can_manage_commissions(user, task):
        raise TaskForbidden(N_("您无权管理该任务的委托机构"))
    commission = session.get(Commission, commission_id)
    if commission is None or commission.task_id != task.id:
        raise TaskError(N_("委托记录不存在"))
    if commission.report_key:
        raise TaskConflict(N_("已附报告的委托不能删除"))
    agency = commission.agency
    session.delete(commission)
    session.flush()
    session.refresh(task, ["commissions"])
    audit.record(
        session,
        actor=actor,
        action="task.commission_remove",
        object_type="task",
        object_id=task.id,
        state=task.audit_state(),
        details={"agency": agency},
    )


# ---------------------------------------------------------------- checklists


def is_frozen(session: Session, template: ChecklistTemplate) -> bool:
    """A version used by a task that has been issued (or got further) never changes."""
    stmt = select(Task.id).where(
        Task.checklist_template_id == template.id,
        Task.state.in_(workflow.FROZEN_CHECKLIST_STATES),
    )
    return session.scalars(stmt.limit(1)).first() is not None


def _record_template(session, actor, action, template, **details) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"checklist.{action}",
        object_type="checklist_template",
        object_id=template.id,
        state=template.audit_state(),
        details={"name": template.name, "version_no": template.version_no, **details},
    )


def create_template(session: Session, *, actor: Actor, user, data: dict) -> ChecklistTemplate:
    template = ChecklistTemplate(
        id=uuid.uuid4(),
        family_id=uuid.uuid4(),
        version_no=1,
        is_current=True,
        created_by_id=user.id if user is not None else None,
        **data,
    )
    if user is not None and not access.can_edit_checklist(user, template):
        raise TaskForbidden(N_("只能为本科室建立检查表"), "department_id")
    session.add(template)
    session.flush()
    _record_template(session, actor, "create", template)
    return template


def _writable(session: Session, actor: Actor, user, template: ChecklistTemplate):
    """The version to edit: the template itself, or (when frozen) a fresh copy of it."""
    if user is not None and not access.can_edit_checklist(user, template):
        raise TaskForbidden(N_("您无权修改该检查表"))
    if not template.is_current:
        raise TaskConflict(N_("这是检查表的历史版本，请修改最新版本"))
    if not is_frozen(session, template):
        return template
    copy = ChecklistTemplate(
        id=uuid.uuid4(),
        family_id=template.family_id,
        version_no=template.version_no + 1,
        is_current=True,
        name=template.name,
        description=template.description,
        department_id=template.department_id,
        created_by_id=user.id if user is not None else None,
        questions=[
            ChecklistQuestion(
                position=q.position,
                item_code=q.item_code,
                text=q.text,
                help=q.help,
                answer_type=q.answer_type,
                required=q.required,
            )
            for q in template.questions
        ],
    )
    template.is_current = False
    session.add(copy)
    session.flush()
    _record_template(session, actor, "new_version", copy, previous_id=str(template.id))
    return copy


def update_template(session, *, actor, user, template, data) -> ChecklistTemplate:
    target = _writable(session, actor, user, template)
    if user is not None and data["department_id"] != target.department_id:
        probe = ChecklistTemplate(department_id=data["department_id"])
        if not access.can_edit_checklist(user, probe):
            raise TaskForbidden(N_("只能为本科室建立检查表"), "department_id")
    for key, value in data.items():
        setattr(target, key, value)
    session.flush()
    _record_template(session, actor, "update", target)
    return target


def _question_in(template: ChecklistTemplate, position: int) -> ChecklistQuestion:
    for question in template.questions:
        if question.position == position:
            return question
    raise TaskError(N_("检查内容不存在"))


def _renumber(template: ChecklistTemplate) -> None:
    for n, question in enumerate(sorted(template.questions, key=lambda q: q.position), 1):
        question.position = n


def add_question(session, *, actor, user, template, data) -> ChecklistTemplate:
    target = _writable(session, actor, user, template)
    last = max((q.position for q in target.questions), default=0)
    target.questions.append(ChecklistQuestion(position=last + 1, **data))
    session.flush()
    _record_template(session, actor, "question_add", target)
    return target


def update_question(session, *, actor, user, template, position, data) -> ChecklistTemplate:
    target = _writable(session, actor, user, template)
    question = _question_in(target, position)
    for key, value in data.items():
        setattr(question, key, value)
    session.flush()
    _record_template(session, actor, "question_update", target, position=position)
    return target


def remove_question(session, *, actor, user, template, position) -> ChecklistTemplate:
    target = _writable(session, actor, user, template)
    target.questions.remove(_question_in(target, position))
    session.flush()
    _renumber(target)
    session.flush()
    _record_template(session, actor, "question_remove", target, position=position)
    return target


def move_question(session, *, actor, user, template, position, offset) -> ChecklistTemplate:
    """Swap a question with its neighbour above (offset −1) or below (+1)."""
    target = _writable(session, actor, user, template)
    ordered = sorted(target.questions, key=lambda q: q.position)
    index = next((i for i, q in enumerate(ordered) if q.position == position), None)
    if index is None:
        raise TaskError(N_("检查内容不存在"))
    other = index + offset
    if not 0 <= other < len(ordered):
        return target
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for n, question in enumerate(ordered, 1):
        question.position = n
    session.flush()
    _record_template(session, actor, "question_move", target, position=position, offset=offset)
    return target
