"""One way to report a failure: logged with its context, and a short message for the user."""

from __future__ import annotations

import logging

from bot.errors import BotError, NotFound
from bot.i18n import t

log = logging.getLogger(__name__)


def log_failure(where: str, error: Exception) -> None:
    """Log ``error`` with ``where`` it happened: expected ones briefly, others with traceback."""
    if isinstance(error, BotError):
        log.warning("%s: %s", where, error)
    else:
        log.error("%s failed: %s", where, error, exc_info=error)


def user_message(error: Exception, lang: str, otherwise: str = "action_failed") -> str:
    """What to tell the user about ``error``, in ``lang``; never internals. An unexpected
    error gets the message ``otherwise`` names."""
    if isinstance(error, NotFound):
        return t("not_found", lang)
    if isinstance(error, BotError):
        return str(error)
    return t(otherwise, lang)
