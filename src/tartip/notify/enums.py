"""The vocabulary of outbound messages."""

from enum import StrEnum


class EmailStatus(StrEnum):
    """Where an outbound e-mail is: queued (waiting or retrying) → sent, or failed for good."""

    queued = "queued"
    sent = "sent"
    failed = "failed"  # every attempt failed, or the SMTP server refused the message for good
