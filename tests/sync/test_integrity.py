"""The record hash and device signature contract of sync/integrity.py.

Signatures are made here the way WebCrypto makes them: ECDSA P-256 with SHA-256 over the 32 raw
bytes of the record hash, returned as IEEE P1363 r || s and sent as unpadded base64url. The
`cryptography` library signs in DER, so the helper converts — independently of the module under
test.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from sync.integrity import (
    P256_ORDER,
    InvalidPublicKey,
    InvalidRecord,
    canonical_bytes,
    normalise_public_jwk,
    public_key_from_jwk,
    record_hash,
    verify_signature,
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private_key: ec.EllipticCurvePrivateKey, **extra) -> dict:
    """The JWK WebCrypto exports for the public half of a key."""
    numbers = private_key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "ext": True,
        "key_ops": ["verify"],
    }
    jwk.update(extra)
    return jwk


def der_signature(private_key, hash_hex: str) -> bytes:
    # WebCrypto hashes its input (the 32 hash bytes) with SHA-256 before signing; so does this.
    return private_key.sign(bytes.fromhex(hash_hex), ec.ECDSA(hashes.SHA256()))


def webcrypto_sign(private_key, hash_hex: str) -> str:
    r, s = decode_dss_signature(der_signature(private_key, hash_hex))
    return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


RECORD = {
    "record_id": "0b7e3c1e-6a51-4a59-9d55-5c7f3a0f4e21",
    "visit_id": "6f1d0c57-0b0e-4a8e-8d1b-2f3a9c1e7d44",
    "answers": [{"item": "q1", "value": "符合"}, {"item": "q2", "value": 3.5}],
    "notes": "现场检查：预付卡备案齐全 ✓",
    "signed_at": "2026-03-05T10:15:00+08:00",
    "gps": {"lat": 39.79, "lon": 116.5, "accuracy": 12},
}


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


# ---------------------------------------------------------------------------- the hash


def test_record_hash_is_lowercase_hex_sha256_of_the_rfc8785_bytes():
    expected = hashlib.sha256(
        b'{"a":1,"b":[true,false,null],"c":"\xe4\xb8\xad"}'  # "中" as raw UTF-8, no \u escape
    ).hexdigest()
    assert record_hash({"c": "中", "b": [True, False, None], "a": 1}) == expected
    assert record_hash(RECORD) == record_hash(dict(reversed(list(RECORD.items()))))
    assert len(record_hash(RECORD)) == 64 and record_hash(RECORD) == record_hash(RECORD).lower()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"b": 1, "a": {"y": 2, "x": 1}}, {"a": {"x": 1, "y": 2}, "b": 1}),  # key order, nested
        ({"n": 1.0}, {"n": 1}),  # ECMAScript number form: 1.0 is 1
        ({"n": 1e21}, {"n": 1000000000000000000000.0}),
        ({"n": 0.1 + 0.2}, {"n": 0.30000000000000004}),
        ({"n": -0.0}, {"n": 0}),
        (json.loads('{"s": "\\u00e9\\ud83d\\ude00"}'), json.loads('{"s": "é😀"}')),  # escapes
        (json.loads('{"s": "\\/"}'), {"s": "/"}),
        ({"\u20ac": 1, "\U0001f600": 2, "a": 3}, {"a": 3, "\U0001f600": 2, "\u20ac": 1}),
    ],
)
def test_equal_records_have_equal_hashes(left, right):
    assert record_hash(left) == record_hash(right)


def test_canonical_form_examples():
    # Keys sort by UTF-16 code units: "a" (0061) < "€" (20AC) < "😀" (surrogates D83D DE00).
    assert canonical_bytes({"\U0001f600": 2, "\u20ac": 1, "a": 3}) == (
        '{"a":3,"€":1,"😀":2}'.encode()
    )
    assert canonical_bytes({"n": 1e21, "m": 1e-7, "k": 100.0}) == b'{"k":100,"m":1e-7,"n":1e+21}'
    assert canonical_bytes({"s": 'q"\\\n\u0001'}) == b'{"s":"q\\"\\\\\\n\\u0001"}'


def test_different_records_have_different_hashes():
    changed = {**RECORD, "notes": RECORD["notes"] + " "}
    assert record_hash(changed) != record_hash(RECORD)
    assert record_hash({"n": 1}) != record_hash({"n": "1"})
    # No Unicode normalisation: the phone hashes the code points it holds.
    assert record_hash({"s": "\u00e9"}) != record_hash({"s": "e\u0301"})


@pytest.mark.parametrize(
    "record",
    [
        {"n": float("nan")},
        {"n": float("inf")},
        {"n": 2**53},  # beyond what a phone's JSON numbers hold exactly
        {"d": b"bytes"},
        {1: "non-text key"},
        ["not", "an", "object"],
    ],
)
def test_records_without_a_canonical_form_are_refused(record):
    with pytest.raises(InvalidRecord) as refused:
        record_hash(record)
    assert isinstance(refused.value, ValueError)
    assert refused.value.message  # a Chinese explanation


# ---------------------------------------------------------------------------- signatures


def test_a_webcrypto_style_signature_verifies(key):
    digest = record_hash(RECORD)
    signature = webcrypto_sign(key, digest)
    assert len(signature) == 86 and "=" not in signature
    assert verify_signature(public_jwk(key), digest, signature) is True
    # The stored (normalised) JWK verifies as well as the exported one.
    assert verify_signature(normalise_public_jwk(public_jwk(key)), digest, signature) is True


def test_a_high_s_signature_verifies_too(key):
    """WebCrypto does not normalise S; (r, n − s) is the same signature's twin."""
    digest = record_hash(RECORD)
    r, s = decode_dss_signature(der_signature(key, digest))
    twin = b64url(r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big"))
    assert verify_signature(public_jwk(key), digest, twin) is True


def test_altered_record_hash_or_key_fails(key):
    digest = record_hash(RECORD)
    signature = webcrypto_sign(key, digest)
    altered = record_hash({**RECORD, "answers": [{"item": "q1", "value": "不符合"}]})
    assert verify_signature(public_jwk(key), altered, signature) is False
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert verify_signature(public_jwk(key), flipped, signature) is False
    other = ec.generate_private_key(ec.SECP256R1())
    assert verify_signature(public_jwk(other), digest, signature) is False


def test_signing_the_hex_text_instead_of_the_raw_bytes_fails(key):
    digest = record_hash(RECORD)
    der = key.sign(digest.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    wrong = b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    assert verify_signature(public_jwk(key), digest, wrong) is False


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda sig, der: sig[:-2], id="truncated"),
        pytest.param(lambda sig, der: sig + "AA", id="too-long"),
        pytest.param(lambda sig, der: b64url(der), id="der-not-p1363"),
        pytest.param(lambda sig, der: sig + "==", id="padded"),
        # Plain base64's alphabet ("+", "/"); a signature without "-" or "_" gets a "+" put in.
        pytest.param(
            lambda sig, der: (
                sig.replace("-", "+").replace("_", "/") if set("-_") & set(sig) else "+" + sig[1:]
            ),
            id="plain-base64",
        ),
        pytest.param(lambda sig, der: sig[:-1] + "B", id="non-canonical-last-char"),
        pytest.param(lambda sig, der: "A" * 86, id="zero-r-and-s"),
        pytest.param(lambda sig, der: "_" * 86, id="r-and-s-above-the-order"),
        pytest.param(lambda sig, der: "", id="empty"),
        pytest.param(lambda sig, der: "not a signature at all!", id="garbage"),
        pytest.param(lambda sig, der: None, id="none"),
        pytest.param(lambda sig, der: 12345, id="number"),
        pytest.param(lambda sig, der: bytes.fromhex("00" * 64), id="bytes"),
    ],
)
def test_malformed_signatures_fail_without_raising(key, mangle):
    digest = record_hash(RECORD)
    signature = webcrypto_sign(key, digest)
    mangled = mangle(signature, der_signature(key, digest))
    assert mangled != signature
    assert verify_signature(public_jwk(key), digest, mangled) is False


@pytest.mark.parametrize(
    "bad_hash",
    ["", "zz" * 32, "AB" * 32, "ab" * 31, "ab" * 33, None, 42, b"\x00" * 32],
)
def test_malformed_hashes_fail_without_raising(key, bad_hash):
    signature = webcrypto_sign(key, record_hash(RECORD))
    assert verify_signature(public_jwk(key), bad_hash, signature) is False


@pytest.mark.parametrize("bad_key", [None, "jwk", [], {}, {"kty": "EC"}, {"kty": "RSA", "n": "x"}])
def test_a_malformed_key_fails_without_raising(key, bad_key):
    digest = record_hash(RECORD)
    assert verify_signature(bad_key, digest, webcrypto_sign(key, digest)) is False


# ---------------------------------------------------------------------------- JWK validation


def test_a_webcrypto_public_jwk_is_accepted(key):
    loaded = public_key_from_jwk(public_jwk(key, alg="ES256", use="sig", kid="phone-1"))
    assert loaded.public_numbers() == key.public_key().public_numbers()
    assert normalise_public_jwk(public_jwk(key)) == {
        k: public_jwk(key)[k] for k in ("kty", "crv", "x", "y")
    }


def _off_curve(key) -> dict:
    jwk = public_jwk(key)
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "="), "big")
    jwk["y"] = b64url(((y + 1) % 2**256).to_bytes(32, "big"))
    return jwk


@pytest.mark.parametrize(
    ("change", "member"),
    [
        (lambda j, k: {**j, "d": b64url(b"\x01" * 32)}, "d"),
        (lambda j, k: {**j, "kty": "RSA"}, "kty"),
        (lambda j, k: {key: v for key, v in j.items() if key != "kty"}, "kty"),
        (lambda j, k: {**j, "crv": "P-384"}, "crv"),
        (lambda j, k: {**j, "crv": "secp256k1"}, "crv"),
        (lambda j, k: {**j, "x": j["x"][:-1]}, "x"),
        (lambda j, k: {**j, "y": j["y"] + "="}, "y"),
        (lambda j, k: {**j, "x": b64url(b"\x01" * 33)}, "x"),
        (lambda j, k: {**j, "x": 12345}, "x"),
        (lambda j, k: {key: v for key, v in j.items() if key != "y"}, "y"),
        (lambda j, k: _off_curve(k), "x"),
        (lambda j, k: {**j, "alg": "RS256"}, "alg"),
        (lambda j, k: {**j, "use": "enc"}, "use"),
        (lambda j, k: {**j, "key_ops": ["sign"]}, "key_ops"),
        (lambda j, k: {**j, "key_ops": "verify"}, "key_ops"),
        (lambda j, k: {**j, "ext": "yes"}, "ext"),
        (lambda j, k: {**j, "kid": "k" * 201}, "kid"),
        (lambda j, k: {**j, "x5c": ["…"]}, "x5c"),
    ],
)
def test_anything_but_a_p256_public_jwk_is_refused(key, change, member):
    jwk = change(public_jwk(key), key)
    with pytest.raises(InvalidPublicKey) as refused:
        public_key_from_jwk(jwk)
    assert isinstance(refused.value, ValueError)
    assert refused.value.member == member
    assert refused.value.message


def test_a_private_jwk_is_refused_with_a_clear_message(key):
    private = key.private_numbers().private_value.to_bytes(32, "big")
    with pytest.raises(InvalidPublicKey, match="私钥"):
        public_key_from_jwk({**public_jwk(key), "d": b64url(private)})


@pytest.mark.parametrize("value", [None, "{}", ["kty", "EC"], 7])
def test_a_jwk_must_be_an_object(value):
    with pytest.raises(InvalidPublicKey):
        public_key_from_jwk(value)
