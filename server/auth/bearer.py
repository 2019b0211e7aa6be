"""Bearer-token authentication of the field app's devices (sync v1 "Identity").

Every field-app call carries `Authorization: Bearer <token>`; the token names one device of one
user. Console sessions never authenticate these endpoints and tokens never open the console.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from flask import abort, g, request
from sqlalchemy import select

from server.audit.operations import Actor
from server.auth.models import Device, User
from server.extensions import db
from server.orm import utcnow

TOKEN_BYTES = 32
# last_seen_at is written at most this often per device (a pull every few seconds must not
# turn every read into a write).
SEEN_RESOLUTION_SECONDS = 60


def new_token() -> tuple[str, str]:
    """A fresh token (shown once, to the device) and the hash stored for it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class DeviceIdentity:
    """Who is calling: ids and the name for the audit trail; the ORM rows on first use."""

    device_id: uuid.UUID
    user_id: uuid.UUID
    username: str

    @property
    def device(self) -> Device:
        return db.session.get(Device, self.device_id)

    @property
    def user(self) -> User:
        return db.session.get(User, self.user_id)

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, f"user:{self.username}@device:{str(self.device_id)[:8]}")


def authenticate(authorization: str | None) -> DeviceIdentity | None:
    """The active device and user a bearer header names; None if absent, unknown or revoked."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer ") :].strip()
    if not token or len(token) > 200:
        return None
    # Columns, not ORM rows: every call of the field app comes here (an upload's every PATCH),
    # and most need only the ids. The rows load on first use (DeviceIdentity.device/.user).
    found = db.session.execute(
        select(Device.id, Device.last_seen_at, User.id, User.username)
        .join(User, User.id == Device.user_id)
        .where(
            Device.token_hash == token_hash(token),
            Device.revoked_at.is_(None),
            User.is_active.is_(True),
        )
    ).first()
    if found is None:
        return None
    device_id, last_seen_at, user_id, username = found
    now = utcnow()
    if last_seen_at is None or (now - last_seen_at).total_seconds() > SEEN_RESOLUTION_SECONDS:
        # Once a minute at most: through the row, so the write happens with the request's own
        # at its commit (an UPDATE here would hold SQLite's write lock for the whole request).
        db.session.get(Device, device_id).last_seen_at = now
    return DeviceIdentity(device_id, user_id, username)


def device_required(view):
    """Allow only a request with a valid device token; `g.identity` is its DeviceIdentity.

    401 (JSON, Chinese message) otherwise: the app signs in again and keeps its local data.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        identity = authenticate(request.headers.get("Authorization"))
        if identity is None:
            abort(401, description="设备未登录或登录已失效，请重新登录（本机数据会保留）")
        g.identity = identity
        return view(*args, **kwargs)

    return wrapped


def current_identity() -> DeviceIdentity:
    return g.identity
