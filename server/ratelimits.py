"""Rate limits per client address (Flask-Limiter), each read from config when a request comes.

The per-account lockout (server/auth/operations.py) stops guessing one account's password; these
stop one address from trying many accounts, scraping the public pages or flooding public forms.
A refused request gets 429 with Retry-After (server/web.py words it in Chinese; JSON for APIs).
"""

from __future__ import annotations

from flask import Flask, current_app

from server.extensions import limiter


def _setting(key: str):
    return lambda: current_app.config[key]


# Console and phone sign-in: only the attempts (POST) count, not showing the form.
sign_in = limiter.limit(_setting("LOGIN_RATE_LIMIT"), methods=["POST"])
credential_check = limiter.limit(_setting("CREDENTIAL_CHECK_RATE_LIMIT"))
_public_api = limiter.limit(_setting("PUBLIC_API_RATE_LIMIT"))

# JSON anyone may read without signing in: limited as a whole, per route.
PUBLIC_API_BLUEPRINTS = ("public_api", "credential_public_api", "public_objections_api")


def init_app(app: Flask) -> None:
    """Limit the public JSON blueprints (call after the domains are registered)."""
    for name in PUBLIC_API_BLUEPRINTS:
        blueprint = app.blueprints.get(name)
        if blueprint is not None:
            _public_api(blueprint)
