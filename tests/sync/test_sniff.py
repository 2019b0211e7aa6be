"""Type sniffing: from the bytes, never from the name or the declared type."""

from __future__ import annotations

import pytest

from sync.sniff import agrees, canonical, kind_of, sniff
from tests.uploads.support import HEIC, HTML, M4A, MOV, MP4, OGG, PDF, WEBM, jpeg_with_exif, png


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (jpeg_with_exif((8, 8)), None, ("photo", "image/jpeg")),
        (png(), None, ("photo", "image/png")),
        (HEIC, None, ("photo", "image/heic")),
        (HEIC, "image/heif", ("photo", "image/heif")),
        (b"\x00\x00\x00\x10ftypmif1\x00\x00\x00\x00", None, ("photo", "image/heif")),
        (WEBM, None, ("video", "video/webm")),
        (WEBM, "audio/webm;codecs=opus", ("audio", "audio/webm")),
        (OGG, None, ("audio", "audio/ogg")),
        (MP4, None, ("video", "video/mp4")),
        (MP4, "audio/mp4", ("audio", "audio/mp4")),
        (M4A, None, ("audio", "audio/mp4")),
        (M4A, "audio/x-m4a", ("audio", "audio/mp4")),
        (MOV, None, ("video", "video/quicktime")),
        (PDF, None, ("document", "application/pdf")),
    ],
)
def test_sniffs_accepted_types(data, declared, expected):
    assert sniff(data[:64], declared) == expected


@pytest.mark.parametrize(
    "data",
    [HTML, b"", b"GIF89a....", b"PK\x03\x04zip", b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska"],
)
def test_other_bytes_are_not_accepted(data):
    assert sniff(data) is None


def test_a_declared_type_never_overrides_the_bytes():
    # A PNG declared as a PDF is still a PNG; the caller then refuses the disagreement.
    assert sniff(png(), "application/pdf") == ("photo", "image/png")
    assert not agrees("application/pdf", "image/png")
    # A WebM container may be declared as any type it can hold, but not as an image.
    assert sniff(WEBM, "image/jpeg") == ("video", "video/webm")
    assert agrees("Image/JPG", "image/jpeg") and agrees("audio/webm; codecs=opus", "audio/webm")


def test_kinds_and_aliases():
    assert [kind_of(m) for m in ("image/png", "audio/ogg", "video/mp4", "application/pdf")] == [
        "photo",
        "audio",
        "video",
        "document",
    ]
    assert kind_of("text/html") is None
    assert canonical(" image/pjpeg ") == "image/jpeg"
