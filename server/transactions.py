"""One transaction per request, CLI command and job, committed in exactly one place.

Operations only flush(). A request that ends with a status below 400 commits; anything else,
including an exception, rolls back, so nothing is ever half-written.
"""

from __future__ import annotations

import functools

from flask import Flask, Response

from server.extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_or_rollback(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def transactional(func):
    """Wrap a CLI command or job: commit when it returns, roll back when it raises."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return wrapper
