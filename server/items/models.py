"""Items and their versions. An item's identity is stable; its content lives in versions."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import Department, User
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow


class Item(UUIDPrimaryKey, Timestamps, Base):
    """One entry of the list (随机抽查事项), owned by a department."""

    __tablename__ = "items"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("item_versions.id", use_alter=True)
    )
    is_retired: Mapped[bool] = mapped_column(default=False, index=True)
    retired_at: Mapped[dt.datetime | None]
    retired_reason: Mapped[str | None] = mapped_column(Text)
    sort: Mapped[int] = mapped_column(default=0)

    department: Mapped[Department] = relationship(lazy="joined")
    current: Mapped[ItemVersion | None] = relationship(
        foreign_keys=[current_version_id], lazy="joined", post_update=True
    )
    versions: Mapped[list[ItemVersion]] = relationship(
        foreign_keys="ItemVersion.item_id",
        back_populates="item",
        order_by="ItemVersion.version_no.desc()",
    )

    def audit_state(self) -> dict:
        return {
            "code": self.code,
            "department_id": self.department_id,
            "current_version_id": self.current_version_id,
            "is_retired": self.is_retired,
            "retired_reason": self.retired_reason,
            "content": self.current.audit_state() if self.current else None,
        }


class ItemVersion(UUIDPrimaryKey, Base):
    """An immutable snapshot of an item's content, with who changed it, when and why."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version_no"),)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"), index=True)
    version_no: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)  # 抽查依据
    checking_body: Mapped[str] = mapped_column(String(200))  # 检查主体
    object_scope: Mapped[str] = mapped_column(Text)  # 抽查对象
    content: Mapped[str] = mapped_column(Text)  # 抽查内容
    methods: Mapped[list] = mapped_column(JSON, default=list)  # codes of kind "method"
    # None means the default rule (≥ 5 % / ≥ 1 a year); a value set with *_is_statutory=True
    # is the item's own legal requirement and overrides the default.
    ratio_percent: Mapped[decimal.Decimal | None] = mapped_column(Numeric(5, 2))
    ratio_is_statutory: Mapped[bool] = mapped_column(default=False)
    frequency_per_year: Mapped[int | None]
    frequency_is_statutory: Mapped[bool] = mapped_column(default=False)
    inspector_requirements: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    change_reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    item: Mapped[Item] = relationship(foreign_keys=[item_id], back_populates="versions")
    created_by: Mapped[User | None] = relationship()
    department: Mapped[Department] = relationship()

    def audit_state(self) -> dict:
        return {
            "version_no": self.version_no,
            "name": self.name,
            "legal_basis": self.legal_basis,
            "checking_body": self.checking_body,
            "object_scope": self.object_scope,
            "content": self.content,
            "methods": list(self.methods or []),
            "ratio_percent": self.ratio_percent,
            "ratio_is_statutory": self.ratio_is_statutory,
            "frequency_per_year": self.frequency_per_year,
            "frequency_is_statutory": self.frequency_is_statutory,
            "inspector_requirements": self.inspector_requirements,
            "department_id": self.department_id,
            "change_reason": self.change_reason,
        }
