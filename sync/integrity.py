"""Record integrity: the canonical hash of a record and the device's signature over that hash.

The field app (PWA) and the server must produce the very same bytes, so this docstring is the
contract both sides implement.

1. Canonical form. The record is a JSON object serialised with RFC 8785 (JSON Canonicalization
   Scheme): object keys sorted by their UTF-16 code units, no insignificant whitespace, numbers
   in ECMAScript shortest form (``1.0`` → ``1``, ``1e21`` → ``1e+21``), strings with minimal
   escaping (non-ASCII characters as themselves, never Unicode-normalised: "é" typed as one
   code point and as "e" + U+0301 are different records), UTF-8. The PWA uses the
   `canonicalize` package, the server the `rfc8785` library. Values JSON cannot carry exactly
   are refused rather than rounded: integers beyond ±(2**53 − 1), NaN and infinities
   (`InvalidRecord`).

2. Record hash. ``record_hash(record)`` = SHA-256 of the canonical bytes, written as 64 lowercase
   hexadecimal digits.

3. Device signature. Each phone holds an ECDSA P-256 key pair made with WebCrypto (the private key
   is non-extractable and stays in IndexedDB). For a record it calls::

       crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, privateKey, hashBytes)

   where ``hashBytes`` are the 32 raw bytes of the record hash — not its hex text. WebCrypto hashes
   its input itself, so the ECDSA digest is SHA-256(SHA-256(canonical bytes)); the server verifies
   with ``ECDSA(SHA256())`` over the same 32 bytes, never with a pre-hashed digest. WebCrypto
   returns IEEE P1363 ``r || s`` (each 32 bytes, big-endian: 64 bytes, not DER). It is sent as
   base64url without padding: exactly 86 characters of ``A–Z a–z 0–9 - _``. Both low-S and high-S
   signatures are valid (WebCrypto does not normalise S).

4. Public key. Registered once per device (``POST /api/v1/auth/device``) as a JWK:
   ``{"kty": "EC", "crv": "P-256", "x": …, "y": …}`` with ``x`` and ``y`` base64url without
   padding, 32 bytes each, a point on the curve. The members WebCrypto adds on export
   (``"ext": true``, ``"key_ops": ["verify"]``) and ``"alg": "ES256"``, ``"use": "sig"``,
   ``"kid"`` are accepted; anything else is refused, above all a private ``"d"``.

The PWA side, for reference::

    const bytes = new TextEncoder().encode(canonicalize(record));
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const recordHash = [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
    const sig = new Uint8Array(
      await crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, keys.privateKey, hash));
    const signature = base64url(sig);  // no "=" padding
    const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);  // sent once, at sign-in

Pure functions (standard library, `cryptography` and `rfc8785` only): no Flask, no database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from server.i18n import N_

# Order of the P-256 group: r and s of a signature lie in [1, n − 1].
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
COORDINATE_BYTES = 32
SIGNATURE_BYTES = 2 * COORDINATE_BYTES

_HASH_HEX = re.compile(r"\A[0-9a-f]{64}\Z")
_BASE64URL = re.compile(r"\A[A-Za-z0-9_-]*\Z")
# Members a WebCrypto export or a hand-written public JWK may carry; "d" (private) is not one.
_JWK_MEMBERS = frozenset({"kty", "crv", "x", "y", "ext", "key_ops", "alg", "use", "kid"})
_MAX_KID = 200


class IntegrityError(ValueError):
    """Input that cannot be hashed or is not a usable key; `message` is a Chinese msgid."""

    def __init__(self, message: str, member: str | None = None):
        super().__init__(message)
        self.message = message
        self.member = member


class InvalidRecord(IntegrityError):
    """A record that has no RFC 8785 canonical form (not an object, NaN, huge integers, …)."""


class InvalidPublicKey(IntegrityError):
    """Not an ECDSA P-256 public JWK; `member` names the offending JWK member, if one."""


# ---------------------------------------------------------------------------- the record hash


def canonical_bytes(record: dict) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a record (a JSON object)."""
    if not isinstance(record, dict):
        raise InvalidRecord(N_("记录应为 JSON 对象"))
    try:
        return rfc8785.dumps(record)
    except rfc8785.IntegerDomainError:
        raise InvalidRecord(N_("记录中的整数超出 JSON 可精确表示的范围（±2^53−1）")) from None
    except rfc8785.FloatDomainError:
        raise InvalidRecord(N_("记录中含有无法表示的数值（NaN 或无穷大）")) from None
    except rfc8785.CanonicalizationError:
        raise InvalidRecord(N_("记录中含有 JSON 不支持的值或非文本的键")) from None


def record_hash(record: dict) -> str:
    """Lowercase hex SHA-256 of the record's RFC 8785 canonical bytes: what the phone signs."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


# ---------------------------------------------------------------------------- keys


def _b64url_decode(text: Any, size: int) -> bytes | None:
    """Exactly `size` bytes from unpadded, canonical base64url; None for anything else.

    Canonical means the unused low bits of the last character are zero, so one value has one
    spelling (no two strings name the same key or signature).
    """
    if not isinstance(text, str) or len(text) != (4 * size + 2) // 3:
        return None
    if not _BASE64URL.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != size or _b64url_encode(raw) != text:
        return None
    return raw


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _check_optional_members(jwk: Mapping) -> None:
    if "alg" in jwk and jwk["alg"] != "ES256":
        raise InvalidPublicKey(N_("算法（alg）应为 ES256"), "alg")
    if "use" in jwk and jwk["use"] != "sig":
        raise InvalidPublicKey(N_("用途（use）应为 sig（签名）"), "use")
    if "key_ops" in jwk:
        ops = jwk["key_ops"]
        if not isinstance(ops, list) or not all(isinstance(op, str) for op in ops):
            raise InvalidPublicKey(N_("key_ops 应为文本列表"), "key_ops")
        if not set(ops) <= {"verify"}:
            raise InvalidPublicKey(N_("公钥只能用于验证签名（key_ops 只能含 verify）"), "key_ops")
    if "ext" in jwk and not isinstance(jwk["ext"], bool):
        raise InvalidPublicKey(N_("ext 应为 true 或 false"), "ext")
    if "kid" in jwk and (not isinstance(jwk["kid"], str) or len(jwk["kid"]) > _MAX_KID):
        raise InvalidPublicKey(N_("kid 应为不超过 200 个字符的文本"), "kid")


def public_key_from_jwk(jwk: Any) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of a JWK; `InvalidPublicKey` (a ValueError) for anything else."""
    if not isinstance(jwk, Mapping):
        raise InvalidPublicKey(N_("公钥应为 JWK 对象"))
    if "d" in jwk:
        # The private key must never leave the phone; refusing it also tells the app's developer.
        raise InvalidPublicKey(N_("提交的是私钥（含 d 成员），只能登记公钥"), "d")
    unknown = sorted(str(k) for k in jwk if k not in _JWK_MEMBERS)
    if unknown:
        raise InvalidPublicKey(N_("公钥含有不支持的成员"), unknown[0])
    if jwk.get("kty") != "EC":
        raise InvalidPublicKey(N_("密钥类型（kty）应为 EC"), "kty")
    if jwk.get("crv") != "P-256":
        raise InvalidPublicKey(N_("曲线（crv）应为 P-256"), "crv")
    _check_optional_members(jwk)
    coordinates = []
    for member in ("x", "y"):
        raw = _b64url_decode(jwk.get(member), COORDINATE_BYTES)
        if raw is None:
            raise InvalidPublicKey(N_("坐标应为 32 字节的 base64url 文本（不带填充）"), member)
        coordinates.append(int.from_bytes(raw, "big"))
    try:
        return ec.EllipticCurvePublicNumbers(*coordinates, ec.SECP256R1()).public_key()
    except ValueError:
        raise InvalidPublicKey(N_("该坐标不是 P-256 曲线上的点"), "x") from None


def normalise_public_jwk(jwk: Any) -> dict:
    """The JWK to store for a device: validated, with only its four defining members."""
    public_key_from_jwk(jwk)
    return {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}


# ---------------------------------------------------------------------------- signatures


def _p1363_to_der(raw: bytes) -> bytes | None:
    """WebCrypto's r || s as the DER the `cryptography` library verifies; None if out of range."""
    r = int.from_bytes(raw[:COORDINATE_BYTES], "big")
    s = int.from_bytes(raw[COORDINATE_BYTES:], "big")
    if not (0 < r < P256_ORDER and 0 < s < P256_ORDER):
        return None
    return encode_dss_signature(r, s)


def verify_signature(public_jwk: Any, record_hash_hex: Any, signature_b64url: Any) -> bool:
    """True only if the signature is the device's ECDSA signature of the record hash.

    Any malformed input (a bad key, a hash that is not 64 lowercase hex digits, a signature that
    is not 86 base64url characters of P1363 — DER included) gives False, never an exception: the
    caller rejects the mutation and the queue moves on.
    """
    if not isinstance(record_hash_hex, str) or not _HASH_HEX.fullmatch(record_hash_hex):
        return False
    raw = _b64url_decode(signature_b64url, SIGNATURE_BYTES)
    if raw is None:
        return False
    der = _p1363_to_der(raw)
    if der is None:
        return False
    try:
        key = public_key_from_jwk(public_jwk)
        key.verify(der, bytes.fromhex(record_hash_hex), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
