"""The same upload, stored through S3Storage (moto's S3 server on 127.0.0.1 over HTTP)."""

from __future__ import annotations

import io
import uuid

import boto3
from PIL import Image

from server.uploads.views import storage
from sync.models import Media
from sync.storage import S3Storage
from tests.uploads.support import S3_BUCKET, Tus, jpeg_with_exif, make_device, s3_config, sha256


def test_a_resumed_upload_lands_in_the_bucket_exactly_as_sent(
    db, make_user, restarted, moto_endpoint
):
    user = make_user("inspector_s3", "inspector")
    token = make_device(db.session, user)
    data = jpeg_with_exif((1200, 900), orientation=1)
    media_id = uuid.uuid4()
    with restarted(**s3_config(moto_endpoint)) as app:
        tus = Tus(app.test_client(), token)
        location = tus.create(data, media_id=media_id).headers["Location"]
        half = len(data) // 2
        assert tus.patch(location, 0, data[:half]).status_code == 204
    # A restart between the two halves; the partial data stayed on this server's disk.
    with restarted(**s3_config(moto_endpoint)) as app:
        tus = Tus(app.test_client(), token)
        assert tus.head(location).headers["Upload-Offset"] == str(half)
        response = tus.patch(location, half, data[half:])
        assert response.status_code == 204, response.get_data(as_text=True)
        assert isinstance(storage(), S3Storage)
        media = db.session.get(Media, media_id)
        assert media.sha256 == sha256(data)

    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any key
    )
    stored = s3.get_object(Bucket=S3_BUCKET, Key=media.storage_key)
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "image/jpeg"
    thumb = s3.get_object(Bucket=S3_BUCKET, Key=media.thumb_key)["Body"].read()
    image = Image.open(io.BytesIO(thumb))
    assert image.size == (320, 240) and not image.getexif()


def test_while_s3_is_down_the_last_patch_is_503_and_the_upload_finishes_once_it_is_back(
    db, make_user, restarted, moto_endpoint
):
    user = make_user("inspector_s3_down", "inspector")
    token = make_device(db.session, user)
    data = jpeg_with_exif((800, 600), orientation=1)
    media_id = uuid.uuid4()
    half = len(data) // 2
    # Nothing listens on the discard port: every store fails to connect.
    with restarted(**s3_config("http://127.0.0.1:9")) as app:
        tus = Tus(app.test_client(), token)
        location = tus.create(data, media_id=media_id).headers["Location"]
        assert tus.patch(location, 0, data[:half]).status_code == 204  # stays on local disk
        down = tus.patch(location, half, data[half:])
        assert down.status_code == 503, down.get_data(as_text=True)
        assert down.headers["Retry-After"] == "30"
        assert down.json["reason"] == "storage_unavailable" and "证据存储" in down.json["message"]
        assert tus.head(location).headers["Upload-Offset"] == str(half)  # nothing committed
        assert db.session.get(Media, media_id) is None
    with restarted(**s3_config(moto_endpoint)) as app:  # S3 is back
        tus = Tus(app.test_client(), token)
        response = tus.patch(location, half, data[half:])
        assert response.status_code == 204, response.get_data(as_text=True)
        media = db.session.get(Media, media_id)
        assert media.sha256 == sha256(data)
        s3 = storage().client
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=S3_BUCKET).get("Contents", [])]
        originals = [k for k in keys if not k.endswith((".thumb.jpg", ".preview.jpg"))]
        assert media.storage_key in originals
        assert s3.get_object(Bucket=S3_BUCKET, Key=media.storage_key)["Body"].read() == data
