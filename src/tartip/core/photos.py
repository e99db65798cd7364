"""Uploaded photos (proof of work, complaints, damage): checked, re-encoded without EXIF, stored.

A phone's photo carries EXIF with the GPS position, the phone's model and sometimes the owner's
name. Tartip keeps none of it: the picture is decoded and written again as a plain JPEG (turned
upright first, since the orientation lives in EXIF). What is stored is only what the app shows.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from tartip.core.errors import InvalidInput, Problem

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # well above a 12 MP phone camera; refuses decompression bombs
LONG_SIDE = 2048  # enough to read a scooter's code; keeps a day's photos small
JPEG_QUALITY = 85
# Leading bytes of the formats a phone camera gives to a browser (HEIC is converted by browsers).
MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: JPEG bytes with no metadata, its size and digest."""

    data: bytes
    width: int
    height: int
    sha256: str
    source_type: str


def sniff(data: bytes) -> str | None:
    """The image type the bytes are (by their magic numbers), whatever the upload claimed."""
    for magic, offset, content_type in MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and data[:4] != b"RIFF":
                continue
            return content_type
    return None


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, problems=[Problem("file", message)])


def clean(data: bytes) -> CleanPhoto:
    """Check and re-encode an uploaded photo, or ``InvalidInput`` saying why not."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"the photo is larger than {MAX_BYTES // (1024 * 1024)} MB")
    source_type = sniff(data)
    if source_type is None:
        raise _refuse("not a JPEG, PNG or WebP image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse("the photo has too many pixels")
            probe.load()
            upright = ImageOps.exif_transpose(probe)
            image = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(f"the image cannot be read: {exc}") from exc
    image.thumbnail((LONG_SIDE, LONG_SIDE))
    out = io.BytesIO()
    # No exif= argument and a fresh RGB image: nothing of the original metadata is written.
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    encoded = out.getvalue()
    return CleanPhoto(
        data=encoded,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
        source_type=source_type,
    )


def store(root: Path, *, city_id: int, photo: CleanPhoto) -> str:
    """Write a cleaned photo under ``root`` and return its path relative to it."""
    name = f"{uuid.uuid4().hex}.jpg"
    relative = Path("photos") / str(city_id) / name[:2] / name
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_bytes(photo.data)
    tmp.replace(target)  # atomic: a reader never sees half a file
    return relative.as_posix()


def resolve(root: Path, relative: str) -> Path:
    """The file of a stored photo, refusing paths that would leave ``root``."""
    base = root.resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise _refuse("bad photo path")
    return path
