"""Argon2id hashes: production parameters, cheap ones in tests, re-hashing on sign-in."""

from __future__ import annotations

from server.auth import passwords


def test_hashes_are_argon2id_and_verify(app):
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "correct horse battery!")
    assert not passwords.verify_password("not a hash", "anything")


def test_production_uses_the_rfc_9106_parameters(app):
    app.config["TESTING"] = False
    assert "$m=65536,t=3,p=4$" in passwords.hash_password("correct horse battery")


def test_an_explicit_profile_wins(app):
    app.config["ARGON2_PROFILE"] = "RFC_9106_LOW_MEMORY"
    assert "$m=65536,t=3,p=4$" in passwords.hash_password("correct horse battery")


def test_sign_in_upgrades_a_hash_made_with_weaker_parameters(app, client, make_user, reload):
    user = make_user("office1", "back_office")  # hashed with the cheap test parameters
    assert "$m=65536" not in user.password_hash
    app.config["ARGON2_PROFILE"] = "RFC_9106_LOW_MEMORY"
    assert client.login("office1").status_code == 302
    assert "$m=65536,t=3,p=4$" in reload(user).password_hash


def test_stored_user_password_is_an_argon2id_hash(make_user):
    user = make_user("office1", "back_office")
    assert user.password_hash.startswith("$argon2id$")
    assert "spotcheck-demo" not in user.password_hash
