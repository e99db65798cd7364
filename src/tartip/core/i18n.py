"""Translations of the UI text: Russian, Kazakh and English.

The catalogues are gettext ``.po`` files under ``tartip/locales/<locale>/LC_MESSAGES``: the
shared ``messages.po`` and one file per domain (``complaints.po``, ``damage.po``, …), merged into
one catalogue per locale. They are read with Babel at start-up, so there is no compiled ``.mo``
file to keep in step.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("ru", "kk", "en")
LOCALE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"


class Catalogue:
    """The translated messages of one locale; unknown messages come back as written (English)."""

    def __init__(self, messages: dict[str, str]) -> None:
        self._messages = messages

    def gettext(self, message: str) -> str:
        """The translation of ``message``."""
        return self._messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translation of a message with a count (plural forms resolved by the catalogue)."""
        return self._messages.get(singular if n == 1 else plural) or (
            singular if n == 1 else plural
        )


def catalogue_files(locale: str) -> list[Path]:
    """The ``.po`` files of ``locale``: ``messages.po`` first, then the domains' in name order."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    if locale not in LOCALES or not folder.is_dir():
        return []
    return sorted(folder.glob("*.po"), key=lambda path: (path.name != "messages.po", path.name))


def read_messages(locale: str) -> dict[str, str]:
    """Every translated message of ``locale``, from all of its catalogue files."""
    messages: dict[str, str] = {}
    for path in catalogue_files(locale):
        with path.open("rb") as fh:
            po = read_po(fh, locale=locale)
        for m in po:
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string:
                messages.setdefault(m.id, m.string)
    return messages


@cache
def catalogue(locale: str) -> Catalogue:
    """The catalogue for ``locale``."""
    return Catalogue(read_messages(locale))


def pick_locale(accept_language: str | None, default: str) -> str:
    """The best of our locales for an ``Accept-Language`` header, else ``default``."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return default
