"""Bearer-token authentication of the field app's devices (sync v1 "Identity").

Every field-app call carries `Authorization: Bearer <token>`; the token names one device of one
user. Console sessions never authenticate these endpoints and tokens never open the console.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
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
    device: Device
    user: User

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, f"user:{self.user.username}@device:{str(self.device.id)[:8]}")


def authenticate(authorization: str | None) -> DeviceIdentity | None:
    """The active device and user a bearer header names; None if absent, unknown or revoked."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer ") :].strip()
    if not token or len(token) > 200:
        return None
    device = db.session.scalars(
        select(Device).where(Device.token_hash == token_hash(token))
    ).first()
    if device is None or device.revoked_at is not None or not device.user.is_active:
        return None
    now = utcnow()
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > (
        SEEN_RESOLUTION_SECONDS
    ):
        device.last_seen_at = now
    return DeviceIdentity(device, device.user)


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
