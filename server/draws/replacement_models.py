"""Requests to change a drawn team (Art. 17–18) and uses of alternates (§2.4 of DSR-v1).

The draw's bundle keeps the public history (amendments); these rows keep who asked, why, the
written explanation (not public) and the decision. DrawAssignment stays the current teams.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import User
from server.directory.models import Inspector
from server.draws.models import Draw
from server.orm import Base, UUIDPrimaryKey, utcnow

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
STATES = {PENDING: _l("待审批"), APPROVED: _l("已同意"), REFUSED: _l("未同意")}
STATE_BADGES = {PENDING: "warn", APPROVED: "ok", REFUSED: "danger"}

# Art. 18: the only reasons a drawn inspector may be changed.
RECUSAL = "recusal"
REASONS = {
    RECUSAL: _l("回避（利害关系）"),
    "job_change": _l("岗位变动"),
    "work_conflict": _l("工作冲突"),
    "health": _l("身体原因"),
}
REPLACE, SWAP, WITHDRAW = "replace", "swap", "withdraw"
MODES = {
    REPLACE: _l("仅替换本对象的检查人员"),
    SWAP: _l("与本任务其他检查人员交换检查对象（回避）"),
    WITHDRAW: _l("退出本次检查任务"),
}
# §2.4: the only reasons an alternate may be used.
ALTERNATE_REASONS = {
    "deregistered": _l("已注销"),
    "closed": _l("已停业/关闭"),
    "unreachable": _l("无法联系/下落不明"),
}
NOTE_REQUIRED = frozenset({"unreachable"})

_PENDING_ONLY = text("state = 'pending'")


class ReplacementRequest(UUIDPrimaryKey, Base):
    """An inspector's recusal / replacement / withdrawal request, decided by a leader."""

    __tablename__ = "replacement_requests"
    __table_args__ = (
        # One pending request per (draw, subject, inspector); decided ones stay as history.
        Index(
            "uq_replacement_requests_pending",
            "draw_id",
            "subject_id",
            "inspector_id",
            unique=True,
            sqlite_where=_PENDING_ONLY,
            postgresql_where=_PENDING_ONLY,
        ),
    )

    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("draws.id"), index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id"))
    uscc: Mapped[str] = mapped_column(String(18))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspectors.id"), index=True)
    credential_no: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(20))
    explanation: Mapped[str] = mapped_column(Text)
    conflict_kind: Mapped[str | None] = mapped_column(String(32))  # recusal: for the register
    state: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)
    # The amendments the approval appended to the bundle (a copy, for the decision pages).
    amendments: Mapped[list | None] = mapped_column(JSON)

    draw: Mapped[Draw] = relationship(lazy="joined")
    inspector: Mapped[Inspector] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    def audit_state(self) -> dict:
        return {
            "draw_id": self.draw_id,
            "uscc": self.uscc,
            "credential_no": self.credential_no,
            "mode": self.mode,
            "reason": self.reason,
            "explanation": self.explanation,
            "conflict_kind": self.conflict_kind,
            "state": self.state,
            "requested_by_id": self.requested_by_id,
            "decided_by_id": self.decided_by_id,
            "decided_at": self.decided_at,
            "decision_comment": self.decision_comment,
            "amendments": self.amendments,
        }


class AlternateUse(UUIDPrimaryKey, Base):
    """The next alternate in place of a selected subject, for a pre-listed reason only (§2.4)."""

    __tablename__ = "alternate_uses"
    __table_args__ = (
        Index(
            "uq_alternate_uses_pending",
            "draw_id",
            "replaced_subject_id",
            unique=True,
            sqlite_where=_PENDING_ONLY,
            postgresql_where=_PENDING_ONLY,
        ),
    )

    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("draws.id"), index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    replaced_subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id"))
    replaced_uscc: Mapped[str] = mapped_column(String(18))
    # The alternate is fixed only at approval (the first unused one at that moment).
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subjects.id"))
    uscc: Mapped[str | None] = mapped_column(String(18))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)
    amendment: Mapped[dict | None] = mapped_column(JSON)

    draw: Mapped[Draw] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    def audit_state(self) -> dict:
        return {
            "draw_id": self.draw_id,
            "replaced_uscc": self.replaced_uscc,
            "uscc": self.uscc,
            "reason": self.reason,
            "note": self.note,
            "state": self.state,
            "requested_by_id": self.requested_by_id,
            "decided_by_id": self.decided_by_id,
            "decided_at": self.decided_at,
            "decision_comment": self.decision_comment,
        }
