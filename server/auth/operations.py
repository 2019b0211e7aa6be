"""Sign-in with lockout, and user / department writes. Operations flush; they never commit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.auth import passwords
from server.auth.models import Department, User
from server.auth.roles import ROLES
from server.orm import utcnow


def actor_for(user: User) -> Actor:
    return Actor(user.id, f"user:{user.username}")


@dataclasses.dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None  # "invalid", "locked", "inactive"
    locked_until: dt.datetime | None = None


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.username) == username.strip().lower())
    ).first()


def authenticate(
    session: Session, username: str, password: str, *, max_failures: int, lock_minutes: int
) -> LoginResult:
    """Check a password; the 5th failure in a row locks the account for 15 minutes.

    Every attempt is audited (success, failure, refused while locked); the audit details carry
    no password and no client data beyond the username tried.
    """
    user = find_user(session, username)
    now = utcnow()
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)  # equal timing
        audit.record(
            session,
            actor=audit.PUBLIC,
            action="auth.login_failed",
            object_type="user",
            details={"username": username[:64], "reason": "unknown_user"},
        )
        return LoginResult(None, "invalid")
    if user.locked_until and user.locked_until > now:
        audit.record(
            session,
            actor=actor_for(user),
            action="auth.login_refused_locked",
            object_type="user",
            object_id=user.id,
        )
        return LoginResult(None, "locked", user.locked_until)
    if not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        details = {"failures": user.failed_logins}
        if user.failed_logins >= max_failures:
            user.locked_until = now + dt.timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            details["locked_until"] = user.locked_until
        session.flush()
        audit.record(
            session,
            actor=actor_for(user),
            action="auth.locked" if "locked_until" in details else "auth.login_failed",
            object_type="user",
            object_id=user.id,
            state=user.audit_state(),
            details=details,
        )
        if "locked_until" in details:
            return LoginResult(None, "locked", user.locked_until)
        return LoginResult(None, "invalid")
    if not user.is_active:
        audit.record(
            session,
            actor=actor_for(user),
            action="auth.login_refused_inactive",
            object_type="user",
            object_id=user.id,
        )
        return LoginResult(None, "inactive")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    audit.record(
        session, actor=actor_for(user), action="auth.login", object_type="user", object_id=user.id
    )
    return LoginResult(user)


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    roles: set[str] | list[str],
    department_id: uuid.UUID | None = None,
    phone: str | None = None,
) -> User:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        department_id=department_id,
        phone=phone,
        password_changed_at=utcnow(),
    )
    user.set_roles(roles)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        state=user.audit_state(),
    )
    return user


def create_department(
    session: Session, *, actor: Actor, code: str, name: str, name_en: str | None = None
) -> Department:
    dept = Department(code=code, name=name, name_en=name_en)
    session.add(dept)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="department.create",
        object_type="department",
        object_id=dept.id,
        state=dept.audit_state(),
    )
    return dept
