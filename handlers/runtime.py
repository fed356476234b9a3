"""The composition root: every part of a running socialbot is built here, from the
settings, and handed what it needs.

The server process acknowledges Slack's requests: its listeners write each question to the
intake before the ack. Worker processes (``SOCIALBOT_WORKERS``) answer the intake into the
outbox, deliver the outbox to Slack and run the scheduled jobs; each builds its own
services from the same settings, passed as arguments.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
from multiprocessing.synchronize import Event
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import ServeMode, Settings
from bot.db import Store
from bot.errors import BotError, ConfigError
from bot.health import HealthCheck
from bot.logs import configure_logging
from bot.metrics import Metrics
from bot.services import Services, build_services, keep_vectors_complete, start_backfill
from bot.teaching import Render
from bot.worker import Tuning, Worker
from handlers.app import build_app
from handlers.client import build_client
from handlers.doctor import SlackProbe
from handlers.lesson_blocks import SlackLessonMessages
from handlers.pilot_blocks import SlackPilotRender
from handlers.replies import SlackReplies, taught_dm
from handlers.serve import check_bot_token, http_server, refusal, stop_http_server, wsgi_app
from handlers.transport import SlackTransport
from handlers.workers import WorkerPool

log = logging.getLogger(__name__)


def slack_client(settings: Settings) -> WebClient:
    """The Web API client of the Slack app's listeners (it retries briefly: a user waits)."""
    return build_client(settings.slack_bot_token, settings.slack_api_url)


def taught_dm_renderer() -> Render:
    """The Slack DM that tells an asker their question was taught (for `socialbot kb teach`,
    which puts it in the outbox for `socialbot serve` to send)."""
    return taught_dm


def slack_services(settings: Settings, **options: Any) -> Services:
    """The services with the messages about pilots, lessons and the digest rendered in
    Block Kit (``options`` as for :func:`bot.services.build_services`)."""
    messages = SlackLessonMessages()
    return build_services(
        settings,
        pilot_render=SlackPilotRender(),
        lesson_messages=messages,
        digest_messages=messages,
        **options,
    )


def doctor_probe(settings: Settings) -> SlackProbe:
    """The Slack calls of ``socialbot doctor``: each made once (a person waits)."""
    return SlackProbe(build_client(settings.slack_bot_token, settings.slack_api_url, retries=0))


def build_worker(services: Services, tuning: Tuning) -> Worker:
    """A worker over ``services``: its transport makes each Web API call once (the outbox
    retries and paces)."""
    settings = services.settings
    client = build_client(settings.slack_bot_token, settings.slack_api_url, retries=0)
    return Worker(services, SlackTransport(client, settings.zone), SlackReplies(), tuning)


def serve(settings: Settings, mode: ServeMode, host: str, port: int, threads: int,
          tuning: Tuning | None = None) -> None:  # fmt: skip
    """Run socialbot until stopped: check the settings, the database and the token, start
    the workers, then take Slack's requests over HTTP or Socket Mode.

    Entries that lack vectors are embedded in the background once the checks have passed.
    On SIGTERM or Ctrl+C, requests stop coming in first; then the workers finish the item
    in hand. What is still waiting stays in the database for the next start.
    """
    settings.require_slack(mode)
    configure_logging(settings.log_level, settings.secrets)
    services = slack_services(settings, backfill=False)
    try:
        require_writable(services.store)
        client = slack_client(settings)
        check_bot_token(client, settings)
        pool = WorkerPool(worker_process, (settings, tuning or Tuning()), settings.workers)
        health = HealthCheck(services.intake, services.outbox, settings.health_max_age, pool.alive)
        metrics = Metrics(services.store, services.questions.clock) if settings.metrics else None
        app = build_app(services, client, health)
        signal.signal(signal.SIGTERM, _exit_cleanly)  # e.g. from systemd
        # What was built so far lives as long as the process (the knowledge base, the
        # models): the collector need not scan it again. A full collection of it stopped
        # every request thread for ~27 ms (docs/benchmarks.md, time-to-ack).
        gc.freeze()
        pool.start()
        try:
            if mode == "http":
                _serve_http(app, settings, services, health, metrics, host, port, threads)
            else:
                _serve_socket_mode(app, settings, services, metrics)
        finally:
            pool.stop()
            gc.unfreeze()
    finally:
        services.close()


def require_writable(store: Store) -> None:
    """Stop start-up, naming where the database path came from (``SOCIALBOT_DB`` or
    ``--db``), when the database cannot be written (a read-only file or folder, a full
    disk)."""
    try:
        with store.transaction() as db:
            db.execute(
                "insert into meta (key, value) values ('started', datetime('now')) "
                "on conflict (key) do update set value = excluded.value"
            )
    except sqlite3.Error as exc:
        raise ConfigError(
            store.source,
            f"{store.path} cannot be written ({exc}); socialbot must store every question "
            "it accepts: make the file and its folder writable, or free disk space",
        ) from None


def worker_process(settings: Settings, tuning: Tuning, stop: Event) -> None:
    """A worker process: answer, deliver and run jobs until ``stop`` is set or the server
    is gone.

    Ctrl+C and a SIGTERM to the whole service (systemd sends it to every process) reach the
    worker too: it ignores them and waits for the server to set ``stop``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(settings.log_level, settings.secrets)
    _lower_priority()
    services = slack_services(settings, seed=False)
    keep_vectors_complete(services.kb)  # a worker answers: it notices missing vectors
    stopping = threading.Event()  # the worker's threads wait on a thread event
    threading.Thread(target=_relay_stop, args=(stop, stopping), daemon=True).start()
    try:
        build_worker(services, tuning).run(stopping)
    finally:
        services.close()


def _relay_stop(stop: Event, stopping: threading.Event) -> None:
    """Set ``stopping`` when the server sets ``stop``, or when the server is gone: an
    orphaned worker (its server was killed) stops, and a new server starts new ones."""
    server = multiprocessing.parent_process()
    while not stop.wait(0.5):
        if server is not None and not server.is_alive():
            log.warning("the server is gone; this worker stops")
            break
    stopping.set()


def _serve_http(app: App, settings: Settings, services: Services, health: HealthCheck,
                metrics: Metrics | None, host: str, port: int, threads: int) -> None:  # fmt: skip
    try:
        socket.create_server((host, port)).close()  # waitress leaks its sockets on a failed bind
        server = http_server(
            wsgi_app(app, settings.slack_signing_secret, health.check, metrics), host, port, threads
        )
    except OSError as exc:  # e.g. the port is taken, or below 1024 without rights
        raise BotError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port or --host"
        ) from None
    log.info("serving Slack requests on http://%s:%d/slack/events", host, port)
    start_backfill(services.kb)
    try:
        server.run()
    finally:
        stop_http_server(server)


def _serve_socket_mode(
    app: App, settings: Settings, services: Services, metrics: Metrics | None
) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.socket_mode.builtin.client import SocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

    class TimedHandler(SocketModeHandler):
        """Measures each request from its arrival to its acknowledgement."""

        def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
            received = time.perf_counter()
            super().handle(client, req)
            if metrics is not None:
                metrics.observe_ack(time.perf_counter() - received)

    log.info("connecting to Slack in Socket Mode")
    handler = TimedHandler(app, settings.slack_app_token)
    metrics_server = None
    try:
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as exc:  # e.g. invalid_auth, not_allowed_token_type
            raise ConfigError(
                "SLACK_APP_TOKEN",
                f"Slack refused it: {refusal(exc, settings)} (an app-level token, "
                "xapp-…, with the connections:write scope)",
            ) from None
        except OSError as exc:  # urllib's URLError: DNS, refused, timeout
            raise BotError(
                f"cannot reach Slack at {settings.slack_api_url}: "
                f"{getattr(exc, 'reason', exc)}; check the network or SLACK_API_URL"
            ) from None
        log.info("connected to Slack in Socket Mode")
        if metrics is not None:
            metrics_server = _serve_metrics(metrics, settings)
        start_backfill(services.kb)
        if sys.platform == "win32":  # as Bolt's handler.start(): let Ctrl+C stop the wait
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        threading.Event().wait()  # the Socket Mode client's threads do the work
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()


def _serve_metrics(metrics: Metrics, settings: Settings) -> Any:
    """Socket Mode has no HTTP server: /metrics gets a small one of its own."""
    from prometheus_client import start_http_server

    host, port = settings.metrics_host, settings.metrics_port
    try:
        server, _ = start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        raise BotError(
            f"cannot serve /metrics on {host}:{port}: {exc.strerror or exc}; set "
            "SOCIALBOT_METRICS_PORT to a free port, or SOCIALBOT_METRICS=off"
        ) from None
    log.info("serving metrics on http://%s:%d/metrics", host, port)
    return server


def _exit_cleanly(signum: int, frame: object) -> None:
    log.info("stopping (signal %d)", signum)
    raise SystemExit(0)


def _lower_priority() -> None:
    """Let the OS run the server's acks first when both want the CPU; answers can wait."""
    try:
        os.nice(10)
    except (AttributeError, OSError):  # not on this platform: a nicety, not a need
        log.debug("could not lower the worker's priority")
