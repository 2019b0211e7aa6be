"""Decisions on merge proposals (Art. 15: 进一次门、查多项事) and the merge itself.

Every department whose task a proposed visit carries answers once (MergeDecision). When the
last one confirms, the merge happens in the same transaction: the oldest visit absorbs the
others (their task sections move to it, in order), its window becomes the overlap, the others
end as "merged". One decline ends the proposal and nothing changes. Callers flush inside
their own transaction; every change is audited here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.errors import OperationError
from server.i18n import N_
from server.orm import utcnow
from server.visits import access, queries
from server.visits.models import (
    CONFIRMED,
    DECLINED,
    MERGED,
    PROPOSED,
    MergeDecision,
    MergeProposal,
    Visit,
)

COMMENT_MAX = 2000


class MergeError(OperationError):
    """A refused decision: 422 (bad input), 403 (not yours) or 409 (state changed)."""


def _lock(session: Session, proposal: MergeProposal) -> list[Visit]:
    """Serialise decisions on one proposal and freeze its visits until commit.

    Two heads confirming at once must not both see "the other has not answered yet".
    """
    session.execute(
        select(MergeProposal.id).where(MergeProposal.id == proposal.id).with_for_update()
    )
    session.refresh(proposal)
    ids = [queries.parse_id(v) for v in proposal.visit_ids]
    session.execute(select(Visit.id).where(Visit.id.in_(ids)).with_for_update())
    visits = queries.proposal_visits(session, proposal)
    for visit in visits:
        session.refresh(visit)
    return visits


def _decisions(session: Session, proposal: MergeProposal) -> list[MergeDecision]:
    stmt = select(MergeDecision).where(MergeDecision.proposal_id == proposal.id)
    return list(session.scalars(stmt))


def _check_decider(session: Session, user, proposal: MergeProposal, visits: list[Visit]):
    if proposal.state != PROPOSED:
        raise MergeError(N_("该合并建议已处理，不能再作决定"), status=409)
    departments = [d.id for d in queries.departments_of(visits)]
    if user is None or not access.may_decide(user, departments):
        raise MergeError(N_("只有所涉任务的科室负责人可以决定是否合并"), status=403)
    if any(d.department_id == user.department_id for d in _decisions(session, proposal)):
        raise MergeError(N_("本科室已对该合并建议作出决定，不能重复决定"), status=409)
    return departments


def _comment(comment: str | None, *, required: bool) -> str | None:
    text = (comment or "").strip()
    if required and len(text) < 2:
        raise MergeError(N_("不同意合并时请填写理由（至少 2 个字）"), "comment")
    if len(text) > COMMENT_MAX:
        raise MergeError(N_("意见不能超过 %(n)s 个字"), "comment", n=COMMENT_MAX)
    return text or None


def _decide(session, actor, user, proposal, *, confirmed: bool, comment) -> MergeDecision:
    decision = MergeDecision(
        proposal=proposal,
        department_id=user.department_id,
        user_id=user.id,
        confirmed=confirmed,
        comment=comment,
        at=utcnow(),
    )
    session.add(decision)
    session.flush()
    session.refresh(proposal)
    audit.record(
        session,
        actor=actor,
        action="visit.merge_confirm" if confirmed else "visit.merge_decline",
        object_type="merge_proposal",
        object_id=proposal.id,
        state=proposal.audit_state(),
        details={"department_id": str(user.department_id), "comment": comment},
    )
    return decision


def confirm(
    session: Session, actor: Actor, user, proposal: MergeProposal, comment: str | None = None
) -> MergeProposal:
    """The user's department agrees; the last agreement executes the merge."""
    visits = _lock(session, proposal)
    departments = _check_decider(session, user, proposal, visits)
    comment = _comment(comment, required=False)
    if queries.stale(proposal, visits):
        raise MergeError(
            N_("涉及的检查已取消、已合并或已变更，该合并建议已失效，不能确认合并"), status=409
        )
    _decide(session, actor, user, proposal, confirmed=True, comment=comment)
    agreed = {d.department_id for d in _decisions(session, proposal) if d.confirmed}
    if agreed >= set(departments):
        _merge(session, actor, proposal, visits)
    return proposal


def decline(
    session: Session, actor: Actor, user, proposal: MergeProposal, comment: str | None
) -> MergeProposal:
    """The user's department refuses (a reason is required): the proposal ends, visits stay."""
    visits = _lock(session, proposal)
    _check_decider(session, user, proposal, visits)
    comment = _comment(comment, required=True)
    _decide(session, actor, user, proposal, confirmed=False, comment=comment)
    _close(session, actor, proposal, DECLINED, "visit.merge_declined")
    return proposal


def _close(session, actor, proposal: MergeProposal, state: str, action: str, details=None):
    proposal.state, proposal.decided_at = state, utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="merge_proposal",
        object_id=proposal.id,
        state=proposal.audit_state(),
        details=details or {},
    )


def _merge(session: Session, actor: Actor, proposal: MergeProposal, visits: list[Visit]) -> Visit:
    """The oldest visit absorbs the others: one door, many checks."""
    survivor, others = visits[0], visits[1:]
    start, end = queries.overlap(visits)
    links = list(survivor.tasks)
    for other in others:
        links.extend(other.tasks)
    for position, link in enumerate(links):
        link.visit, link.position = survivor, position
    survivor.window_start, survivor.window_end = start, end
    for other in others:
        other.state, other.merged_into_id = MERGED, survivor.id
        other.end_reason = f"经各科室确认，合并至检查 {survivor.id}（合并建议 {proposal.id}）"
    session.flush()
    for visit in visits:
        session.refresh(visit)
    audit.record(
        session,
        actor=actor,
        action="visit.merge",
        object_type="visit",
        object_id=survivor.id,
        state=survivor.audit_state(),
        details={"proposal": str(proposal.id), "absorbed": [str(o.id) for o in others]},
    )
    for other in others:
        audit.record(
            session,
            actor=actor,
            action="visit.merged_into",
            object_type="visit",
            object_id=other.id,
            state=other.audit_state(),
            details={"proposal": str(proposal.id), "into": str(survivor.id)},
        )
    _close(
        session, actor, proposal, CONFIRMED, "visit.merge_confirmed", {"visit": str(survivor.id)}
    )
    return survivor


def retire_for_visits(
    session: Session, actor: Actor, visits: list[Visit], reason: str
) -> list[MergeProposal]:
    """Open proposals naming any of `visits` become declined (obsolete): their visits changed.

    To be called by whoever cancels a visit or removes a task from it (an alternate replacing a
    subject), in the same transaction, so no stale proposal waits for decisions.
    """
    ids = {str(v.id) for v in visits}
    subjects = {v.subject_id for v in visits}
    if not ids:
        return []
    stmt = select(MergeProposal).where(
        MergeProposal.subject_id.in_(subjects), MergeProposal.state == PROPOSED
    )
    retired = [p for p in session.scalars(stmt) if ids & set(p.visit_ids)]
    for proposal in retired:
        _close(session, actor, proposal, DECLINED, "visit.merge_obsolete", {"reason": reason})
    return retired
