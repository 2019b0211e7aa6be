"""Helpers for the browser tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.dbtools import clear_postgres


def reset_database(schema: str, workdir: Path) -> str:
    """A fresh database for a live server: a copy of the SQLite template, or a truncated PG."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        clear_postgres(schema)
        return schema
    path = workdir / "live.db"
    shutil.copyfile(schema, path)
    return f"sqlite:///{path}"


def sign_in(page, base_url: str, username: str, password: str = "spotcheck-demo") -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def assert_fits_width(page) -> None:
    """Nothing sticks out sideways on a phone (no horizontal scrolling of the page)."""
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        # The innermost elements reaching past the right edge: what to fix.
        culprits = page.evaluate(_PAST_THE_EDGE)
        raise AssertionError(f"page is {overflow}px wider than the screen: {culprits}")


_PAST_THE_EDGE = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const past = [...document.body.querySelectorAll('*')].filter(
    (e) => e.getBoundingClientRect().right > edge);
  const innermost = past.filter((e) => !past.some((o) => o !== e && e.contains(o)));
  return innermost.slice(0, 5).map((e) => {
    const right = Math.round(e.getBoundingClientRect().right);
    const text = JSON.stringify((e.textContent || '').trim().slice(0, 80));
    return `<${e.tagName.toLowerCase()} class="${e.className}"> right=${right} ${text}`;
  });
}"""
