"""Every UI text in the templates has a Russian and a Kazakh translation."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from tartip.core.i18n import catalogue_files, read_messages
from tartip.web.templating import TEMPLATES_DIR

CHECKED_LOCALES = ("ru", "kk")
KEYWORDS = ("_", "gettext", "ngettext")


def templates() -> list[Path]:
    """The templates whose texts must be translated: all of them."""
    return sorted(TEMPLATES_DIR.rglob("*.html"))


def msgids(template: Path) -> list[tuple[int, str]]:
    """Each message of a template with its line, as Babel's Jinja2 extractor finds them."""
    found: list[tuple[int, str]] = []
    with template.open("rb") as fh:
        options = {"extensions": "jinja2.ext.i18n"}
        for lineno, _func, message, _comments in babel_extract(fh, KEYWORDS, [], options):
            texts = message if isinstance(message, tuple) else (message,)
            found += [(lineno, text) for text in texts if text]
    return found


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The translations of a locale's catalogue files (shared and per domain), by message."""
    return read_messages(locale)


def test_the_templates_have_texts_to_check():
    checked = {path.relative_to(TEMPLATES_DIR).parts[0] for path in templates()}
    assert {"zones", "compliance", "events", "auth", "fleet", "feeds", "base.html"} <= checked
    assert sum(len(msgids(path)) for path in templates()) > 200


@pytest.mark.parametrize("locale", CHECKED_LOCALES)
def test_every_template_text_is_translated(locale: str):
    translations = catalogue(locale)
    missing = [
        f"{path.relative_to(TEMPLATES_DIR)}:{lineno}: {text!r}"
        for path in templates()
        for lineno, text in msgids(path)
        if not translations.get(text, "").strip()
    ]
    assert missing == [], f"{len(missing)} texts have no {locale} translation:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("locale", CHECKED_LOCALES)
def test_no_message_has_two_translations_across_the_catalogues(locale: str):
    """The merge keeps the first catalogue's translation, so a second one would be silently lost.

    One English text means one thing: where a domain means something else, it needs its own
    msgid (e.g. "People on shift" beside the admin's "People").
    """
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in catalogue_files(locale):
        with path.open("rb") as fh:
            for m in read_po(fh, locale=locale):
                if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string:
                    found[m.id][m.string].append(path.name)
    conflicts = [
        f"{msgid!r}: " + "; ".join(f"{', '.join(files)}: {text!r}" for text, files in by.items())
        for msgid, by in found.items()
        if len(by) > 1
    ]
    assert conflicts == [], f"{len(conflicts)} {locale} texts have two translations:\n" + (
        "\n".join(conflicts)
    )
