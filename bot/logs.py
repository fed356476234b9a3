"""Logging: one format, one level from the settings, secrets redacted from every record."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")


class RedactSecrets(logging.Filter):
    """Replace Slack tokens and the given secrets in every log record with '[redacted]'."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a library's bad format: show both parts, redacted
            message = f"{record.msg!r} % {record.args!r} (the arguments do not fit the format)"
            record.msg, record.args = message, None
        clean = self.redacted(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:  # the traceback, as handlers would add it
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text, record.exc_info = self.redacted(record.exc_text), None
        if record.stack_info:
            record.stack_info = self.redacted(record.stack_info)
        return True

    def redacted(self, text: str) -> str:
        """``text`` with tokens and secrets replaced."""
        clean = _TOKEN.sub(r"\1-[redacted]", text)
        for secret in self.secrets:
            clean = clean.replace(secret, "[redacted]")
        return clean


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log at ``level`` in socialbot's format (once per process), with Slack tokens and
    ``secrets`` redacted from every record of every handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    redact = RedactSecrets(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
