"""The Jinja2 environment of the web UI: translations, city-time filters, static URLs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tartip.core.clock import to_city_time
from tartip.core.i18n import LOCALE_NAMES, LOCALES, catalogue

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.add_extension("jinja2.ext.i18n")


def _city_time(moment: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if moment is None:
        return "—"
    return to_city_time(moment, timezone).strftime(fmt)


templates.env.filters["city_time"] = _city_time


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    locale: str,
    timezone: str,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page in the caller's locale, with times shown in the city's time zone."""
    cat = catalogue(locale)
    context = {
        **context,
        "locale": locale,
        "locales": LOCALES,
        "locale_names": LOCALE_NAMES,
        "timezone": timezone,
        "_": cat.gettext,
        "gettext": cat.gettext,
        "ngettext": cat.ngettext,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)
