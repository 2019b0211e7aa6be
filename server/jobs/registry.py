"""Job kinds and their handlers, declared in `server/<domain>/jobs.py` with `@handler`.

A handler is `func(session, payload) -> None`, runs inside an app context and only flushes (the
runner commits). It must be idempotent: a job may run again after a crash between its work and
the commit. Raise `Permanent` for a failure no retry can fix (the job goes dead at once).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass


class Permanent(Exception):
    """The job cannot succeed however often it is retried (e.g. the image cannot be decoded)."""


@dataclass(frozen=True)
class Handler:
    kind: str
    func: Callable
    label: str
    max_attempts: int | None


_HANDLERS: dict[str, Handler] = {}
_loaded = False


def handler(kind: str, *, label: str, max_attempts: int | None = None):
    """Register `func` as the handler of `kind` (label: shown in the console, a msgid)."""

    def register(func: Callable) -> Callable:
        _HANDLERS[kind] = Handler(kind, func, label, max_attempts)
        return func

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    from server.app import DOMAINS  # the app imports this package: import late

    for name in DOMAINS:
        dotted = f"server.{name}.jobs"
        if importlib.util.find_spec(f"server.{name}") and importlib.util.find_spec(dotted):
            importlib.import_module(dotted)
    _loaded = True


def get(kind: str) -> Handler | None:
    _load()
    return _HANDLERS.get(kind)


def all_handlers() -> dict[str, Handler]:
    _load()
    return dict(_HANDLERS)
