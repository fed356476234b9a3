"""Serve the Slack app over HTTP on waitress (a production WSGI server): Slack's requests
at ``/slack/events``, the health report at ``/healthz``, the metrics at ``/metrics``."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.config import DEFAULT_SLACK_API_URL, Settings
from bot.errors import BotError, ConfigError
from bot.health import Health
from bot.metrics import Metrics

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# The largest request body accepted. Slack's own are a few kB; a modal's state or an event
# with many blocks stays far below this. waitress answers 413 beyond it.
MAX_BODY_BYTES = 1024 * 1024
# Seconds the requests in progress get to finish when the server stops.
STOP_SECONDS = 5.0


def wsgi_app(
    app: App, signing_secret: str, health: Callable[[], Health], metrics: Metrics | None = None
) -> WsgiApp:
    """Slack's requests at POST /slack/events, the health report at GET /healthz (200 or
    503, JSON), the metrics at GET /metrics (unless ``metrics`` is None), 404 otherwise.

    A request to /slack/events without Slack's valid signature gets 401 before it is read
    any further, and a signed one that is not a request Slack sends (not UTF-8, JSON that is
    no object, a command without its user) gets 400: neither reaches Bolt.
    """
    slack = SlackRequestHandler(app, path="/slack/events")
    verifier = SignatureVerifier(signing_secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        received = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if path == "/metrics" and metrics and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", metrics.content_type)])
            return [metrics.exposition()]
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            report = health()
            status = "200 OK" if report.ok else "503 Service Unavailable"
            if not report.ok:
                log.warning("health check failed: %s", "; ".join(report.problems))
            summary = {"ok": report.ok, "problems": report.problems, **report.figures}
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(summary).encode() + b"\n"]
        if path == "/slack/events":
            body = _read_body(environ)
            if body is not None and not _is_utf8(body):  # Slack signs text; this is none
                return _plain(start_response, "400 Bad Request", "bad request: not UTF-8")
            if body is None or not _signed_by_slack(environ, body, verifier):
                return _plain(start_response, "401 Unauthorized", "invalid request")
            problem = _malformed(body, environ.get("CONTENT_TYPE", ""))
            if problem:
                log.warning("signed request to /slack/events refused: %s", problem)
                return _plain(start_response, "400 Bad Request", f"bad request: {problem}")
            acked = start_response
            if metrics is not None:

                def acked(status: str, headers: Any, *rest: Any) -> Any:
                    metrics.observe_ack(time.perf_counter() - received)
                    return start_response(status, headers, *rest)

            try:
                result: Iterable[bytes] = slack(environ, acked)
            except ValueError as exc:  # a body Bolt cannot parse, before any reply
                log.warning("unreadable request to /slack/events: %s", exc)
                return _plain(start_response, "400 Bad Request", "bad request")
            return result
        return _plain(start_response, "404 Not Found", "not found")

    return application


def _plain(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode() + b"\n"]


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body (kept in ``environ`` for Bolt to read again); None when its
    Content-Length is no number."""
    try:
        body: bytes = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return None
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _signed_by_slack(environ: dict[str, Any], body: bytes, verifier: SignatureVerifier) -> bool:
    """Whether the request carries Slack's signature of ``body``, made in the last 5 minutes."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    number = timestamp.isascii() and timestamp.isdigit()  # "²" is a digit that int() refuses
    return number and verifier.is_valid(body, timestamp, signature)


def _malformed(body: bytes, content_type: str) -> str | None:
    """What makes ``body`` (UTF-8) no request Slack sends, or None: events are a JSON object;
    interactions a form with a JSON object as ``payload``; commands a form with a command,
    a user and a channel."""
    text = body.decode("utf-8")  # checked before the signature
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            event = json.loads(text)
        except ValueError:
            return "the body is not JSON"
        return None if isinstance(event, dict) else "the JSON body is not an object"
    form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except ValueError:
            return "the payload is not JSON"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "the payload is not an object with a type"
        return None
    if "ssl_check" in form:
        return None
    if "command" in form:
        missing = [k for k in ("user_id", "channel_id") if not form.get(k)]
        return f"the command has no {' or '.join(missing)}" if missing else None
    return "neither an event, an interaction nor a command"


def http_server(app: WsgiApp, host: str, port: int, threads: int) -> Any:
    """A waitress server (not yet running) for ``app``; port 0 picks a free one. Bodies
    over ``MAX_BODY_BYTES`` get 413."""
    import waitress

    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="socialbot",
        max_request_body_size=MAX_BODY_BYTES,
    )


def check_bot_token(client: WebClient, settings: Settings) -> None:
    """Ask Slack who the bot token belongs to: a token Slack refuses stops start-up, naming
    the variable; Slack out of reach is only logged (the replies wait for it)."""
    try:
        identity = client.auth_test()
    except SlackApiError as exc:  # invalid_auth, account_inactive, token_revoked, ...
        if exc.response.status_code >= 500:  # Slack (or a proxy) in trouble, after retries
            log.warning(
                "Slack at %s answered HTTP %d to the bot token check; going on",
                settings.slack_api_url,
                exc.response.status_code,
            )
            return
        raise ConfigError(
            "SLACK_BOT_TOKEN", f"Slack refused it: {refusal(exc, settings)}"
        ) from None
    except OSError as exc:
        log.warning(
            "cannot reach Slack at %s to check the bot token: %s",
            settings.slack_api_url,
            getattr(exc, "reason", exc),
        )
        return
    log.info("bot token of %s in workspace %s", identity.get("user"), identity.get("team"))


def refusal(exc: SlackApiError, settings: Settings) -> str:
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


def stop_http_server(server: Any, loop: threading.Thread | None = None) -> None:
    """Stop a server from :func:`http_server` taking requests: let those in progress finish
    (up to ``STOP_SECONDS``), then close all its sockets: the listening one, its trigger and
    every connection's (waitress's ``server.close()`` closes only the first two).

    ``loop`` is the thread still running ``server.run()``, if one does (the tests serve from
    one): the sockets are then closed in that thread, which ends its loop, not under its
    ``select()``, which would fail (EBADF) and leave the connections' sockets open, to the
    garbage collector."""
    server.task_dispatcher.shutdown(timeout=STOP_SECONDS)
    if loop is not None and loop.is_alive():
        server.trigger.pull_trigger(lambda: _close_all(server))  # the loop ends with no socket
        loop.join(timeout=STOP_SECONDS)
        if loop.is_alive():
            log.warning("the HTTP server's loop did not stop in %ss", STOP_SECONDS)
    _close_all(server)  # when no loop runs (else nothing is left)


def _close_all(server: Any) -> None:
    """Close every socket of a waitress server: its connections (with their buffers), its
    trigger and the listening socket."""
    from waitress.channel import HTTPChannel

    sockets = server._map  # waitress's socket map: file descriptor -> dispatcher
    for dispatcher in list(sockets.values()):
        if isinstance(dispatcher, HTTPChannel):
            dispatcher.handle_close()  # closes its output buffers too
        else:
            dispatcher.close()
    sockets.clear()
