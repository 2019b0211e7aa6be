"""HTML → PDF with WeasyPrint, Chinese fonts embedded.

WeasyPrint lays the page out with Pango and embeds a subset of every font it uses (the CJK
fonts come from fontconfig: Debian's fonts-noto-cjk, OpenType-CFF, embedded as FontFile3), so
the PDF reads the same on a machine without those fonts. It is imported on first use: the
import costs about half a second and most requests never make a PDF.

The renderer fetches nothing: only the data: URLs of signature PNGs are allowed, so a value
written on a phone can never make the server open a file or a network address.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale

from server.documents.content import PNG_DATA_URL


class FetchRefused(ValueError):
    """The document asked for a resource other than an inline PNG."""


def _fetcher():
    from weasyprint.urls import URLFetcher

    class InlinePngOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not PNG_DATA_URL.match(url):
                raise FetchRefused(url[:60])
            return super().fetch(url, headers)

    return InlinePngOnly(allowed_protocols={"data"}, allow_redirects=False)


def _import_weasyprint():
    import weasyprint
    from PIL import ImageFile

    # Importing WeasyPrint switches Pillow, process-wide, to decoding truncated images as grey
    # (weasyprint/images.py). Our documents embed only PNGs we made, but the evidence checks
    # (sync/derive.py) must refuse a broken image the same way whether or not a PDF was made
    # earlier in this process: switched back.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def render_pdf(template: str, **context) -> bytes:
    """Render a documents/ template (always in Chinese: these are official documents)."""
    weasyprint = _import_weasyprint()

    with force_locale("zh"):
        html = render_template(template, **context)
    return weasyprint.HTML(string=html, url_fetcher=_fetcher()).write_pdf()
