"""Run the Slack app: Socket Mode, or HTTP on waitress (a production WSGI server)."""

from __future__ import annotations

import functools
import io
import logging
import re
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.config import DEFAULT_SLACK_API_URL, LOG_FORMAT, Settings
from bot.errors import BotError, ConfigError
from bot.services import Services, start_backfill
from handlers.app import build_app
from handlers.client import build_client
from handlers.jobs import Jobs

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
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
        clean = self._redacted(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:  # the traceback, as handlers would add it
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text, record.exc_info = self._redacted(record.exc_text), None
        if record.stack_info:
            record.stack_info = self._redacted(record.stack_info)
        return True

    def _redacted(self, text: str) -> str:
        clean = _TOKEN.sub(r"\1-[redacted]", text)
        for secret in self.secrets:
            clean = clean.replace(secret, "[redacted]")
        return clean


def configure_logging(settings: Settings) -> None:
    """Log at the configured level, with tokens and signing secrets redacted everywhere."""
    redact = RedactSecrets(
        [settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret]
    )
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    for handler in root.handlers:
        handler.addFilter(redact)


def wsgi_app(app: App, signing_secret: str) -> WsgiApp:
    """Slack's requests at POST /slack/events, a health check at GET /healthz, 404 otherwise.

    A request to /slack/events without Slack's valid signature gets 401 before it is read
    any further: junk from anyone on the network never reaches Bolt's parsing.
    """
    slack = SlackRequestHandler(app, path="/slack/events")
    verifier = SignatureVerifier(signing_secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path == "/slack/events":
            if not _signed_by_slack(environ, verifier):
                start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"invalid request\n"]
            try:
                result: Iterable[bytes] = slack(environ, start_response)
            except ValueError as exc:  # a body Bolt cannot parse (bad JSON), before any reply
                log.warning("unreadable request to /slack/events: %s", exc)
                start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"bad request\n"]
            return result
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return application


def _signed_by_slack(environ: dict[str, Any], verifier: SignatureVerifier) -> bool:
    """Whether the request carries Slack's signature of its body, made in the last 5
    minutes; the body is kept for Bolt to read."""
    try:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:  # a Content-Length that is no number
        return False
    environ["wsgi.input"] = io.BytesIO(body)
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    number = timestamp.isascii() and timestamp.isdigit()  # "²" is a digit that int() refuses
    return number and verifier.is_valid(body, timestamp, signature)


def http_server(services: Services, jobs: Jobs, host: str, port: int, threads: int) -> Any:
    """socialbot's WSGI app on a waitress server (not yet running); port 0 picks a free one."""
    import waitress

    return waitress.create_server(
        wsgi_app(build_app(services, jobs), services.settings.slack_signing_secret),
        host=host,
        port=port,
        threads=threads,
        ident="socialbot",
    )


def check_bot_token(settings: Settings) -> None:
    """Ask Slack who the bot token belongs to: a token Slack refuses stops start-up, naming
    the variable; Slack out of reach is only logged (the replies wait for it)."""
    try:
        identity = build_client(settings.slack_bot_token, settings.slack_api_url).auth_test()
    except SlackApiError as exc:  # invalid_auth, account_inactive, token_revoked, ...
        if exc.response.status_code >= 500:  # Slack (or a proxy) in trouble, after retries
            log.warning(
                "Slack at %s answered HTTP %d to the bot token check; going on",
                settings.slack_api_url,
                exc.response.status_code,
            )
            return
        raise ConfigError(
            "SLACK_BOT_TOKEN", f"Slack refused it: {_refusal(exc, settings)}"
        ) from None
    except OSError as exc:
        log.warning(
            "cannot reach Slack at %s to check the bot token: %s",
            settings.slack_api_url,
            getattr(exc, "reason", exc),
        )
        return
    log.info("bot token of %s in workspace %s", identity.get("user"), identity.get("team"))


def _refusal(exc: SlackApiError, settings: Settings) -> str:
    """Slack's error code for a refused call. A server error is Slack's trouble, not the
    token's; an answer that is not the Web API's (an HTML page, a 404) means a wrong
    ``SLACK_API_URL``, or something in between."""
    data, status = exc.response.data, exc.response.status_code
    content_type = {k.lower(): v for k, v in exc.response.headers.items()}.get("content-type", "")
    if "json" in content_type and isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    if status >= 500:
        raise BotError(f"Slack at {settings.slack_api_url} answered HTTP {status}; try again later")
    if settings.slack_api_url == DEFAULT_SLACK_API_URL:
        raise BotError(
            f"{settings.slack_api_url} answered HTTP {status} with something other than Slack's "
            "Web API: is a proxy or firewall in between?"
        )
    raise ConfigError(
        "SLACK_API_URL",
        f"{settings.slack_api_url} does not answer as Slack's Web API does (HTTP {status}); "
        "correct it, or leave it unset for Slack itself",
    ) from None


def _exit_cleanly(signum: int, frame: object) -> None:
    log.info("stopping (signal %d)", signum)
    raise SystemExit(0)


def serve(services: Services, http: bool, host: str, port: int, threads: int) -> None:
    """Validate the Slack settings for the mode, then serve until interrupted.

    Entries that lack vectors are embedded in the background once the checks have passed
    (the token, the port, the Socket Mode connection): answers go on meanwhile.
    """
    settings = services.settings
    settings.require_slack("http" if http else "socket")
    configure_logging(settings)
    check_bot_token(settings)
    jobs = Jobs(settings, processes=1)
    signal.signal(signal.SIGTERM, _exit_cleanly)  # e.g. from systemd or a container runtime
    # On the way out, requests stop coming in before the jobs are closed: a request that
    # arrives in between would be acknowledged but never answered.
    stop_intake: Callable[[], object] | None = None
    try:
        if http:
            try:
                # Probe first: waitress leaks its sockets when its own bind fails.
                socket.create_server((host, port)).close()
                server = http_server(services, jobs, host, port, threads)
            except OSError as exc:  # e.g. the port is taken, or below 1024 without rights
                raise BotError(
                    f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                    "choose another --port or --host"
                ) from None
            stop_intake = functools.partial(stop_http_server, server)
            log.info("serving Slack requests on http://%s:%d/slack/events", host, port)
            start_backfill(services.kb)
            server.run()
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack in Socket Mode")
            handler = SocketModeHandler(build_app(services, jobs), settings.slack_app_token)
            stop_intake = handler.close
            try:
                handler.connect()  # type: ignore[no-untyped-call]
            except SlackApiError as exc:  # e.g. invalid_auth, not_allowed_token_type
                raise ConfigError(
                    "SLACK_APP_TOKEN",
                    f"Slack refused it: {_refusal(exc, settings)} (an app-level token, "
                    "xapp-…, with the connections:write scope)",
                ) from None
            except OSError as exc:  # urllib's URLError: DNS, refused, timeout
                raise BotError(
                    f"cannot reach Slack at {settings.slack_api_url}: "
                    f"{getattr(exc, 'reason', exc)}; check the network or SLACK_API_URL"
                ) from None
            log.info("connected to Slack in Socket Mode")
            start_backfill(services.kb)
            if sys.platform == "win32":  # as Bolt's handler.start(): let Ctrl+C stop the wait
                signal.signal(signal.SIGINT, signal.SIG_DFL)
            threading.Event().wait()  # the Socket Mode client's threads do the work
    finally:
        try:
            if stop_intake is not None:
                stop_intake()
        finally:
            jobs.close()


def stop_http_server(server: Any) -> None:
    """Stop a server from :func:`http_server` taking requests: let those in progress finish
    (up to 5 s), then close its sockets."""
    server.task_dispatcher.shutdown(timeout=5)
    server.close()
