"""Contact details and photos are removed a set time after a complaint closed; a re-opened
complaint keeps them until it closes again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.complaints import retention
from tartip.complaints import service as complaints
from tartip.complaints.enums import ComplaintAction
from tartip.complaints.models import ComplaintPhoto
from tartip.complaints.schemas import StatusChange
from tartip.core.clock import utcnow
from tests.complaints.helpers import config, file, staff_scope
from tests.ops.helpers import jpeg_with_gps


def close(db: Session, city: City, reference: str, action: ComplaintAction, text: str) -> None:
    complaints.change_status(
        db, scope=staff_scope(city), reference=reference,
        data=StatusChange(action=action, text=text), config=config(),
    )  # fmt: skip


def test_contacts_and_photos_go_after_the_retention_time(db: Session, city: City, tmp_path: Path):
    cfg = config(tmp_path)
    done = file(db, city, email="aigul@example.kz", consent=True, cfg=cfg)
    photo = complaints.add_photo(db, scope=None, complaint=done, data=jpeg_with_gps(), config=cfg)
    assert (tmp_path / photo.path).is_file()
    still_open = file(db, city, email="bolat@example.kz", consent=True, cfg=cfg)
    close(db, city, done.reference, ComplaintAction.resolve, "Убрано")
    reopened = file(db, city, email="dana@example.kz", consent=True, cfg=cfg)
    close(db, city, reopened.reference, ComplaintAction.reject, "Повтор")
    close(db, city, reopened.reference, ComplaintAction.reopen, "Не повтор")
    now = utcnow()
    # Not yet: closed less than the retention time ago.
    assert retention.remove_contacts(
        db, city_id=city.id, closed_before=now - timedelta(days=90), at=now, roots=[tmp_path]
    ) == 0  # fmt: skip
    later = now + timedelta(days=91)
    removed = retention.remove_contacts(
        db, city_id=city.id, closed_before=later - timedelta(days=90), at=later, roots=[tmp_path]
    )
    assert removed == 1
    assert (done.contact_name, done.contact_email, done.contact_consent) == ("", "", False)
    assert done.contact_removed_at == later and done.answer == "Убрано"
    assert not (tmp_path / photo.path).exists()
    assert db.scalars(select(ComplaintPhoto)).all() == []
    assert still_open.contact_email == "bolat@example.kz"
    assert reopened.contact_email == "dana@example.kz"
