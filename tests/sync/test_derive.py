"""Derived copies of photos: upright, stripped, bounded; bombs refused before decoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sync.derive import ImageRefused, derive
from tests.uploads.support import jpeg_with_exif, png, png_bomb


def test_thumbnail_and_preview_are_upright_jpegs_without_exif_or_gps():
    original = jpeg_with_exif((2400, 1200), orientation=6)
    source = io.BytesIO(original)
    derived = derive(source)
    assert source.getvalue() == original  # the original is never altered
    thumb = Image.open(io.BytesIO(derived.thumb))
    preview = Image.open(io.BytesIO(derived.preview))
    assert thumb.format == preview.format == "JPEG"
    assert thumb.size == (160, 320) and preview.size == (800, 1600)
    assert (derived.width, derived.height) == (1200, 2400)
    for image in (thumb, preview):
        exif = image.getexif()
        assert not exif and not exif.get_ifd(0x8825)
        assert "exif" not in image.info and "icc_profile" not in image.info
    # The dark stripe was on the left; rotated 90° clockwise it is now at the top.
    assert sum(thumb.getpixel((80, 5))) < 100 and sum(thumb.getpixel((80, 300))) > 200


def test_the_original_exif_really_had_gps():
    with Image.open(io.BytesIO(jpeg_with_exif((40, 20)))) as image:
        assert image.getexif().get_ifd(0x8825)[1] == "N"


def test_small_images_are_not_enlarged_and_transparency_becomes_white():
    derived = derive(io.BytesIO(png((50, 40), mode="RGBA")))
    thumb = Image.open(io.BytesIO(derived.thumb))
    assert thumb.size == (50, 40)
    r, g, b = thumb.getpixel((25, 20))
    assert r > 100 and g > 150 and b > 200  # blue half-transparent over white, not over black


def test_a_decompression_bomb_is_refused_from_its_header():
    with pytest.raises(ImageRefused) as refused:
        derive(io.BytesIO(png_bomb()))
    assert refused.value.reason == "too_many_pixels"


@pytest.mark.parametrize("pixels", [(40, 40), (100, 100)])
def test_the_pixel_limit_comes_from_the_caller(pixels):
    # 1 600 px is in Pillow's warning zone for a 1 000 px limit, 10 000 px beyond its error.
    with pytest.raises(ImageRefused) as refused:
        derive(io.BytesIO(png(pixels)), max_pixels=1000)
    assert refused.value.reason == "too_many_pixels"
    assert derive(io.BytesIO(png(pixels)), max_pixels=20_000).width == pixels[0]


def test_a_truncated_image_is_refused():
    broken = jpeg_with_exif((400, 300))[:600]
    with pytest.raises(ImageRefused) as refused:
        derive(io.BytesIO(broken))
    assert refused.value.reason == "undecodable"


def test_a_large_jpeg_is_decoded_at_reduced_scale_and_keeps_its_true_size():
    derived = derive(io.BytesIO(jpeg_with_exif((6400, 3200), orientation=6)))
    assert (derived.width, derived.height) == (3200, 6400)
    assert Image.open(io.BytesIO(derived.preview)).size == (800, 1600)
