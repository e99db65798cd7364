"""Uploaded photos (proof of work, complaints, damage): checked, re-encoded without EXIF, stored.

A phone's photo carries EXIF with the GPS position, the phone's model and sometimes the owner's
name. Tartip keeps none of it: the picture is decoded and written again as a plain JPEG (turned
upright first, since the orientation lives in EXIF). What is stored is only what the app shows.

Checks, in the order they run (each refusal says what was wrong, on the ``file`` field):

1. size: more than ``PhotoLimits.max_bytes`` is ``UploadTooLarge`` (413); the web layer reads at
   most that much of an upload and caps the whole request body before it is read;
2. type, by content: the leading bytes must be JPEG, PNG or WebP, and the decoder must agree;
3. pixels: more than ``max_pixels`` (read from the header, before decoding) is refused, so a
   small file that inflates to gigabytes (a decompression bomb) is never decoded.

Storage: ``store`` writes ``photos/<city id>/<2 hex>/<uuid>.jpg`` under a root directory (the
media directory, ``Settings.media_root``) and returns that relative path, which callers keep.
A thumbnail lives beside its photo at a path derived from it (``thumbnail_path``); it is made on
first use, so photos stored before thumbnails existed get one too.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from tartip.core.errors import InvalidInput, NotFound, Problem

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # well above a 12 MP phone camera; refuses decompression bombs
LONG_SIDE = 2048  # enough to read a scooter's code; keeps a day's photos small
THUMB_SIDE = 320  # a list row or a map popup
JPEG_QUALITY = 85
THUMB_QUALITY = 80
# Leading bytes of the formats a phone camera gives to a browser (HEIC is converted by browsers).
MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
)
# The Pillow decoder each accepted type must be read by (and nothing else is tried).
DECODERS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class UploadTooLarge(InvalidInput):
    """An upload larger than the configured limit (413); an ``InvalidInput`` for callers."""

    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class PhotoLimits:
    """What an uploaded photo may be: bytes, pixels, and the long side it is stored at."""

    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS
    long_side: int = LONG_SIDE


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: JPEG bytes with no metadata, its size and digest."""

    data: bytes
    width: int
    height: int
    sha256: str
    source_type: str


def megabytes(size: int) -> str:
    """A byte count as people read it in a limit ("10 MB", "2.5 MB")."""
    return f"{size / (1024 * 1024):.3g} MB"


def too_large(limit: int, *, what: str = "the photo") -> UploadTooLarge:
    """The refusal of an upload over ``limit`` bytes."""
    message = f"{what} is larger than {megabytes(limit)}"
    return UploadTooLarge(message, problems=[Problem("file", message)])


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


def _decode(data: bytes, source_type: str, limits: PhotoLimits) -> Image.Image:
    """The picture upright and in RGB, or ``InvalidInput``; the pixel count is checked first."""
    try:
        with Image.open(io.BytesIO(data), formats=[DECODERS[source_type]]) as probe:
            if probe.width * probe.height > limits.max_pixels:
                raise _refuse(
                    f"the photo has too many pixels ({probe.width} × {probe.height}; "
                    f"at most {limits.max_pixels:,} are accepted)"
                )
            probe.load()
            upright = ImageOps.exif_transpose(probe)
            return upright.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(f"the image cannot be read: {exc}") from exc


def clean(data: bytes, limits: PhotoLimits | None = None) -> CleanPhoto:
    """Check and re-encode an uploaded photo, or ``InvalidInput`` (413 if too large) saying why."""
    limits = limits or PhotoLimits()
    if len(data) > limits.max_bytes:
        raise too_large(limits.max_bytes)
    source_type = sniff(data)
    if source_type is None:
        raise _refuse("not a JPEG, PNG or WebP image")
    image = _decode(data, source_type, limits)
    image.thumbnail((limits.long_side, limits.long_side))
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


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per writer: two requests making the same thumbnail never share a file.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)  # atomic: a reader never sees half a file


def store(root: Path, *, city_id: int, photo: CleanPhoto) -> str:
    """Write a cleaned photo under ``root`` and return its path relative to it."""
    name = f"{uuid.uuid4().hex}.jpg"
    relative = Path("photos") / str(city_id) / name[:2] / name
    _write_atomically(root / relative, photo.data)
    return relative.as_posix()


def resolve(root: Path, relative: str) -> Path:
    """The file of a stored photo, refusing paths that would leave ``root``."""
    base = root.resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise _refuse("bad photo path")
    return path


def find(roots: Iterable[Path], relative: str) -> Path:
    """The stored photo's file in the first of ``roots`` that has it, or ``NotFound``.

    The media directory comes first; older installations kept photos under the data directory,
    which callers pass after it so photos stored before a move stay readable.
    """
    for root in roots:
        path = resolve(root, relative)
        if path.is_file():
            return path
    raise NotFound("the photo is missing from storage")


def thumbnail_path(relative: str, *, side: int = THUMB_SIDE) -> str:
    """Where the thumbnail of a stored photo lives: beside it, ``<name>.thumb-<side>.jpg``."""
    path = Path(relative)
    return path.with_name(f"{path.stem}.thumb-{side}.jpg").as_posix()


def thumbnail(original: Path, *, side: int = THUMB_SIDE) -> Path:
    """The thumbnail file of a stored photo (``original``), made now if missing or older."""
    target = original.with_name(Path(thumbnail_path(original.name, side=side)).name)
    if target.is_file() and target.stat().st_mtime >= original.stat().st_mtime:
        return target
    with Image.open(original) as image:
        image.draft("RGB", (side, side))  # JPEG decodes at a reduced scale: fast for 2048 px
        small = image.convert("RGB")
    small.thumbnail((side, side))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=THUMB_QUALITY, optimize=True)
    _write_atomically(target, out.getvalue())
    return target


def remove(roots: Iterable[Path], relative: str) -> int:
    """Delete a stored photo and its thumbnails wherever they are; the number of files removed.

    For retention: a complaint's photos go when its personal data does.
    """
    removed = 0
    for root in roots:
        path = resolve(root, relative)
        for found in [path, *path.parent.glob(f"{path.stem}.thumb-*.jpg")]:
            if found.is_file():
                found.unlink()
                removed += 1
    return removed
