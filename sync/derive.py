"""Thumbnails and previews of photos (Pillow), upright and stripped of EXIF and GPS.

The original is never touched: these are new JPEGs stored beside it. Pillow's decompression-bomb
guard is on and its warning is an error, and the pixel count is checked from the header before
any pixel is decoded, so a small file that claims to be 100 000 × 100 000 costs nothing.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps

THUMB_PX = 320
PREVIEW_PX = 1600
DEFAULT_MAX_PIXELS = 64_000_000  # a 64-megapixel phone camera; bigger is refused
_ORIENTATION = 0x0112
_QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap width and height
DERIVABLE = {"image/jpeg", "image/png"}  # HEIC needs a plugin we do not ship: stored as is


class ImageRefused(Exception):
    """The image is too large to decode safely, or is not a decodable image."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "too_many_pixels" or "undecodable"


@contextlib.contextmanager
def _opened(source: BinaryIO, max_pixels: int) -> Iterator[Image.Image]:
    """The image, its pixel count checked from the header; any failure → ImageRefused."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(source) as image:
                if image.width * image.height > max_pixels:
                    raise ImageRefused("too_many_pixels")
                yield image
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
            raise ImageRefused("too_many_pixels") from bomb
        except ImageRefused:
            raise
        except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError) as bad:
            raise ImageRefused("undecodable") from bad


def _upright_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    if image.getexif().get(_ORIENTATION, 1) in _QUARTER_TURNS:
        width, height = height, width
    return width, height


def inspect(source: BinaryIO, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """The upright (width, height) from the header; refuses bombs and non-images.

    Cheap enough for the upload request (a JPEG's pixels are not decoded); `derive` then runs
    as a background job.
    """
    with _opened(source, max_pixels) as image:
        return _upright_size(image)


@dataclass(frozen=True)
class Derived:
    thumb: bytes
    preview: bytes
    width: int
    height: int


def derive(
    source: BinaryIO,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    thumb_px: int = THUMB_PX,
    preview_px: int = PREVIEW_PX,
) -> Derived:
    """A thumbnail and a preview (JPEG, no metadata) of the image in `source`."""
    with _opened(source, max_pixels) as image:
        width, height = _upright_size(image)
        if image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale when the preview needs no more: a 50-megapixel
            # photo then costs a few megabytes, not 150.
            image.draft("RGB", (preview_px, preview_px))
        image.load()
        upright = ImageOps.exif_transpose(image)
    rgb = _flatten(upright)
    return Derived(
        thumb=_jpeg(rgb, thumb_px),
        preview=_jpeg(rgb, preview_px),
        width=width,
        height=height,
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (transparent PNGs would turn black in a JPEG)."""
    if image.mode in {"RGBA", "LA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def _jpeg(image: Image.Image, box: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((box, box), Image.Resampling.LANCZOS)
    # A fresh image with pixels only: no EXIF (GPS, camera serial), no ICC, no comments.
    clean = Image.new("RGB", copy.size)
    clean.paste(copy)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()
