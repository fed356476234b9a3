"""The end-to-end harness: socialbot's real HTTP server (waitress + Bolt) receiving signed
Slack requests, with its Web API calls going to a local fake Slack server."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.health import HealthCheck
from bot.logs import configure_logging
from bot.metrics import Metrics
from bot.services import Services
from bot.worker import Tuning
from handlers.app import build_app
from handlers.runtime import build_worker, slack_client, slack_services, worker_process
from handlers.serve import http_server, stop_http_server, wsgi_app
from handlers.workers import WorkerPool
from tests.conftest import FIXTURE_KB
from tests.slack import signing
from tests.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-123456"
MANAGER = "UCM1"
# Fast for tests: a tenth of Slack's pace per channel, idle threads look every 10 ms.
TEST_TUNING = Tuning(pace=0.1, idle=0.01, schedule_every=0.2, retry_delay=0.05, first_backoff=0.05)


@dataclass
class Running:
    """A running socialbot HTTP server and the fake Slack it talks to."""

    url: str
    slack: FakeSlack
    services: Services
    health: HealthCheck
    stop_workers: Callable[[], None]
    pool: WorkerPool | None = None

    def send(self, body: str, **header_overrides: str) -> tuple[int, str, float]:
        """POST a signed request; return status, body and seconds until the response."""
        headers = {**signing.signed_headers(SECRET, body), **header_overrides}
        started = time.perf_counter()
        status, _, text = signing.post(f"{self.url}/slack/events", body, headers)
        return status, text, time.perf_counter() - started

    def command(
        self, text: str, user: str = "U1", channel: str = "C1", response: str = "r1"
    ) -> tuple[int, str, float]:
        return self.send(
            signing.slash_command_body(
                text=text,
                user_id=user,
                channel_id=channel,
                response_url=self.slack.response_url(response),
            )
        )

    def event(
        self, event: dict[str, Any], event_id: str = "Ev1", **headers: str
    ) -> tuple[int, str, float]:
        return self.send(signing.event_body(event, event_id=event_id), **headers)

    def click(
        self,
        action_id: str,
        value: str,
        user: str = "U1",
        channel: str | None = "C1",
        response: str = "r-click",
    ) -> tuple[int, str, float]:
        return self.send(
            signing.block_action_body(
                action_id,
                value,
                user_id=user,
                channel_id=channel,
                response_url=self.slack.response_url(response),
            )
        )

    def questions(self) -> list[dict[str, Any]]:
        return list(self.services.store.db.table("questions").rows)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, slack: FakeSlack) -> Settings:
    return Settings(
        db_path=str(tmp_path / "socialbot.db"),
        semantic="off",
        kb_dir=FIXTURE_KB,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        conversation_managers=(MANAGER,),
    )


@pytest.fixture
def running(settings: Settings, slack: FakeSlack) -> Iterator[Running]:
    """socialbot served over HTTP on a free localhost port, answering in-process."""
    with serving(settings, slack, processes=0) as running:
        yield running


@pytest.fixture
def running_as_served(settings: Settings, slack: FakeSlack) -> Iterator[Running]:
    """Exactly as `socialbot serve --http` runs: questions answered in a worker process."""
    with serving(settings, slack, processes=1) as running:
        yield running


@contextlib.contextmanager
def serving(settings: Settings, slack: FakeSlack, processes: int = 0) -> Iterator[Running]:
    """Composed as handlers.runtime.serve composes it, with the workers on threads of this
    process (``processes=0``) or in worker processes."""
    services = slack_services(settings)
    configure_logging(settings.log_level, settings.secrets)
    stop = threading.Event()
    pool: WorkerPool | None = None
    if processes:
        pool = WorkerPool(worker_process, (settings, TEST_TUNING), processes)
        pool.start()
        alive = pool.alive
    else:
        threads = build_worker(services, TEST_TUNING).start(stop)
        alive = lambda: sum(t.is_alive() for t in threads)  # noqa: E731

    def stop_workers() -> None:
        stop.set()
        if pool is not None:
            pool.stop()
        for thread in [] if processes else threads:
            thread.join(timeout=10)

    health = HealthCheck(services.intake, services.outbox, settings.health_max_age, alive)
    metrics = Metrics(services.store, services.questions.clock) if settings.metrics else None
    app = build_app(services, slack_client(settings), health)
    server = http_server(wsgi_app(app, SECRET, health.check, metrics), "127.0.0.1", 0, threads=8)
    stopping = threading.Event()

    def run() -> None:
        # The loop ends when stop_http_server closes its sockets in the loop's thread; on a
        # loaded machine it may instead close them under the loop's select() (EBADF): every
        # connection is closed either way.
        try:
            server.run()
        except (OSError, ValueError):
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield Running(
            f"http://127.0.0.1:{server.effective_port}", slack, services, health, stop_workers, pool
        )
    finally:
        stopping.set()
        try:
            stop_http_server(server, thread)
        finally:
            stop_workers()
            services.close()
