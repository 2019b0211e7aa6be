"""Storage backends behind one interface: a local folder and S3 (moto server on loopback)."""

from __future__ import annotations

import io
import re

import boto3
import pytest

from sync.storage import (
    LocalStorage,
    S3Storage,
    StorageError,
    check_key,
    derived_key,
    new_key,
    storage_from_config,
)
from tests.uploads.support import S3_BUCKET, moto_endpoint, s3_config  # noqa: F401 - fixture


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "evidence")
    endpoint = request.getfixturevalue("moto_endpoint")
    return storage_from_config(s3_config(endpoint))


def test_put_read_exists_size_delete(backend):
    key = new_key("photo")
    assert not backend.exists(key)
    backend.put(key, b"\x00\xffevidence", content_type="image/jpeg")
    assert backend.exists(key)
    assert backend.read(key) == b"\x00\xffevidence"
    assert backend.size(key) == 10
    with backend.open(key) as stream:
        assert stream.read(2) == b"\x00\xff"
    backend.delete(key)
    assert not backend.exists(key)
    backend.delete(key)  # deleting twice is fine
    with pytest.raises(StorageError):
        backend.read(key)
    with pytest.raises(StorageError):
        backend.size(key)


def test_a_stream_is_stored_byte_for_byte(backend):
    data = bytes(range(256)) * 40_000  # ~10 MiB: S3 takes it in multipart pieces
    key = new_key("video")
    backend.put(key, io.BytesIO(data))
    assert backend.size(key) == len(data)
    assert backend.read(key) == data


def test_put_file_stores_a_file_as_is(backend, tmp_path):
    path = tmp_path / "partial.part"
    data = bytes(range(256)) * 1000
    path.write_bytes(data)
    key = new_key("photo")
    backend.put_file(key, path, content_type="image/png")
    assert backend.read(key) == data


@pytest.mark.parametrize(
    "key", ["../escape", "/etc/passwd", "a/../../b", "a//b", ".hidden", "a/./b", "", "a\\b", "é"]
)
def test_keys_that_could_escape_are_refused(backend, key):
    with pytest.raises(StorageError):
        backend.put(key, b"x")
    with pytest.raises(StorageError):
        check_key(key)


def test_server_keys_and_derived_keys():
    key = new_key("photo")
    assert re.fullmatch(r"photo/\d{4}/\d{2}/[0-9a-f]{32}", key)
    assert new_key("photo") != key
    assert derived_key(key, "thumb") == key + ".thumb.jpg"


def test_local_writes_are_atomic_and_leave_no_temp_files(tmp_path):
    storage = LocalStorage(tmp_path / "evidence")
    key = new_key("document")
    storage.put(key, b"first")

    class Broken(io.BytesIO):
        def read(self, *args):
            raise OSError("disk went away")

    with pytest.raises(OSError):
        storage.put(key, Broken())
    assert storage.read(key) == b"first"  # the old object is intact
    files = [p.name for p in (tmp_path / "evidence").rglob("*") if p.is_file()]
    assert len(files) == 1 and not files[0].startswith(".tmp")


def test_storage_from_config(tmp_path, moto_endpoint):  # noqa: F811
    local = storage_from_config({"STORAGE": "local"}, tmp_path)
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "evidence").resolve()
    chosen = storage_from_config({"STORAGE": "local", "STORAGE_LOCAL_ROOT": str(tmp_path / "x")})
    assert chosen.root == (tmp_path / "x").resolve()
    s3 = storage_from_config(s3_config(moto_endpoint))
    assert isinstance(s3, S3Storage) and s3.bucket == S3_BUCKET
    with pytest.raises(StorageError):
        storage_from_config({"STORAGE": "ftp"}, tmp_path)
    with pytest.raises(StorageError):
        storage_from_config({"STORAGE": "s3"})


def test_s3_objects_are_stored_as_received(moto_endpoint):  # noqa: F811
    storage = storage_from_config(s3_config(moto_endpoint))
    key = new_key("audio")
    storage.put(key, b"OggS raw", content_type="audio/ogg")
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any key
    )
    head = client.head_object(Bucket=S3_BUCKET, Key=key)
    assert head["ContentLength"] == 8 and head["ContentType"] == "audio/ogg"
    assert "ContentEncoding" not in head
