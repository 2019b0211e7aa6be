"""Argon2id password hashing (argon2-cffi), with transparent re-hashing when parameters change.

Production uses argon2-cffi's default parameters (RFC 9106 low-memory profile: about 0.1-0.2 s
per hash on purpose). Tests (TESTING=True) use the cheapest Argon2id parameters so that the
thousands of sign-ins in the suite stay fast; ARGON2_PROFILE names a profile explicitly.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

MIN_LENGTH = 10
# Argon2 takes any length; a cap keeps a megabyte "password" from costing CPU on every try.
MAX_LENGTH = 256

DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"
TEST_PROFILE = "CHEAPEST"


@functools.cache
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def _current() -> PasswordHasher:
    profile = DEFAULT_PROFILE
    if has_app_context():
        configured = current_app.config.get("ARGON2_PROFILE")
        profile = configured or (TEST_PROFILE if current_app.testing else DEFAULT_PROFILE)
    return _hasher(profile)


def hash_password(password: str) -> str:
    return _current().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _current().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _current().check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash(profile_hasher: PasswordHasher) -> str:
    return profile_hasher.hash("spotcheck-timing-equaliser")


def verify_dummy(password: str) -> None:
    """Spend the time a real check would, so timing does not reveal unknown usernames."""
    verify_password(_dummy_hash(_current()), password)
