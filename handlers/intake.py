"""Accept a question from Slack into the durable intake, before the ack goes out."""

from __future__ import annotations

import logging
import sqlite3
import threading

from slack_sdk import WebClient

from bot.health import HealthCheck
from bot.i18n import t
from bot.intake import Request
from bot.knowledge.text import detect_language
from bot.services import Services

log = logging.getLogger(__name__)


def accept(services: Services, health: HealthCheck, request: Request) -> bool | None:
    """Store ``request``: True when accepted, False when its key was seen before (a replay
    or retry), None when it could not be stored (logged, and ``/healthz`` turns 503)."""
    try:
        return services.intake.accept(request)
    except sqlite3.Error as error:
        log.error(
            "a question from %s in %s (%s) could not be stored: %s",
            request.user_id,
            request.channel_id,
            request.surface,
            error,
        )
        health.note_failure(f"a question could not be stored: {error}")
        return None


def failure_text(services: Services, request: Request) -> str:
    """What to tell the asker of a question that could not be stored, in its language."""
    return t("intake_failed", detect_language(request.text, services.settings.default_lang))


def tell_asker(client: WebClient, services: Services, request: Request) -> None:
    """Tell the asker of a mention or DM that their question could not be stored, from a
    thread of its own (the ack goes out meanwhile); a failure here is only logged."""

    def post() -> None:
        try:
            client.chat_postMessage(
                channel=request.channel_id,
                thread_ts=request.thread_ts,
                text=failure_text(services, request),
            )
        except Exception as error:  # noqa: BLE001 - Slack is failing too; logged
            log.warning("could not tell %s either: %s", request.user_id, error)

    threading.Thread(target=post, name="tell-asker", daemon=True).start()
