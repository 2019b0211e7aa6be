"""Where evidence bytes live: one small interface, a local folder (default) and S3 (boto3).

The bytes are stored exactly as received. Keys are made by the server (`new_key`), never from a
client's file name, and every backend refuses a key that could climb out of its root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol

COPY_BUFFER = 1024 * 1024
_KEY_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class StorageUnavailable(Exception):
    """The store did not answer or refused to store (S3 down, network): try again later."""


class StorageError(Exception):
    """A key that is not acceptable, or an object that is not there."""


def check_key(key: str) -> str:
    """The key if it is a relative path of safe segments; StorageError otherwise.

    Segments start with a letter or digit, so neither `..`, `.`, hidden names nor an absolute
    path (a leading `/`) can pass.
    """
    if not isinstance(key, str) or not key or len(key) > 512:
        raise StorageError("invalid key")
    segments = key.split("/")
    if any(not _KEY_SEGMENT.match(segment) for segment in segments):
        raise StorageError(f"invalid key: {key!r}")
    return key


def new_key(kind: str, *, now: dt.datetime | None = None) -> str:
    """A fresh server-generated key: `<kind>/<yyyy>/<mm>/<random hex>`."""
    now = now or dt.datetime.now(dt.UTC)
    return check_key(f"{kind}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}")


def upload_key(kind: str, upload_id: uuid.UUID, *, created: dt.datetime) -> str:
    """An upload's file key, fixed by its upload row (a server-made id): a last PATCH retried
    after a crash between storing and committing overwrites its own object, leaving no orphan."""
    return check_key(f"{kind}/{created:%Y}/{created:%m}/{uuid.UUID(str(upload_id)).hex}")


def derived_key(original_key: str, variant: str) -> str:
    """The key of a derived copy (thumb, preview) stored beside its original."""
    return check_key(f"{check_key(original_key)}.{variant}.jpg")


class Storage(Protocol):
    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        """Store `data` (bytes, or a binary stream read to its end) under `key`."""

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        """Store the file at `path` under `key`; the file may be moved (it is not needed after)."""

    def open(self, key: str) -> BinaryIO:
        """A binary stream of the object; the caller closes it."""

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""

    def size(self, key: str) -> int: ...


class LocalStorage:
    """A folder on this machine; each write lands in a temp file renamed into place."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # belt and braces: check_key already refuses
            raise StorageError(f"invalid key: {key!r}")
        return path

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same folder, so the rename is atomic: a reader sees the whole object or none.
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, COPY_BUFFER)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
            _fsync_dir(path.parent)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as source:
            os.fsync(source.fileno())
        try:
            # Same file system: a rename, so a 1 GiB video is not copied a second time.
            os.replace(path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            with open(path, "rb") as source:
                self.put(key, source)
            return
        _fsync_dir(target.parent)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as missing:
            raise StorageError(f"no object {key!r}") from missing

    def read(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as missing:
            raise StorageError(f"no object {key!r}") from missing


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry, not only the data)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _unavailable_on_failure(key: str):
    """boto3's failures to store, as one exception the web layer answers with 503."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError, S3UploadFailedError) as error:
        raise StorageUnavailable(f"could not store {key!r}: {error}") from error


class S3Storage:
    """An S3-compatible bucket through boto3 (AWS, MinIO, Ceph…); objects stored as received."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise StorageError("S3 storage needs a bucket")
        self.bucket = bucket
        if client is None:
            import boto3  # only deployments on S3 pay for the import

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
            )
        self.client = client

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        with _unavailable_on_failure(key):
            if isinstance(data, bytes | bytearray | memoryview):
                body = bytes(data)
                self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=body, **extra)
            else:
                # upload_fileobj streams (multipart above its threshold): big videos never
                # sit in RAM.
                self.client.upload_fileobj(
                    data, self.bucket, check_key(key), ExtraArgs=extra or None
                )

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else None
        # Multipart in parallel above boto3's threshold, straight from the file.
        with _unavailable_on_failure(key):
            self.client.upload_file(str(path), self.bucket, check_key(key), ExtraArgs=extra)

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]
        except self.client.exceptions.NoSuchKey as missing:
            raise StorageError(f"no object {key!r}") from missing

    def read(self, key: str) -> bytes:
        body = self.open(key)
        try:
            return body.read()
        finally:
            body.close()

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise StorageError(f"no object {key!r}")
        return int(head["ContentLength"])


def storage_from_config(
    config: Mapping[str, Any], instance_path: str | os.PathLike | None = None
) -> Storage:
    """The backend named by STORAGE ("local" or "s3") with its settings from `config`.

    The local folder is STORAGE_LOCAL_ROOT, or `<instance_path>/evidence` when that is unset.
    """
    kind = (config.get("STORAGE") or "local").lower()
    if kind == "local":
        root = config.get("STORAGE_LOCAL_ROOT")
        if not root:
            if instance_path is None:
                raise StorageError("local storage needs STORAGE_LOCAL_ROOT or an instance path")
            root = Path(instance_path) / "evidence"
        return LocalStorage(root)
    if kind == "s3":
        return S3Storage(
            bucket=config.get("S3_BUCKET") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        )
    raise StorageError(f"unknown STORAGE {kind!r} (expected 'local' or 's3')")
