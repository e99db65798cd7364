"""Uploaded photos: type by content, size and pixel limits, no metadata, thumbnails, storage."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from tartip.core import photos
from tartip.core.errors import InvalidInput, NotFound
from tests.ops.helpers import jpeg_with_gps

GPS_IFD = 0x8825


def _png(width: int, height: int, **text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` but whose data is a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_gps_and_camera_exif_are_gone_from_the_stored_file(tmp_path: Path):
    raw = jpeg_with_gps(640, 480)
    original = Image.open(io.BytesIO(raw)).getexif()
    assert original.get_ifd(GPS_IFD) and original[0x0110] == "Phone Model X"  # the input has both
    relative = photos.store(tmp_path, city_id=7, photo=photos.clean(raw))
    stored_bytes = (tmp_path / relative).read_bytes()
    stored = Image.open(io.BytesIO(stored_bytes))
    assert stored.format == "JPEG" and stored.size == (640, 480)
    assert not stored.getexif() and not stored.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in stored_bytes and b"Phone Model X" not in stored_bytes
    assert "exif" not in stored.info and "icc_profile" not in stored.info


def test_png_text_metadata_is_not_carried_over():
    clean = photos.clean(_png(40, 30, Author="Aigerim S.", Comment="home address"))
    assert clean.source_type == "image/png"
    assert b"Aigerim" not in clean.data and b"home address" not in clean.data
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"


def test_a_sideways_phone_photo_is_stored_upright():
    image = Image.new("RGB", (80, 40), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    clean = photos.clean(out.getvalue())
    assert (clean.width, clean.height) == (40, 80)


def test_the_type_is_read_from_the_bytes_not_the_name():
    assert photos.sniff(b"%PDF-1.7 ...") is None
    assert photos.sniff(_png(4, 4)) == "image/png"
    with pytest.raises(InvalidInput, match="not a JPEG"):
        photos.clean(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(InvalidInput, match="not a JPEG"):
        photos.clean(b"<?php system($_GET['c']); ?>")
    with pytest.raises(InvalidInput, match="cannot be read"):
        photos.clean(b"\xff\xd8\xff" + b"\x00" * 100)  # a JPEG header and nothing else
    # PNG magic in front of a JPEG body: the PNG decoder is the only one tried, and refuses it.
    with pytest.raises(InvalidInput, match="cannot be read"):
        photos.clean(b"\x89PNG\r\n\x1a\n" + jpeg_with_gps()[8:])


def test_a_photo_over_the_size_limit_is_a_413():
    with pytest.raises(photos.UploadTooLarge, match="larger than 10 MB") as caught:
        photos.clean(b"\xff\xd8\xff" + b"\x00" * photos.MAX_BYTES)
    assert caught.value.status_code == 413 and caught.value.problems[0].where == "file"
    small = photos.PhotoLimits(max_bytes=1000)
    with pytest.raises(photos.UploadTooLarge):
        photos.clean(jpeg_with_gps(400, 300), small)
    assert isinstance(caught.value, InvalidInput)  # callers that catch bad input catch this too


def test_too_many_pixels_is_refused_before_decoding():
    bomb = _png_header_only(8000, 8000)  # 64 megapixels claimed by a ~100-byte file
    assert len(bomb) < 200
    with pytest.raises(InvalidInput, match="too many pixels"):
        photos.clean(bomb)
    with pytest.raises(InvalidInput, match="too many pixels"):
        photos.clean(jpeg_with_gps(64, 48), photos.PhotoLimits(max_pixels=64 * 47))
    assert photos.clean(jpeg_with_gps(64, 48), photos.PhotoLimits(max_pixels=64 * 48)).width == 64


def test_big_photos_are_made_smaller_to_the_configured_side():
    clean = photos.clean(_png(3000, 1000))
    assert (clean.width, clean.height) == (photos.LONG_SIDE, 683)
    clean = photos.clean(_png(3000, 1000), photos.PhotoLimits(long_side=1200))
    assert (clean.width, clean.height) == (1200, 400)


def test_a_thumbnail_lives_beside_its_photo_and_is_made_once(tmp_path: Path):
    relative = photos.store(tmp_path, city_id=1, photo=photos.clean(jpeg_with_gps(1600, 1200)))
    original = photos.resolve(tmp_path, relative)
    thumb = photos.thumbnail(original)
    assert thumb == photos.resolve(tmp_path, photos.thumbnail_path(relative))
    assert thumb.parent == original.parent and thumb.name.endswith(".thumb-320.jpg")
    with Image.open(thumb) as small:
        assert small.format == "JPEG" and small.size == (320, 240) and not small.getexif()
    made = thumb.stat().st_mtime_ns
    assert photos.thumbnail(original) == thumb and thumb.stat().st_mtime_ns == made  # reused
    bigger = photos.thumbnail(original, side=480)
    assert bigger != thumb and _size(bigger) == (480, 360)


def test_a_thumbnail_older_than_its_photo_is_made_again(tmp_path: Path):
    relative = photos.store(tmp_path, city_id=1, photo=photos.clean(jpeg_with_gps(800, 600)))
    original = photos.resolve(tmp_path, relative)
    thumb = photos.thumbnail(original)
    thumb.write_bytes(b"stale")
    os.utime(thumb, (1, 1))
    assert _size(photos.thumbnail(original)) == (320, 240)


def test_paths_cannot_leave_the_storage_root(tmp_path: Path):
    with pytest.raises(InvalidInput, match="bad photo path"):
        photos.resolve(tmp_path, "../../etc/passwd")
    with pytest.raises(InvalidInput, match="bad photo path"):
        photos.find([tmp_path], "/etc/passwd")


def test_photos_are_found_in_the_media_directory_then_the_old_one(tmp_path: Path):
    media, legacy = tmp_path / "media", tmp_path / "data"
    old = photos.store(legacy, city_id=1, photo=photos.clean(jpeg_with_gps()))
    new = photos.store(media, city_id=1, photo=photos.clean(jpeg_with_gps()))
    assert photos.find([media, legacy], old) == (legacy / old).resolve()
    assert photos.find([media, legacy], new) == (media / new).resolve()
    with pytest.raises(NotFound):
        photos.find([media], old)


def test_remove_deletes_the_photo_and_its_thumbnails(tmp_path: Path):
    relative = photos.store(tmp_path, city_id=1, photo=photos.clean(jpeg_with_gps(800, 600)))
    other = photos.store(tmp_path, city_id=1, photo=photos.clean(jpeg_with_gps(800, 600)))
    photos.thumbnail(photos.resolve(tmp_path, relative))
    photos.thumbnail(photos.resolve(tmp_path, relative), side=100)
    assert photos.remove([tmp_path], relative) == 3
    assert not (tmp_path / relative).exists()
    assert list(tmp_path.rglob("*.jpg")) == [(tmp_path / other)]
    assert photos.remove([tmp_path], relative) == 0
