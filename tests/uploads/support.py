"""Helpers for upload tests: sample files of every accepted type, a tus client, moto's S3 server."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import uuid
import zlib

import pytest
from PIL import Image

TUS = "1.0.0"
S3_BUCKET = "spotcheck-evidence"


# ---- sample files --------------------------------------------------------------------------


def jpeg_with_exif(size=(800, 400), orientation: int = 6) -> bytes:
    """A JPEG whose EXIF says "rotate 90° clockwise" and carries a GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    # A dark stripe on the left edge, to see where it ends up after the rotation.
    image.paste((0, 0, 0), (0, 0, size[0] // 10, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "TestCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (37.0, 30.0, 12.5)
    gps[3] = "E"
    gps[4] = (122.0, 7.0, 1.25)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size=(64, 48), mode="RGB") -> bytes:
    image = Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid-looking PNG of a few hundred bytes that claims width × height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + bytes(range(256)) * 8
)
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead" + bytes(100)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(200)
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(200)
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + bytes(200)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- devices and the tus client ------------------------------------------------------------


def make_device(session, user, name: str = "测试手机") -> str:
    """A signed-in device of `user`; returns its bearer token."""
    from server.auth.bearer import new_token
    from server.auth.models import Device

    token, digest = new_token()
    session.add(Device(user_id=user.id, name=name, public_key={"kty": "EC"}, token_hash=digest))
    session.commit()
    return token


def metadata_header(**values) -> str:
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode()}"
        for key, value in values.items()
        if value is not None
    )


class Tus:
    """A field app's upload queue, speaking tus over a Flask test client."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.token = token

    def headers(self, **extra) -> dict:
        return {"Tus-Resumable": TUS, "Authorization": f"Bearer {self.token}", **extra}

    def create(
        self,
        data: bytes,
        *,
        media_id: uuid.UUID | None = None,
        content_type: str = "image/jpeg",
        digest: str | None = None,
        length: int | None = None,
        filename: str | None = "IMG_0001.jpg",
        record_id: uuid.UUID | None = None,
    ):
        header = metadata_header(
            media_id=media_id or uuid.uuid4(),
            sha256=digest or sha256(data),
            content_type=content_type,
            record_id=record_id,
            filename=filename,
        )
        return self.client.post(
            "/api/v1/uploads/",
            headers=self.headers(
                **{"Upload-Length": str(len(data) if length is None else length)},
                **{"Upload-Metadata": header},
            ),
        )

    def head(self, location: str):
        return self.client.head(location, headers=self.headers())

    def patch(self, location: str, offset: int, chunk: bytes | io.IOBase, **extra):
        return self.client.patch(
            location,
            data=chunk,
            headers=self.headers(
                **{
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                },
                **extra,
            ),
        )

    def delete(self, location: str):
        return self.client.delete(location, headers=self.headers())

    def upload(self, data: bytes, *, chunk: int = 4096, **create_args):
        """Create and send everything in `chunk`-sized PATCHes; returns (location, last)."""
        created = self.create(data, **create_args)
        assert created.status_code == 201, created.get_data(as_text=True)
        location = created.headers["Location"]
        offset = 0
        response = created
        while offset < len(data):
            response = self.patch(location, offset, data[offset : offset + chunk])
            if response.status_code != 204:
                return location, response
            offset = int(response.headers["Upload-Offset"])
        return location, response


# ---- moto's S3, in server mode on loopback -------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint():
    """An S3 endpoint (moto server mode, HTTP on 127.0.0.1) with the evidence bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any key
    )
    client.create_bucket(Bucket=S3_BUCKET)
    yield endpoint
    server.stop()


def s3_config(endpoint: str) -> dict:
    return {
        "STORAGE": "s3",
        "S3_ENDPOINT_URL": endpoint,
        "S3_BUCKET": S3_BUCKET,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
    }
