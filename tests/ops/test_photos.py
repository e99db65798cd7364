"""Proof-of-work photos over the API: refused by content, size-limited before the body is read,
stored without EXIF in the media directory, served whole or as a thumbnail.

The checks themselves are tested in ``tests/core/test_photos.py``.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.ops.enums import TaskState
from tartip.ops.schemas import PhotoRead
from tartip.settings import Settings
from tests import builders
from tests.ops.helpers import jpeg_with_gps, make_staff, make_task


def _upload(
    client: TestClient,
    headers: dict[str, str],
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


def _scout_headers(db: Session, city: City) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.token_for(db, make_staff(db, city))}"}


def _multipart(data: bytes, boundary: str = "tartip-test-boundary") -> tuple[bytes, str]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="client_id"\r\n\r\n'
        f"{uuid.uuid4()}\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    app_client: TestClient, db: Session, city: City, settings: Settings
):
    settings.upload_max_bytes = 50_000
    headers = _scout_headers(db, city)
    big = _upload(app_client, headers, b"\xff\xd8\xff" + b"\x00" * 60_000)
    assert big.status_code == 413, big.text
    assert big.json()["code"] == "too_large" and "larger than" in big.json()["message"]
    # No Content-Length (a chunked body): counted while it streams, and cut off at the limit.
    body, boundary = _multipart(b"\xff\xd8\xff" + b"\x00" * 60_000)
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    streamed = app_client.post(
        "/api/v1/ops/photos",
        content=chunks,
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413 and streamed.json()["code"] == "too_large", streamed.text
    assert not (settings.data_dir / "photos").exists()
    small = _upload(app_client, headers, jpeg_with_gps())
    assert small.status_code == 201, small.text  # under the limit all is as before


def test_a_photo_over_its_own_limit_is_a_413_on_the_file(
    app_client: TestClient, db: Session, city: City, settings: Settings
):
    settings.photo_max_bytes = 2_000
    response = _upload(app_client, _scout_headers(db, city), jpeg_with_gps(400, 300))
    assert response.status_code == 413, response.text
    assert response.json()["problems"] == [
        {"where": "file", "message": "the photo is larger than 0.00191 MB"}
    ]


def test_photos_go_to_the_media_directory_and_old_ones_stay_readable(
    app_client: TestClient, db: Session, city: City, settings: Settings, tmp_path: Path
):
    headers = _scout_headers(db, city)
    before = PhotoRead.model_validate(_upload(app_client, headers, jpeg_with_gps(800, 600)).json())
    settings.media_dir = tmp_path / "media"
    after = PhotoRead.model_validate(_upload(app_client, headers, jpeg_with_gps(800, 600)).json())
    assert len(list((tmp_path / "media" / "photos").rglob("*.jpg"))) == 1
    for photo in (before, after):
        whole = app_client.get(photo.url, headers=headers)
        assert whole.status_code == 200 and _size(whole.content) == (800, 600)
        thumb = app_client.get(f"{photo.url}?thumb=true", headers=headers)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert _size(thumb.content) == (320, 240)
        assert thumb.headers["x-content-type-options"] == "nosniff"
    # Each thumbnail was written beside its own photo, wherever that is.
    assert len(list((tmp_path / "media").rglob("*.thumb-320.jpg"))) == 1
    assert len(list((settings.data_dir / "photos").rglob("*.thumb-320.jpg"))) == 1


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
