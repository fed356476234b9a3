"""The end-to-end harness: socialbot's real HTTP server (waitress + Bolt) receiving signed
Slack requests, with its Web API calls going to a local fake Slack server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.services import Services, build_services
from handlers.jobs import Jobs
from handlers.serve import configure_logging, http_server, stop_http_server
from tests.conftest import FIXTURE_KB
from tests.slack import signing
from tests.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-123456"
MANAGER = "UCM1"


@dataclass
class Running:
    """A running socialbot HTTP server and the fake Slack it talks to."""

    url: str
    slack: FakeSlack
    services: Services
    jobs: Jobs

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
    yield from _serve(settings, slack, processes=0)


@pytest.fixture
def running_as_served(settings: Settings, slack: FakeSlack) -> Iterator[Running]:
    """Exactly as `socialbot serve --http` runs: questions answered in a worker process."""
    yield from _serve(settings, slack, processes=1)


def _serve(settings: Settings, slack: FakeSlack, processes: int) -> Iterator[Running]:
    services = build_services(settings)
    configure_logging(settings)
    jobs = Jobs(settings, processes=processes)
    server = http_server(services, jobs, "127.0.0.1", 0, threads=8)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # the loop notices its sockets closed under it
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield Running(f"http://127.0.0.1:{server.effective_port}", slack, services, jobs)
    finally:
        stopping.set()
        stop_http_server(server)
        thread.join(timeout=5)
        jobs.close()
        services.close()
