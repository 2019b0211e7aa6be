"""Departments, users and their roles."""

from __future__ import annotations

import datetime as dt
import uuid

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.orm import Base, Timestamps, UUIDPrimaryKey


class Department(UUIDPrimaryKey, Timestamps, Base):
    """A supervising section (监管科室) of the bureau; owns items, plans and tasks."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)

    def audit_state(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "is_active": self.is_active,
        }


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class User(UUIDPrimaryKey, Timestamps, UserMixin, Base):
    """A console / field-app account. Passwords are Argon2 hashes; never stored in clear."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]
    # Bumped on password change or forced sign-out; sessions carrying an older value end.
    session_epoch: Mapped[int] = mapped_column(default=0)

    department: Mapped[Department | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def set_roles(self, roles: set[str] | frozenset[str] | list[str]) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        self.role_rows.extend(UserRole(role=r) for r in sorted(wanted - have))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def get_id(self) -> str:
        # Flask-Login keeps this in the session; the epoch makes old sessions invalid.
        return f"{self.id}:{self.session_epoch}"

    def audit_state(self) -> dict:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "department_id": self.department_id,
            "is_active": self.is_active,
            "roles": sorted(self.roles),
            "locked_until": self.locked_until,
            "session_epoch": self.session_epoch,
        }


class Device(UUIDPrimaryKey, Timestamps, Base):
    """A phone signed in to the field app: its bearer token (hashed) and its signing key.

    The token is 32 random bytes, so one SHA-256 suffices to store it (no slow hash needed: it
    cannot be guessed). The ECDSA P-256 public key (JWK) verifies the device's record signatures.
    """

    __tablename__ = "devices"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[dict] = mapped_column(JSON)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Sync v1 push: the last mutation sequence number applied for this device.
    last_mutation_seq: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def audit_state(self) -> dict:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "public_key": self.public_key,
            "revoked_at": self.revoked_at,
            "revoked_by_id": self.revoked_by_id,
        }
