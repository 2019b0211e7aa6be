"""Reference codes shared by results, publication and the field app."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.orm import Base


class Code(Base):
    """One code of one kind. `gs52_code` is filled when the national mapping is known."""

    __tablename__ = "codes"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    gs52_code: Mapped[str | None] = mapped_column(String(20))
    sort: Mapped[int] = mapped_column(default=0)
    # "未发现问题" excludes every other result code.
    is_exclusive: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
