"""What a file is, from its first bytes only (never its name or the type a client declares).

Containers that carry either sound or pictures (WebM, Ogg, MP4) cannot be told apart by their
header alone; for those the declared type is taken if it is one the container can hold, so a
recording declared `audio/webm` stays audio, but a PDF declared `image/jpeg` is still a PDF.
"""

from __future__ import annotations

HEAD_BYTES = 64  # enough for every signature below

KINDS = ("photo", "audio", "video", "document")

# ISO base media (ftyp) brands.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_M4A_BRANDS = {b"M4A ", b"M4B "}
_QT_BRANDS = {b"qt  "}


def kind_of(mime: str) -> str | None:
    """The evidence kind of a media type: photo, audio, video or document."""
    major = mime.split("/", 1)[0]
    if major == "image":
        return "photo"
    if major in {"audio", "video"}:
        return major
    if mime == "application/pdf":
        return "document"
    return None


def normalise(content_type: str | None) -> str:
    """`Audio/WebM; codecs=opus` → `audio/webm` (MediaRecorder adds codec parameters)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _family(head: bytes) -> tuple[str, tuple[str, ...]] | None:
    """The container's default type and every type it may honestly be declared as."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ("image/jpeg", "image/jpg", "image/pjpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ("image/png",)
    if head.startswith(b"%PDF-"):
        return "application/pdf", ("application/pdf",)
    if head.startswith(b"OggS"):
        return "audio/ogg", ("audio/ogg", "video/ogg", "application/ogg")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: WebM's DocType is "webm"; plain Matroska is not accepted.
        if b"\x42\x82" in head and b"webm" in head:
            return "video/webm", ("video/webm", "audio/webm")
        return None
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _ftyp(head)
    return None


def _ftyp(head: bytes) -> tuple[str, tuple[str, ...]] | None:
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    # Compatible brands follow the minor version, up to the end of the box.
    end = min(box_size if box_size >= 16 else 16, len(head))
    brands = {major} | {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return "image/heic", ("image/heic", "image/heif")
    if major in _HEIF_BRANDS:
        return "image/heif", ("image/heif", "image/heic")
    if major in _QT_BRANDS:
        return "video/quicktime", ("video/quicktime", "video/mp4")
    if major in _M4A_BRANDS:
        return "audio/mp4", ("audio/mp4", "audio/x-m4a", "audio/m4a")
    # isom, iso2…iso6, mp41, mp42, avc1, dash, M4V, 3gp…: an MP4 that holds sound or pictures.
    return "video/mp4", ("video/mp4", "audio/mp4", "audio/x-m4a", "audio/m4a")


_CANONICAL = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "application/ogg": "audio/ogg",
}


def canonical(content_type: str | None) -> str:
    """The normalised type with aliases folded (`image/jpg` → `image/jpeg`)."""
    mime = normalise(content_type)
    return _CANONICAL.get(mime, mime)


def sniff(head: bytes, declared: str | None = None) -> tuple[str, str] | None:
    """(kind, mime) of the bytes, or None for a type we do not accept.

    `declared` only chooses between the types one container can hold; it never overrides the
    bytes. Callers compare the result with the declared type to refuse a file that lies.
    """
    family = _family(head[:HEAD_BYTES])
    if family is None:
        return None
    default, allowed = family
    wanted = normalise(declared)
    mime = wanted if wanted in allowed else default
    mime = _CANONICAL.get(mime, mime)
    kind = kind_of(mime)
    return (kind, mime) if kind else None


def agrees(declared: str | None, sniffed_mime: str) -> bool:
    """Whether a declared type names what the bytes are (aliases such as image/jpg allowed)."""
    return canonical(declared) == sniffed_mime
