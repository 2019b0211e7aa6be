"""Where a publication goes: small publishers behind one interface, chosen by `PUBLISHERS`.

A publisher gets the national export document (server/publication/export.py) and either
returns (delivered) or raises `PublishFailed` with a reason (the job is retried later). They do no
database work: the outbox runner (operations.run_job) records the outcome.

- `file`: writes `<PUBLICATION_DIR>/<task id>-v<n>.json` and `.xlsx` (default
  <instance>/publications) — what the bureau uploads to the national system, or a folder an
  exchange program picks up;
- `http`: POSTs the JSON to `PUBLISH_HTTP_URL` (a gateway of the national system or of the
  city's data exchange) with a timeout; any answer but 2xx is a failure.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from server.publication import export


class PublishFailed(Exception):
    """A delivery that did not happen; the message is kept on the job (`last_error`)."""


class Publisher(Protocol):
    name: str

    def send(self, document: dict) -> None:
        """Deliver the document or raise PublishFailed."""


class FilePublisher:
    name = "file"

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def paths(self, document: dict) -> tuple[Path, Path]:
        stem = export.file_stem(document)
        return self.folder / f"{stem}.json", self.folder / f"{stem}.xlsx"

    def send(self, document: dict) -> None:
        json_path, xlsx_path = self.paths(document)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(xlsx_path, export.export_workbook(document))
            # The JSON last: a program watching the folder sees it only once both are complete.
            _write_atomically(json_path, export.export_json(document))
        except OSError as error:
            raise PublishFailed(f"写入文件失败：{error}") from error


def _write_atomically(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class HttpPublisher:
    name = "http"

    def __init__(self, url: str | None, timeout: float = 10):
        self.url, self.timeout = url, timeout

    def send(self, document: dict) -> None:
        if not self.url:
            raise PublishFailed("未配置 PUBLISH_HTTP_URL")
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url,
            data=export.export_json(document),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": f"{document['publication_id']}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise PublishFailed(f"HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PublishFailed(f"连接失败：{reason}") from error
        if not 200 <= status < 300:
            raise PublishFailed(f"HTTP {status}")


KNOWN = ("file", "http")


def configured(config: Mapping) -> list[str]:
    """The publisher names of the configuration, known ones only, in order, once each."""
    names = config.get("PUBLISHERS") or []
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    return list(dict.fromkeys(n for n in names if n in KNOWN))


def publisher_for(name: str, config: Mapping, instance_path: str) -> Publisher:
    if name == "file":
        folder = config.get("PUBLICATION_DIR") or Path(instance_path) / "publications"
        return FilePublisher(folder)
    if name == "http":
        return HttpPublisher(config.get("PUBLISH_HTTP_URL"), config.get("PUBLISH_HTTP_TIMEOUT", 10))
    raise PublishFailed(f"未知的发布方式：{name}")
