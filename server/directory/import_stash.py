"""Uploaded files kept between "检查文件" and "确认导入" (and the result page after it).

Files live in instance/imports/ under a random token, with a small JSON sidecar naming their
owner, kind and SHA-256. They are deleted when imported and swept after an hour; a token is only
good for the user who uploaded it and only while the content still has its SHA-256.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from server.directory.importer import sha256_hex

MAX_AGE_SECONDS = 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadStash:
    def __init__(self, folder: Path, *, max_age: int = MAX_AGE_SECONDS):
        self.folder = folder
        self.max_age = max_age

    def _path(self, token: str, suffix: str) -> Path:
        if not TOKEN.match(token or ""):
            raise KeyError(token)
        return self.folder / f"{token}{suffix}"

    def sweep(self) -> int:
        """Delete everything older than max_age; returns how many files went."""
        if not self.folder.is_dir():
            return 0
        cutoff = time.time() - self.max_age
        removed = 0
        for path in self.folder.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another worker swept it first
                continue
        return removed

    def put(self, data: bytes, meta: dict[str, Any]) -> tuple[str, str]:
        """Keep `data`; returns (token, sha256)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(24)
        digest = sha256_hex(data)
        self._path(token, ".upload").write_bytes(data)
        self._path(token, ".json").write_text(
            json.dumps({**meta, "sha256": digest}, ensure_ascii=False), encoding="utf-8"
        )
        return token, digest

    def get(self, token: str, *, sha256: str, owner: str) -> tuple[bytes, dict[str, Any]] | None:
        """The kept file and its metadata, or None when gone, foreign or altered."""
        try:
            meta = json.loads(self._path(token, ".json").read_text(encoding="utf-8"))
            data = self._path(token, ".upload").read_bytes()
        except (KeyError, FileNotFoundError, ValueError):
            return None
        if meta.get("owner") != owner or meta.get("sha256") != sha256:
            return None
        if sha256_hex(data) != sha256:
            return None
        return data, meta

    def discard(self, token: str) -> None:
        for suffix in (".upload", ".json"):
            self._path(token, suffix).unlink(missing_ok=True)

    def put_result(self, token: str, result: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._path(token, ".result.json").write_text(
            json.dumps(result, ensure_ascii=False), encoding="utf-8"
        )

    def get_result(self, token: str, *, owner: str) -> dict[str, Any] | None:
        try:
            result = json.loads(self._path(token, ".result.json").read_text(encoding="utf-8"))
        except (KeyError, FileNotFoundError, ValueError):
            return None
        return result if result.get("owner") == owner else None
