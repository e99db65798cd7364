"""Messages Tartip sends out: e-mail through the configured SMTP server, kept in an outbox until
sent.
"""
