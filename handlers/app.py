"""Build the Bolt app: one WebClient with retries, the listeners, one error handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient

from bot.services import Services
from handlers import actions, commands, events, home
from handlers.client import build_client
from handlers.failures import log_failure
from handlers.jobs import Jobs

log = logging.getLogger(__name__)


def build_app(
    services: Services, jobs: Jobs, client: WebClient | None = None, workers: int = 4
) -> App:
    """The socialbot Slack app over ``services``; questions are answered by ``jobs``.

    Call ``settings.require_slack`` first.
    """
    settings = services.settings
    bolt_logger = logging.getLogger("slack_bolt")
    bolt_logger.addFilter(_not_the_token_warning)
    app = App(
        client=client or build_client(settings.slack_bot_token, settings.slack_api_url),
        signing_secret=settings.slack_signing_secret or None,
        token_verification_enabled=False,
        # Listeners ack in the request thread; their slow part runs lazily after the ack.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work"),
        logger=bolt_logger,
    )
    app.middleware(_skip_handled_events(services))
    app.middleware(_note_rate_limits)
    commands.register(app, services, jobs)
    events.register(app, services, jobs)
    actions.register(app, services, jobs)
    home.register(app, services)
    _acknowledge_the_rest(app)
    app.error(_on_error(services))
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


def _skip_handled_events(services: Services) -> Callable[..., Any]:
    """Slack retries an event it thinks failed; handle each event id only once."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> Any:
        event_id = _event_id(body)
        if event_id and not services.questions.first_time(f"event:{event_id}"):
            log.info("event %s already handled; ignoring the retry", event_id)
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


def _on_error(services: Services) -> Callable[..., None]:
    """Errors raised before or during the ack (the slow part reports its own): logged, and
    an event's id forgotten, so that Slack's retry of it (after our 500) is handled."""

    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log_failure(str(body.get("type") or body.get("command") or "request"), error)
        event_id = _event_id(body)
        if event_id:
            services.questions.forget(f"event:{event_id}")

    return on_error


def _event_id(body: dict[str, Any]) -> str | None:
    return body.get("event_id") if body.get("type") == "event_callback" else None
