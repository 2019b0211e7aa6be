"""Signed QR tokens of the e-credential (电子执法证): who, for which visit, until when.

The phone is often offline when it shows the QR code, so the token is made by the server in
advance and sent in the sync pull (server/syncapi/pull.py): one per visit (expires the day after
the visit's window ends) and one plain credential token (expires with the credential). Anyone
scanning the code opens `/c/<token>`, which checks the *current* facts in the database; the
token itself only says what to check and until when it may be asked.

Format (kept short, it is drawn as a QR code): base64url without padding of

    kind (1 byte: 1 credential, 2 visit) | inspector id (16) | [visit id (16)] |
    expiry (2 bytes: days since 1970-01-01, big-endian) | HMAC-SHA256 tag, first 12 bytes

— 42 characters for a credential token, 63 for a visit token. The key is derived from the app's
SECRET_KEY with a purpose label, so it is useless for anything else (sessions, CSRF). A 96-bit
tag is far beyond what online guessing can reach. Tokens are deterministic: the same visit gives
the same URL on every pull, so a phone's stored code does not churn.

No Flask here: the pull (which runs without a request) and the views both use `TokenSigner`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import uuid

KIND_CREDENTIAL, KIND_VISIT = 1, 2
TAG_BYTES = 12
_PURPOSE = b"spotcheck credential-qr v1"
_EPOCH = dt.date(1970, 1, 1)
_MAX_DAYS = 0xFFFF
_TOKEN = re.compile(r"[A-Za-z0-9_-]{40,70}")


class BadToken(Exception):
    """Not a token this server made: malformed, altered or signed with another key."""


class ExpiredToken(Exception):
    """A genuine token past its expiry date; `claim` says whose it was."""

    def __init__(self, claim: Claim) -> None:
        super().__init__("expired")
        self.claim = claim


@dataclasses.dataclass(frozen=True)
class Claim:
    inspector_id: uuid.UUID
    visit_id: uuid.UUID | None
    expires_on: dt.date  # the last day (Asia/Shanghai) the token may be checked

    @property
    def kind(self) -> str:
        return "visit" if self.visit_id else "credential"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class TokenSigner:
    """Makes and checks tokens with a key derived from `secret_key` (build once, share)."""

    def __init__(self, secret_key: str | bytes) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self._key = hmac.digest(secret, _PURPOSE, "sha256")

    def _tag(self, payload: bytes) -> bytes:
        return hmac.digest(self._key, payload, "sha256")[:TAG_BYTES]

    def sign(self, inspector_id: uuid.UUID, expires_on: dt.date, visit_id=None) -> str:
        """The token for the inspector's credential, or for one visit when `visit_id` is given."""
        days = min(max((expires_on - _EPOCH).days, 0), _MAX_DAYS)
        kind = KIND_VISIT if visit_id is not None else KIND_CREDENTIAL
        payload = bytes((kind,)) + inspector_id.bytes
        if visit_id is not None:
            payload += visit_id.bytes
        payload += days.to_bytes(2, "big")
        return _b64(payload + self._tag(payload))

    def claim(self, token: str) -> Claim:
        """What a genuine token says, expired or not; BadToken otherwise."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise BadToken("malformed")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError as error:
            raise BadToken("malformed") from error
        if _b64(raw) != token:  # unused trailing bits set: one token, one spelling
            raise BadToken("malformed")
        payload, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(payload)):
            raise BadToken("signature")
        kind = payload[0] if payload else None
        if (kind, len(payload)) not in ((KIND_CREDENTIAL, 19), (KIND_VISIT, 35)):
            raise BadToken("layout")  # signed by us, but not a layout we know
        inspector_id = uuid.UUID(bytes=payload[1:17])
        visit_id = uuid.UUID(bytes=payload[17:33]) if kind == KIND_VISIT else None
        expires_on = _EPOCH + dt.timedelta(days=int.from_bytes(payload[-2:], "big"))
        return Claim(inspector_id, visit_id, expires_on)

    def verify(self, token: str, today: dt.date) -> Claim:
        """The claim of a genuine token still valid `today`; BadToken or ExpiredToken otherwise."""
        claim = self.claim(token)
        if today > claim.expires_on:
            raise ExpiredToken(claim)
        return claim


def visit_expiry(window_end: dt.date) -> dt.date:
    """A visit token may be checked until the day after the window (a visit running late)."""
    return window_end + dt.timedelta(days=1)


def ip_digest(secret_key: str | bytes, address: str | None) -> str | None:
    """A keyed digest of an IP address: scans from one address can be grouped, the address
    itself cannot be recovered (a plain SHA-256 of 2³² IPv4 addresses is reversed in minutes)."""
    if not address:
        return None
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = hmac.digest(secret, b"spotcheck scan-ip v1", "sha256")
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


@dataclasses.dataclass(frozen=True)
class CredentialLinks:
    """What the pull adds to visit and credential rows: QR URLs and the bureau's contact.

    `base_url` is PUBLIC_BASE_URL or the request's own root (the pull has no request).
    """

    signer: TokenSigner
    base_url: str
    bureau: dict

    def url(self, token: str) -> str:
        return f"{self.base_url}/c/{token}"

    def visit_url(self, inspector_id, visit_id, window_end: dt.date) -> str:
        return self.url(self.signer.sign(inspector_id, visit_expiry(window_end), visit_id))

    def credential_url(self, inspector_id, valid_until: dt.date) -> str:
        return self.url(self.signer.sign(inspector_id, valid_until))
