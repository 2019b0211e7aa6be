"""Sign-in with lockout, and user / department writes. Operations flush; they never commit.

Each write appends exactly one audit event in the same transaction. Rules that need the
database (unique names, existing departments, an admin protecting their own account) are
checked here and refused with `Refused`, whose message is shown to the person.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.auth import passwords
from server.auth.models import Department, User
from server.auth.roles import ADMIN, ROLES
from server.auth.schemas import USERNAME_PATTERN
from server.orm import utcnow


class Refused(ValueError):
    """A write the rules do not allow; `field` names the form field it belongs to, if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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
        passwords.verify_dummy(password)  # equal timing
        # People type their password into the username box; only a name that could be a
        # username is kept, so a password never lands in the (permanent) audit log.
        tried = username.strip()
        details = {"reason": "unknown_user"}
        if USERNAME_PATTERN.fullmatch(tried):
            details["username"] = tried
        audit.record(
            session,
            actor=audit.PUBLIC,
            action="auth.login_failed",
            object_type="user",
            details=details,
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


def record_logout(session: Session, user: User) -> None:
    """Audit a sign-out and end the user's console sessions: a copied cookie is void too.

    (Console sessions are signed cookies; the epoch in them is the only server-side handle, so a
    sign-out ends the user's other browsers' sessions as well — "sign out everywhere".)
    """
    user.session_epoch += 1
    audit.record(
        session, actor=actor_for(user), action="auth.logout", object_type="user", object_id=user.id
    )


# --- users -------------------------------------------------------------------------------


def _check_roles(roles) -> set[str]:
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise Refused(_l("未知的角色：%(roles)s", roles="、".join(sorted(unknown))), "roles")
    return wanted


def _check_department(
    session: Session, department_id: uuid.UUID | None, *, keep: uuid.UUID | None = None
) -> None:
    """The department must exist and be active (a user may stay in their current one)."""
    if department_id is None:
        return
    dept = session.get(Department, department_id)
    if dept is None:
        raise Refused(_l("科室不存在"), "department_id")
    if not dept.is_active and department_id != keep:
        raise Refused(_l("科室“%(name)s”已停用，不能再分配用户", name=dept.name), "department_id")


def _write_user_event(session: Session, actor: Actor, action: str, user: User, **details) -> None:
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="user",
        object_id=user.id,
        state=user.audit_state(),
        details=details or None,
    )


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
    """Create an account; the username is unique regardless of letter case."""
    wanted = _check_roles(roles)
    if find_user(session, username) is not None:
        raise Refused(_l("用户名“%(name)s”已被使用", name=username), "username")
    _check_department(session, department_id)
    user = User(
        username=username,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        department_id=department_id,
        phone=phone,
        password_changed_at=utcnow(),
    )
    user.set_roles(wanted)
    session.add(user)
    _write_user_event(session, actor, "user.create", user)
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    user: User,
    display_name: str,
    department_id: uuid.UUID | None,
    roles: set[str] | list[str],
    phone: str | None,
    is_active: bool,
) -> list[str]:
    """Edit an account; returns the changed fields (no event when nothing changed).

    One save is one event, named after its most consequential change: deactivation or
    reactivation first, then a change of roles (privileges), else a plain update. The
    details list every changed field, so nothing hides behind the name.
    """
    wanted = _check_roles(roles)
    if actor.id == user.id:
        if ADMIN in user.roles and ADMIN not in wanted:
            raise Refused(_l("不能取消自己的系统管理员角色，请由其他管理员操作"), "roles")
        if not is_active:
            raise Refused(_l("不能停用自己的账号"), "is_active")
    _check_department(session, department_id, keep=user.department_id)
    changed = []
    if display_name != user.display_name:
        user.display_name = display_name
        changed.append("display_name")
    if department_id != user.department_id:
        user.department_id = department_id
        changed.append("department_id")
    if (phone or None) != user.phone:
        user.phone = phone or None
        changed.append("phone")
    if wanted != set(user.roles):
        user.set_roles(wanted)
        changed.append("roles")
    if is_active != user.is_active:
        user.is_active = is_active
        changed.append("is_active")
    if not changed:
        return changed
    if "is_active" in changed:
        action = "user.reactivate" if is_active else "user.deactivate"
    elif "roles" in changed:
        action = "user.roles"
    else:
        action = "user.update"
    if "is_active" in changed:
        # Roles are read on every request; activity also ends (or clears) old sessions.
        user.session_epoch += 1
    _write_user_event(session, actor, action, user, fields=changed)
    return changed


def reset_password(session: Session, *, actor: Actor, user: User, password: str) -> None:
    """An admin sets a new password; every session of the user ends."""
    if actor.id == user.id:
        raise Refused(_l("请在“我的账号”中修改自己的密码"), "password")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1
    _write_user_event(session, actor, "user.password_reset", user)


def change_own_password(
    session: Session, *, user: User, current_password: str, new_password: str
) -> None:
    """A user changes their own password; their other sessions end (the view re-signs this one)."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise Refused(_l("当前密码不正确"), "current_password")
    if current_password == new_password:
        raise Refused(_l("新密码不能与当前密码相同"), "new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1
    _write_user_event(session, actor_for(user), "user.password_change", user)


def unlock_user(session: Session, *, actor: Actor, user: User) -> None:
    """Lift a login lock and forget the failed attempts."""
    user.locked_until = None
    user.failed_logins = 0
    _write_user_event(session, actor, "user.unlock", user)


def set_user_active(session: Session, *, actor: Actor, user: User, active: bool) -> None:
    """Deactivate (signs the user out everywhere) or reactivate an account."""
    if not active and actor.id == user.id:
        raise Refused(_l("不能停用自己的账号"))
    if user.is_active == active:
        raise Refused(_l("该账号已是启用状态") if active else _l("该账号已是停用状态"))
    user.is_active = active
    user.session_epoch += 1
    _write_user_event(session, actor, "user.reactivate" if active else "user.deactivate", user)


def force_logout(session: Session, *, actor: Actor, user: User) -> None:
    """End every session of the user (a lost phone, a shared computer)."""
    user.session_epoch += 1
    _write_user_event(session, actor, "user.force_logout", user)


# --- departments -------------------------------------------------------------------------


def _check_department_unique(
    session: Session, code: str, name: str, *, exclude: uuid.UUID | None = None
) -> None:
    for column, value, field, message in (
        (Department.code, code, "code", _l("科室代码“%(v)s”已存在", v=code)),
        (Department.name, name, "name", _l("科室名称“%(v)s”已存在", v=name)),
    ):
        stmt = select(Department.id).where(func.lower(column) == value.lower())
        if exclude is not None:
            stmt = stmt.where(Department.id != exclude)
        if session.scalar(stmt) is not None:
            raise Refused(message, field)


def _write_department_event(session: Session, actor: Actor, action: str, dept: Department, **d):
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="department",
        object_id=dept.id,
        state=dept.audit_state(),
        details=d or None,
    )


def create_department(
    session: Session, *, actor: Actor, code: str, name: str, name_en: str | None = None
) -> Department:
    """Create a department; code and name are unique regardless of letter case."""
    _check_department_unique(session, code, name)
    dept = Department(code=code, name=name, name_en=name_en)
    session.add(dept)
    _write_department_event(session, actor, "department.create", dept)
    return dept


def update_department(
    session: Session,
    *,
    actor: Actor,
    department: Department,
    code: str,
    name: str,
    name_en: str | None,
) -> list[str]:
    """Rename / recode a department; returns the changed fields (no event when none)."""
    _check_department_unique(session, code, name, exclude=department.id)
    changed = [
        field
        for field, value in (("code", code), ("name", name), ("name_en", name_en or None))
        if getattr(department, field) != value
    ]
    for field in changed:
        setattr(department, field, {"code": code, "name": name, "name_en": name_en or None}[field])
    if changed:
        _write_department_event(session, actor, "department.update", department, fields=changed)
    return changed


def set_department_active(
    session: Session, *, actor: Actor, department: Department, active: bool
) -> None:
    """Deactivate a department (kept for history; no new users) or bring it back."""
    if department.is_active == active:
        raise Refused(_l("该科室已是启用状态") if active else _l("该科室已是停用状态"))
    department.is_active = active
    action = "department.reactivate" if active else "department.deactivate"
    _write_department_event(session, actor, action, department)
