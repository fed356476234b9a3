"""Build the Bolt app: the listeners, replay protection, one error handler."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient

from bot.health import HealthCheck
from bot.services import Services
from handlers import actions, commands, escalations, events, home, lessons, pilots, teaching
from handlers.failures import log_failure

log = logging.getLogger(__name__)


def build_app(services: Services, client: WebClient, health: HealthCheck, workers: int = 4) -> App:
    """The socialbot Slack app over ``services``: listeners accept questions into the
    intake (workers answer them) and answer buttons; ``health`` hears of storage failures.

    Call ``settings.require_slack`` first.
    """
    settings = services.settings
    bolt_logger = logging.getLogger("slack_bolt")
    bolt_logger.addFilter(_not_the_token_warning)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        token_verification_enabled=False,
        # Listeners ack in the request thread; their slow part runs lazily after the ack.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work"),
        logger=bolt_logger,
    )
    app.middleware(_once_per_request(services))
    app.middleware(_note_rate_limits)
    commands.register(app, services, health)
    events.register(app, services, health)
    actions.register(app, services, health)
    escalations.register(app, services, health)
    home.register(app, services)
    teaching.register(app, services)
    pilots.register(app, services)
    lessons.register(app, services)
    _acknowledge_the_rest(app)
    app.error(_on_error(services, health))
    return app


def _acknowledge_the_rest(app: App) -> None:
    """Acknowledge what no listener above handles: a button of an older version, a closed
    modal, an event the app was subscribed to but does not use. Bolt would answer 404, and
    Slack would show the user an error or retry the event."""
    anything = re.compile(".*")

    def ignore(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        log.info("%s with nothing to do: acknowledged", body.get("type") or "request")

    app.action(anything)(ignore)
    app.view(anything)(ignore)
    app.view_closed(anything)(ignore)
    app.event(anything)(ignore)


def _not_the_token_warning(record: logging.LogRecord) -> bool:
    """Bolt warns that SLACK_BOT_TOKEN is unused when given a client; ours holds that token."""
    return "`token` will be unused" not in record.getMessage()


def _once_per_request(services: Services) -> Callable[..., Any]:
    """Handle each request once: Slack retries an event it thinks failed (same event id),
    and a captured command or click replayed within the signature's 5 minutes carries the
    same trigger id."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> Any:
        key = _request_key(body)
        if key and not services.questions.first_time(key):
            log.info("%s already handled; ignoring the repeat", key)
            return BoltResponse(status=200, body="")
        return next()

    return middleware


def _note_rate_limits(body: dict[str, Any], next: Callable[[], BoltResponse]) -> Any:
    """Slack tells the app it sent more than 30,000 events in an hour (and drops the rest
    for a while): log it and acknowledge; no listener handles it."""
    if body.get("type") == "app_rate_limited":
        log.warning(
            "Slack is rate-limiting this app's events (minute %s): some events are dropped",
            body.get("minute_rate_limited"),
        )
        return BoltResponse(status=200, body="")
    return next()


def _on_error(services: Services, health: HealthCheck) -> Callable[..., None]:
    """Errors raised before or during the ack (the slow part reports its own): logged, a
    database error also in the health report, and the request's key forgotten, so that
    Slack's retry of an event (after our 500) is handled."""

    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log_failure(str(body.get("type") or body.get("command") or "request"), error)
        if isinstance(error, sqlite3.Error):
            health.note_failure(f"a Slack request failed on the database: {error}")
            return
        key = _request_key(body)
        if key:
            services.questions.forget(key)

    return on_error


# Requests whose listener stores a question in the intake under the request's own id (an
# event id, a command's trigger id): the intake accepts each id once, so checking it here
# too would only add a second write before the ack.
_QUESTION_EVENTS = frozenset({"app_mention", "message"})
_QUESTION_COMMANDS = frozenset({"/ask"})


def _request_key(body: dict[str, Any]) -> str | None:
    """An event's id, or a command's or interaction's trigger id; None for a question,
    which the intake itself takes once."""
    if body.get("type") == "event_callback":
        event = body.get("event")
        if isinstance(event, dict) and event.get("type") in _QUESTION_EVENTS:
            return None
        return f"event:{body['event_id']}" if body.get("event_id") else None
    if body.get("command") in _QUESTION_COMMANDS:
        return None
    trigger = body.get("trigger_id")
    return f"trigger:{trigger}" if isinstance(trigger, str) and trigger else None
