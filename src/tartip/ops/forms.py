"""The staff and roster pages' forms: what was typed, parsed to the API's schemas.

Times are typed in city time as ``YYYY-MM-DDTHH:MM`` (a ``datetime-local`` field) and leave here
aware, so the services store UTC. A form that cannot be read raises ``InvalidInput`` whose
problems name the field with one of the sentences below; the templates translate them. No
database and no web framework: ``pages_staff.py`` renders what this returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tartip.core.errors import InvalidInput, Problem, TartipError
from tartip.ops.enums import TravelMode
from tartip.ops.schemas import PHONE_PATTERN, ShiftCreate, ShiftRead, ShiftUpdate, StaffUpdate

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
NOTE_MAX = 2000
NAME_MAX = 200
BAD_TIME = "Type a date and time."
NO_PERSON = "Choose a person."
BAD_ZONE = "Choose duty zones from the list."
BAD_EVENT = "Choose a mass event from the list."
TOO_LONG_TEXT = "This text is too long."
NO_NAME = "Type a name."
BAD_MODE = "Choose how the person moves."
BAD_TEAM = "Choose a team from the list."
BAD_PHONE = "Type a phone number: digits, spaces and + - ( )."
MESSAGES = (
    BAD_TIME,
    NO_PERSON,
    BAD_ZONE,
    BAD_EVENT,
    TOO_LONG_TEXT,
    NO_NAME,
    BAD_MODE,
    BAD_TEAM,
    BAD_PHONE,
)


def local_text(moment: datetime, timezone: str) -> str:
    """An aware moment as a ``datetime-local`` field shows it in city time."""
    return moment.astimezone(ZoneInfo(timezone)).strftime(LOCAL_FORMAT)


def field_errors(error: TartipError) -> dict[str, str]:
    """An error as the form shows it: a sentence per field, else one for the whole form."""
    found = {p.where: p.message for p in error.problems if p.message}
    return found or {"form": error.message}


class _Reader:
    """Reads typed text into values, keeping a problem per field it could not read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def whole(self, where: str, text: str, message: str, *, required: bool) -> int | None:
        text = text.strip()
        if not text:
            if required:
                self.problems.append(Problem(where, message))
            return None
        try:
            return int(text)
        except ValueError:
            self.problems.append(Problem(where, message))
            return None

    def moment(self, where: str, text: str, timezone: str) -> datetime | None:
        try:
            typed = datetime.fromisoformat(text.strip())
        except ValueError:
            self.problems.append(Problem(where, BAD_TIME))
            return None
        return typed.replace(tzinfo=ZoneInfo(timezone), second=0, microsecond=0)

    def text(self, where: str, text: str, limit: int) -> str:
        if len(text) > limit:
            self.problems.append(Problem(where, TOO_LONG_TEXT))
        return text.strip()

    def done(self, what: str) -> None:
        if self.problems:
            raise InvalidInput(f"the {what} is not valid", problems=self.problems)


@dataclass(frozen=True)
class ShiftForm:
    """A shift as the roster form holds it: every field as typed, times in city time."""

    user_id: str = ""
    starts_at: str = ""
    ends_at: str = ""
    zone_ids: tuple[str, ...] = ()
    city_event_id: str = ""
    note: str = ""

    @classmethod
    def for_day(cls, day: date, *, user_id: str = "") -> ShiftForm:
        """An empty form for ``day``: 09:00 to 18:00."""
        return cls(
            user_id=user_id,
            starts_at=datetime.combine(day, time(9, 0)).strftime(LOCAL_FORMAT),
            ends_at=datetime.combine(day, time(18, 0)).strftime(LOCAL_FORMAT),
        )

    @classmethod
    def of(cls, shift: ShiftRead, timezone: str) -> ShiftForm:
        """The form of an existing shift, to change it."""
        return cls(
            user_id=str(shift.user_id),
            starts_at=local_text(shift.starts_at, timezone),
            ends_at=local_text(shift.ends_at, timezone),
            zone_ids=tuple(str(z) for z in shift.zone_ids),
            city_event_id=str(shift.city_event_id or ""),
            note=shift.note,
        )

    def has_zone(self, zone_id: int) -> bool:
        """Whether the form ticks this duty zone."""
        return str(zone_id) in self.zone_ids

    def _values(self, timezone: str) -> dict[str, Any]:
        read = _Reader()
        zones = [read.whole("zone_ids", z, BAD_ZONE, required=True) for z in self.zone_ids]
        values = {
            "user_id": read.whole("user_id", self.user_id, NO_PERSON, required=True),
            "starts_at": read.moment("starts_at", self.starts_at, timezone),
            "ends_at": read.moment("ends_at", self.ends_at, timezone),
            "zone_ids": [z for z in zones if z is not None],
            "city_event_id": read.whole(
                "city_event_id", self.city_event_id, BAD_EVENT, required=False
            ),
            "note": read.text("note", self.note, NOTE_MAX),
        }
        read.done("shift")
        return values

    def to_create(self, timezone: str) -> ShiftCreate:
        """The new shift this form describes, or ``InvalidInput``."""
        return ShiftCreate(**self._values(timezone))

    def to_update(self, timezone: str) -> ShiftUpdate:
        """The shift as this form now describes it (every field set), or ``InvalidInput``."""
        return ShiftUpdate(**self._values(timezone))


@dataclass(frozen=True)
class StaffForm:
    """One person's field profile as the staff page's row holds it."""

    team_id: str = ""
    travel_mode: str = TravelMode.on_foot.value
    phone: str = ""

    def to_update(self) -> StaffUpdate:
        """The profile this row describes (every field set), or ``InvalidInput``."""
        read = _Reader()
        team_id = read.whole("team_id", self.team_id, BAD_TEAM, required=False)
        if self.travel_mode not in {m.value for m in TravelMode}:
            read.problems.append(Problem("travel_mode", BAD_MODE))
        phone = self.phone.strip()
        if len(phone) > 32 or not re.fullmatch(PHONE_PATTERN, phone):
            read.problems.append(Problem("phone", BAD_PHONE))
        read.done("profile")
        return StaffUpdate(
            team_id=team_id, travel_mode=TravelMode(self.travel_mode), phone=phone or None
        )


def team_name(text: str) -> str:
    """A team's name as typed, or ``InvalidInput``."""
    read = _Reader()
    name = read.text("name", text, NAME_MAX)
    if not name:
        read.problems.append(Problem("name", NO_NAME))
    read.done("team")
    return name
