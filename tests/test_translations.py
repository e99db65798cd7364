"""Every UI text in the templates has a Russian and a Kazakh translation."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from jinja2.ext import babel_extract

from tartip.core.i18n import read_messages
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
