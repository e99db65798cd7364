"""Proof-of-work photos: refused by content when not an image, size-limited, stored without EXIF."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core import photos
from tartip.core.errors import InvalidInput
from tartip.ops.enums import TaskState
from tartip.ops.schemas import PhotoRead
from tests import builders
from tests.ops.helpers import jpeg_with_gps, make_staff, make_task


def test_exif_and_gps_are_removed_by_re_encoding():
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the input does carry GPS
    clean = photos.clean(raw)
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "JPEG" and not stored.getexif() and b"Exif" not in clean.data[:200]
    assert b"Phone Model X" not in clean.data
    assert (clean.width, clean.height) == (64, 48)


def test_the_type_is_read_from_the_bytes_not_the_name():
    assert photos.sniff(b"%PDF-1.7 ...") is None
    with pytest.raises(InvalidInput, match="not a JPEG"):
        photos.clean(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(InvalidInput, match="cannot be read"):
        photos.clean(b"\xff\xd8\xff" + b"\x00" * 100)  # a JPEG header and nothing else


def test_large_photos_are_refused_and_big_ones_made_smaller():
    with pytest.raises(InvalidInput, match="larger than"):
        photos.clean(b"\xff\xd8\xff" + b"\x00" * photos.MAX_BYTES)
    out = io.BytesIO()
    Image.new("RGB", (3000, 1000), "white").save(out, format="PNG")
    clean = photos.clean(out.getvalue())
    assert (clean.width, clean.height) == (photos.LONG_SIDE, 683)


def test_paths_cannot_leave_the_data_directory(tmp_path):
    with pytest.raises(InvalidInput):
        photos.resolve(tmp_path, "../../etc/passwd")


def _upload(
    client: TestClient,
    headers: dict,
    data: bytes,
    *,
    client_id: str | None = None,
    task_id: int | None = None,
    filename: str = "p.jpg",
):
    form = {"client_id": client_id or str(uuid.uuid4()), "stage": "after"}
    if task_id is not None:
        form["task_id"] = str(task_id)
    return client.post(
        "/api/v1/ops/photos",
        files={"file": (filename, data, "image/jpeg")},
        data=form,
        headers=headers,
    )


def test_upload_over_the_api(app_client: TestClient, db: Session, city: City, settings):
    scout = make_staff(db, city)
    task = make_task(db, city, scout=scout, state=TaskState.in_progress)
    headers = {"Authorization": f"Bearer {builders.token_for(db, scout)}"}
    client_id = str(uuid.uuid4())
    first = _upload(app_client, headers, jpeg_with_gps(), client_id=client_id, task_id=task.id)
    assert first.status_code == 201, first.text
    photo = PhotoRead.model_validate(first.json())
    again = _upload(app_client, headers, jpeg_with_gps(), client_id=client_id, task_id=task.id)
    assert again.json()["id"] == photo.id  # a retried upload is stored once
    files = list((settings.data_dir / "photos").rglob("*.jpg"))
    assert len(files) == 1 and b"Phone Model X" not in files[0].read_bytes()
    served = app_client.get(photo.url, headers=headers)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(served.content)).getexif()
    fake = _upload(app_client, headers, b"<?php echo 1; ?>", filename="photo.jpg")
    assert fake.status_code == 422 and fake.json()["problems"][0]["where"] == "file"
    other = make_staff(db, city)
    foreign = _upload(
        app_client,
        {"Authorization": f"Bearer {builders.token_for(db, other)}"},
        jpeg_with_gps(),
        task_id=task.id,
    )
    assert foreign.status_code == 404  # another scout's task
