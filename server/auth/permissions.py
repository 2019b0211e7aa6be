"""Role checks for views. Every console view names the roles it allows."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required

from server.audit.operations import PUBLIC, Actor


def roles_required(*roles: str):
    """Allow signed-in users holding any of `roles`; others get 403 (not a redirect)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_actor() -> Actor:
    """The audit actor of the current request."""
    if current_user and current_user.is_authenticated:
        return Actor(current_user.id, f"user:{current_user.username}")
    return PUBLIC
