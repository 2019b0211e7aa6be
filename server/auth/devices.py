"""Devices of the field app: sign-in with a password (sync v1 "Identity"), listing, revocation.

Operations flush; they never commit. Each write appends one audit event in the same transaction.
The bearer token is returned once to the caller and only its hash is stored; neither the token
nor the password ever reaches the audit log.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.auth import bearer
from server.auth import operations as auth_operations
from server.auth.models import Device, User
from server.auth.operations import Refused
from server.auth.roles import INSPECTOR
from server.directory.models import Inspector
from server.orm import utcnow
from sync.integrity import normalise_public_jwk

# Why a device sign-in was refused; the API maps each to its status and message.
INVALID = "invalid"  # unknown user or wrong password (one generic answer: no user enumeration)
LOCKED = "locked"
INACTIVE = "inactive"
NOT_INSPECTOR = "not_inspector"


class SignInRefused(Refused):
    """The password check or the role refused a device; `reason` is one of the codes above."""

    def __init__(self, message, reason: str, locked_until: dt.datetime | None = None):
        super().__init__(message)
        self.reason = reason
        self.locked_until = locked_until


def _event(session: Session, actor: Actor, action: str, device: Device, **details) -> None:
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="device",
        object_id=device.id,
        state=device.audit_state(),
        details=details or None,
    )


def register_device(
    session: Session,
    *,
    username: str,
    password: str,
    device_name: str,
    public_key: dict,
    max_failures: int,
    lock_minutes: int,
) -> tuple[Device, str]:
    """Sign a phone in: check the password like the console does, then register the device.

    Returns the device and its bearer token (the only time the token exists in clear). A wrong
    password counts towards the same lockout as the console's sign-in; the caller must keep
    (commit) that count and its audit events even though it answers with an error.
    `public_key` must be an ECDSA P-256 public JWK (sync.integrity); only its defining members
    are stored.
    """
    jwk = normalise_public_jwk(public_key)  # raises InvalidPublicKey before any password check
    result = auth_operations.authenticate(
        session, username, password, max_failures=max_failures, lock_minutes=lock_minutes
    )
    if result.user is None:
        messages = {
            INVALID: _l("用户名或密码错误"),
            LOCKED: _l("错误次数过多，账号已锁定，请稍后再试或联系系统管理员解锁"),
            INACTIVE: _l("该账号已停用，请联系系统管理员"),
        }
        raise SignInRefused(messages[result.error], result.error, result.locked_until)
    user = result.user
    if not user.has_role(INSPECTOR):
        audit.record(
            session,
            actor=auth_operations.actor_for(user),
            action="device.register_refused",
            object_type="user",
            object_id=user.id,
            details={"reason": NOT_INSPECTOR, "device_name": device_name},
        )
        raise SignInRefused(_l("外勤应用仅供执法检查人员使用"), NOT_INSPECTOR)
    token, token_hash = bearer.new_token()
    device = Device(user_id=user.id, name=device_name, public_key=jwk, token_hash=token_hash)
    session.add(device)
    _event(session, auth_operations.actor_for(user), "device.register", device, name=device_name)
    return device, token


def revoke_device(session: Session, *, actor: Actor, device: Device, by: str) -> None:
    """Sign a device out for good: its token stops working with the next request.

    `by` says who asked ("self" from the phone, "owner" from "my account", "admin"); who may
    revoke which device is the caller's check (see the views).
    """
    if device.revoked_at is not None:
        raise Refused(_l("该设备已退出登录"))
    device.revoked_at = utcnow()
    device.revoked_by_id = actor.id
    _event(session, actor, "device.revoke", device, name=device.name, by=by)


def revoke_all(session: Session, *, actor: Actor, user: User, by: str) -> int:
    """Revoke every active device of a user (a forced sign-out); returns how many."""
    count = 0
    for device in session.scalars(
        select(Device).where(Device.user_id == user.id, Device.revoked_at.is_(None))
    ):
        revoke_device(session, actor=actor, device=device, by=by)
        count += 1
    return count


def list_devices(session: Session, user_id: uuid.UUID) -> list[Device]:
    """A user's devices: active ones first, then the newest."""
    return list(
        session.scalars(
            select(Device)
            .where(Device.user_id == user_id)
            .order_by(
                case((Device.revoked_at.is_(None), 0), else_=1),
                Device.created_at.desc(),
            )
        )
    )


def profile(session: Session, user: User) -> dict:
    """What the app needs to know about its user, with the linked inspector record if any."""
    inspector = session.scalars(select(Inspector).where(Inspector.user_id == user.id)).first()
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "department": user.department,
        "inspector": inspector,
    }


def device_of(session: Session, device_id, user_id: uuid.UUID) -> Device | None:
    """The device if it belongs to that user; None otherwise, or for a malformed id (→ 404)."""
    try:
        device_id = device_id if isinstance(device_id, uuid.UUID) else uuid.UUID(str(device_id))
    except ValueError:
        return None
    device = session.get(Device, device_id)
    if device is None or device.user_id != user_id:
        return None
    return device
