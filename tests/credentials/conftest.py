"""Fixtures for the credential tests: the pull scene of tests/syncapi, a frozen "today", photos.

The scene (two departments, six inspectors with accounts, tasks drawn in December 2026) is the
one the pull tests use; its fixtures are imported here so both suites see the same bureau.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from tests.syncapi.conftest import device, drawn_task, pull, scene  # noqa: F401 - fixtures

IN_WINDOW = dt.date(2026, 12, 10)  # inside the scene's default window 12-01 … 12-31


@pytest.fixture
def today(monkeypatch):
    """`today(date)`: the bureau's date as the credential pages see it (default IN_WINDOW)."""

    def freeze(day: dt.date = IN_WINDOW) -> dt.date:
        monkeypatch.setattr("server.credentials.views.local_today", lambda: day)
        return day

    freeze()
    return freeze


def jpeg_bytes(size=(1200, 1600), *, exif_gps: bool = True) -> bytes:
    """A JPEG photo as a phone makes it, with EXIF (camera make and GPS) to be stripped."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if exif_gps:
        exif[0x8825] = {1: "N", 2: (37.0, 30.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def photo_jpeg() -> bytes:
    return jpeg_bytes()
