"""The task's states and the one table of allowed transitions with who may make each."""

from __future__ import annotations

import dataclasses

from flask_babel import lazy_gettext as _l

DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
RETURNED = "returned"
ANNOUNCED = "announced"
DRAWN = "drawn"
MATCHED = "matched"
ISSUED = "issued"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
CANCELLED = "cancelled"

STATES = {
    DRAFT: _l("草稿"),
    SUBMITTED: _l("待审核"),
    APPROVED: _l("已审核"),
    RETURNED: _l("已退回"),
    ANNOUNCED: _l("已公告抽取"),
    DRAWN: _l("已抽取对象"),
    MATCHED: _l("已匹配人员"),
    ISSUED: _l("已下达"),
    IN_PROGRESS: _l("检查中"),
    COMPLETED: _l("已完成"),
    CANCELLED: _l("已取消"),
}
# Badge colour of each state on the console.
STATE_BADGES = {
    DRAFT: "",
    SUBMITTED: "warn",
    APPROVED: "ok",
    RETURNED: "danger",
    ANNOUNCED: "warn",
    DRAWN: "warn",
    MATCHED: "warn",
    ISSUED: "ok",
    IN_PROGRESS: "warn",
    COMPLETED: "ok",
    CANCELLED: "danger",
}
# From "issued" on, the task's checklist version is what inspectors work with: frozen.
FROZEN_CHECKLIST_STATES = frozenset({ISSUED, IN_PROGRESS, COMPLETED})
# The owner may change the task's content only here.
EDITABLE_STATES = frozenset({DRAFT, RETURNED})

# Who may act. "owner": the task's owner; "dept_head": a dept_head of the task's department;
# "back_office": a back-office user of the task's department; "admin": any admin;
# "system": a caller without a user (the draw/matching code, the CLI, seeders).
OWNER, HEAD, OFFICE, ADMIN, SYSTEM = "owner", "dept_head", "back_office", "admin", "system"


@dataclasses.dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]  # the states it may leave (most transitions: exactly one)
    target: str
    who: frozenset[str]
    label: object
    comment_required: bool = False

    @property
    def source(self) -> str:
        return self.sources[0]


_DRAW_SIDE = frozenset({HEAD, OFFICE, ADMIN, SYSTEM})
# A task may be called off until its draw; a drawn draw is never undone (amendments only), so
# from "drawn" on there is no cancellation.
CANCELLABLE_STATES = (DRAFT, SUBMITTED, APPROVED, RETURNED, ANNOUNCED)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", (DRAFT,), SUBMITTED, frozenset({OWNER, ADMIN}), _l("提交审核")),
        Transition("approve", (SUBMITTED,), APPROVED, frozenset({HEAD}), _l("审核通过")),
        Transition(
            "return",
            (SUBMITTED,),
            RETURNED,
            frozenset({HEAD}),
            _l("退回修改"),
            comment_required=True,
        ),
        # The owner takes a returned task back to draft (saving an edit of it does so too).
        Transition("reopen", (RETURNED,), DRAFT, frozenset({OWNER, ADMIN}), _l("重新编辑")),
        Transition("announce", (APPROVED,), ANNOUNCED, _DRAW_SIDE, _l("发布抽取公告")),
        Transition("mark_drawn", (ANNOUNCED,), DRAWN, _DRAW_SIDE, _l("完成对象抽取")),
        Transition("mark_matched", (DRAWN,), MATCHED, _DRAW_SIDE, _l("完成人员匹配")),
        # Made through server.draws.operations.issue_task, which first checks every team's lead.
        Transition("issue", (MATCHED,), ISSUED, _DRAW_SIDE, _l("下达任务")),
        Transition("start", (ISSUED,), IN_PROGRESS, _DRAW_SIDE, _l("开始检查")),
        Transition("complete", (IN_PROGRESS,), COMPLETED, _DRAW_SIDE, _l("完成任务")),
        # The department head (or an admin) calls a task off, always saying why.
        Transition(
            "cancel",
            CANCELLABLE_STATES,
            CANCELLED,
            frozenset({HEAD, ADMIN}),
            _l("取消任务"),
            comment_required=True,
        ),
    )
}


def transition_for(action: str) -> Transition | None:
    return TRANSITIONS.get(action)


def actions_from(state: str) -> list[Transition]:
    """The transitions the table allows from `state` (whoever may make them)."""
    return [t for t in TRANSITIONS.values() if state in t.sources]


def capacities(user, task) -> set[str]:
    """In which capacities `user` (None: system code) stands towards `task`."""
    if user is None:
        return {SYSTEM}
    have: set[str] = set()
    if user.id == task.owner_id:
        have.add(OWNER)
    same_department = user.department_id is not None and user.department_id == task.department_id
    if same_department and user.has_role("dept_head"):
        have.add(HEAD)
    if same_department and user.has_role("back_office"):
        have.add(OFFICE)
    if user.has_role("admin"):
        have.add(ADMIN)
    return have


def may(user, task, transition: Transition) -> bool:
    return bool(capacities(user, task) & transition.who)


def allowed(user, task, action: str) -> bool:
    """May `user` make `action` on `task` now (its state and their capacity)?"""
    step = TRANSITIONS.get(action)
    return step is not None and task.state in step.sources and may(user, task, step)
