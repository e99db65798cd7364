"""Texts Tartip writes to complainants, in their language: receipts, answers, automatic answers.

Each text is an English msgid translated through the complaints catalogue (``complaints.po``), with
``{named}`` fields filled after translation. Times are shown in the city's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tartip.core.clock import to_city_time
from tartip.core.i18n import LOCALES, catalogue

RECEIPT_SUBJECT = "Your complaint {reference} was received"
RECEIPT_BODY = (
    "Thank you. Your complaint was received and has the reference number {reference}.\n"
    "We will answer by {due}.\n"
    "You can follow it here: {url}\n"
)
ANSWER_SUBJECT = "Answer to your complaint {reference}"
RESOLVED_BODY = "Your complaint {reference} is resolved.\n\n{answer}\n\nStatus: {url}\n"
REJECTED_BODY = (
    "Your complaint {reference} was not accepted.\n\nThe reason: {answer}\n\nStatus: {url}\n"
)
RETENTION_NOTE = (
    "Your contact details are kept only to answer you and are removed {days} days after the "
    "complaint is closed."
)
TASK_DONE = "Our scout came to the place on {date} at {time} and put the vehicles there in order."
TASK_COUNT = "Vehicles put in order: {count}."
TASK_NOTE = "The scout's note: {notes}"
TASK_COULD_NOT = "The scout could not do the task: {reason}"
TASK_CANCELLED = "The scout's task was withdrawn: {reason}"
HANDOVER_COLLECTED = (
    "We handed the damaged vehicle over to its company (handover {reference}). The company took "
    "it off the street on {date} at {time}."
)
HANDOVER_RESOLVED = (
    "We handed the damaged vehicle over to its company (handover {reference}). On {date} at "
    "{time} the company reported that it had dealt with it."
)
HANDOVER_CANCELLED = "The damage handover {reference} was withdrawn: {reason}"
SIGNATURE = "The unified micromobility operator"
# Every msgid above, for the translation test.
ALL = (
    RECEIPT_SUBJECT,
    RECEIPT_BODY,
    ANSWER_SUBJECT,
    RESOLVED_BODY,
    REJECTED_BODY,
    RETENTION_NOTE,
    TASK_DONE,
    TASK_COUNT,
    TASK_NOTE,
    TASK_COULD_NOT,
    TASK_CANCELLED,
    HANDOVER_COLLECTED,
    HANDOVER_RESOLVED,
    HANDOVER_CANCELLED,
    SIGNATURE,
)


def text(locale: str, msgid: str, **fields: object) -> str:
    """``msgid`` translated to ``locale`` with its fields filled."""
    chosen = locale if locale in LOCALES else "ru"
    return catalogue(chosen).gettext(msgid).format(**fields)


@dataclass(frozen=True)
class Mail:
    """A message ready for the outbox."""

    subject: str
    body: str


def receipt(
    locale: str, *, reference: str, due_at: datetime, timezone: str, url: str, days: int
) -> Mail:
    """The receipt sent when a complaint arrives (with consent and an address)."""
    due = to_city_time(due_at, timezone).strftime("%d.%m.%Y %H:%M")
    body = text(locale, RECEIPT_BODY, reference=reference, due=due, url=url)
    body += "\n" + text(locale, RETENTION_NOTE, days=days) + "\n\n" + text(locale, SIGNATURE)
    return Mail(text(locale, RECEIPT_SUBJECT, reference=reference), body)


def answer(locale: str, *, reference: str, resolved: bool, answer: str, url: str) -> Mail:
    """The answer sent when a complaint is resolved or rejected."""
    template = RESOLVED_BODY if resolved else REJECTED_BODY
    body = text(locale, template, reference=reference, answer=answer, url=url)
    body += "\n" + text(locale, SIGNATURE)
    return Mail(text(locale, ANSWER_SUBJECT, reference=reference), body)


def task_answer(
    locale: str, *, finished_at: datetime, timezone: str, count: int, notes: str
) -> str:
    """The answer written for a complaint a scout's finished task resolved."""
    local = to_city_time(finished_at, timezone)
    parts = [text(locale, TASK_DONE, date=f"{local:%d.%m.%Y}", time=f"{local:%H:%M}")]
    if count > 0:
        parts.append(text(locale, TASK_COUNT, count=count))
    if notes.strip():
        parts.append(text(locale, TASK_NOTE, notes=notes.strip()))
    return " ".join(parts)


def handover_answer(
    locale: str, *, reference: str, collected: bool, at: datetime, timezone: str
) -> str:
    """The answer written for a complaint whose damaged vehicle its company collected (or, without
    a collection on record, reported dealt with). The company is not named: every company the
    complaint was sent to reads the answer."""
    local = to_city_time(at, timezone)
    template = HANDOVER_COLLECTED if collected else HANDOVER_RESOLVED
    return text(
        locale, template, reference=reference, date=f"{local:%d.%m.%Y}", time=f"{local:%H:%M}"
    )
