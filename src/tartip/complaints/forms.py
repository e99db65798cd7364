"""The complaint forms (the public one, staff's entry): what was typed, read into the API schema.

A form that cannot be read raises ``InvalidInput`` whose problems name the field with one of the
sentences below, which the templates translate; what was typed goes back into the form. Times are
typed in city time (``datetime-local``) and leave here aware.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from tartip.complaints.enums import ComplaintCategory, ComplaintSource
from tartip.complaints.schemas import ComplaintCreate
from tartip.core.errors import InvalidInput, Problem, TartipError

NO_CATEGORY = "Choose what the complaint is about."
NO_PLACE = "Put a pin on the map or use your location."
OUTSIDE = "The place must be inside the city."
BAD_TIME = "Type a date and time, not in the future."
BAD_EMAIL = "Type an e-mail address like name@example.kz."
BAD_PHONE = "Type a phone number: digits, spaces and + - ( )."
TOO_LONG = "This text is too long."
NO_SOURCE = "Choose who the complaint came from."
PHOTO_TOO_LARGE = "The photo is too large. Choose a smaller one."
PHOTO_NOT_IMAGE = "The file is not a photo we can read (JPEG, PNG or WebP)."
PHOTO_AGAIN = "Choose the photo again: a browser cannot keep it after an error."
TOO_MANY = "Too many complaints were sent from your address. Please try again later."
NOT_ACCEPTED = "The form could not be accepted."
MESSAGES = (
    NO_CATEGORY, NO_PLACE, OUTSIDE, BAD_TIME, BAD_EMAIL, BAD_PHONE, TOO_LONG, NO_SOURCE,
    PHOTO_TOO_LARGE, PHOTO_NOT_IMAGE, PHOTO_AGAIN, TOO_MANY, NOT_ACCEPTED,
)  # fmt: skip
# The sentence shown for a field the service refused.
BY_FIELD = {
    "category": NO_CATEGORY,
    "lon": OUTSIDE,
    "lat": OUTSIDE,
    "occurred_at": BAD_TIME,
    "contact_email": BAD_EMAIL,
    "contact_phone": BAD_PHONE,
    "description": TOO_LONG,
    "address": TOO_LONG,
    "contact_name": TOO_LONG,
    "source": NO_SOURCE,
}


@dataclass(frozen=True)
class ComplaintForm:
    """What a person typed into a complaint form (all text, as typed)."""

    category: str = ""
    lon: str = ""
    lat: str = ""
    address: str = ""
    occurred_at: str = ""
    description: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_consent: bool = False
    source: str = ""

    def values(self) -> dict[str, Any]:
        """The typed values, for the template."""
        return asdict(self)

    def to_create(self, *, timezone: str, locale: str, staff: bool) -> ComplaintCreate:
        """The API schema of this form, or ``InvalidInput`` with a sentence per field."""
        problems: list[Problem] = []
        if self.category not in {c.value for c in ComplaintCategory}:
            problems.append(Problem("category", NO_CATEGORY))
        lon, lat = _number(self.lon), _number(self.lat)
        if lon is None or lat is None:
            problems.append(Problem("place", NO_PLACE))
        occurred = _local_time(self.occurred_at, timezone, problems)
        source = None
        if staff:
            if self.source not in {s.value for s in ComplaintSource}:
                problems.append(Problem("source", NO_SOURCE))
            else:
                source = ComplaintSource(self.source)
        if problems:
            raise InvalidInput("the form is not complete", problems=problems)
        try:
            return ComplaintCreate(
                category=ComplaintCategory(self.category), lon=lon, lat=lat,
                occurred_at=occurred, address=self.address, description=self.description,
                source=source, contact_name=self.contact_name, contact_email=self.contact_email,
                contact_phone=self.contact_phone, contact_consent=self.contact_consent,
                locale=locale,
            )  # fmt: skip
        except ValidationError as exc:
            raise InvalidInput(
                "the form is not valid",
                problems=[Problem(str(e["loc"][0]), "") for e in exc.errors() if e["loc"]],
            ) from exc


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _local_time(text: str, timezone: str, problems: list[Problem]) -> datetime | None:
    if not text.strip():
        return None
    try:
        typed = datetime.fromisoformat(text.strip())
    except ValueError:
        problems.append(Problem("occurred_at", BAD_TIME))
        return None
    return typed if typed.tzinfo else typed.replace(tzinfo=ZoneInfo(timezone))


def field_errors(error: TartipError) -> dict[str, str]:
    """An error as the form shows it: a translated sentence per field, else one for the form."""
    found: dict[str, str] = {}
    for p in error.problems:
        if p.where == "file":
            found["photo"] = PHOTO_TOO_LARGE if "larger" in p.message else PHOTO_NOT_IMAGE
        elif p.where in ("place",) or p.message in MESSAGES:
            found[p.where] = p.message
        else:
            found[p.where] = BY_FIELD.get(p.where, NOT_ACCEPTED)
    return found or {"form": NOT_ACCEPTED}
