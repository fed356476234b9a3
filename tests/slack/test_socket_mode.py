"""Socket Mode: requests go through Bolt's socket-mode request path (no signature, an
envelope acknowledged over the socket) into the same listeners."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

import handlers.runtime
from bot.config import Settings
from bot.errors import BotError, ConfigError
from bot.health import HealthCheck
from bot.services import build_services
from handlers.app import build_app
from handlers.runtime import build_worker, serve, slack_client
from tests.slack.conftest import TEST_TUNING
from tests.slack.fake_slack import FakeSlack
from tests.slack.fake_socket import FakeSocketMode
from tests.slack.test_crash import free_port


class RecordingSocketClient:
    """Stands in for the websocket: records the envelope acknowledgements Bolt sends."""

    logger = logging.getLogger("socket-test")

    def __init__(self) -> None:
        self.responses: list[SocketModeResponse] = []

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.responses.append(response)


@pytest.fixture
def socket_app(settings: Settings) -> Iterator[App]:
    """The app as Socket Mode serves it (no signing secret), its worker on threads here."""
    socket_settings = replace(settings, slack_signing_secret="", slack_app_token="xapp-1-A1-test")
    services = build_services(socket_settings)
    stop = threading.Event()
    threads = build_worker(services, TEST_TUNING).start(stop)
    health = HealthCheck(
        services.intake,
        services.outbox,
        socket_settings.health_max_age,
        lambda: sum(t.is_alive() for t in threads),
    )
    try:
        yield build_app(services, slack_client(socket_settings), health)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        services.close()


def over_socket(app: App, kind: str, envelope_id: str, payload: dict[str, object]) -> list[str]:
    """Hand one envelope to Bolt's socket-mode handler; return the envelope ids it acked."""
    client = RecordingSocketClient()
    request = SocketModeRequest(type=kind, envelope_id=envelope_id, payload=payload)
    SocketModeHandler(app, "xapp-1-A1-test").handle(client, request)  # type: ignore[arg-type]
    return [r.envelope_id for r in client.responses]


def ask_payload(slack: FakeSlack, text: str) -> dict[str, object]:
    """A Socket Mode envelope's payload for `/ask text`, answered through the fake Slack."""
    return {
        "command": "/ask",
        "text": text,
        "user_id": "U1",
        "channel_id": "C1",
        "team_id": "T1",
        "api_app_id": "A1",
        "response_url": slack.response_url("socket"),
        "trigger_id": "1.2.3",
    }


def test_slash_command_over_socket_mode(socket_app: App, slack: FakeSlack) -> None:
    acked = over_socket(
        socket_app,
        "slash_commands",
        "env-1",
        ask_payload(slack, "How do I propose a pilot project?"),
    )
    assert acked == ["env-1"]
    (reply,) = slack.wait_for("response_url")
    assert "pilot canvas" in str(reply.params["blocks"])


def test_event_over_socket_mode(socket_app: App, slack: FakeSlack) -> None:
    acked = over_socket(
        socket_app,
        "events_api",
        "env-2",
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": "EvS1",
            "event": {
                "type": "app_mention",
                "user": "U2",
                "channel": "C9",
                "ts": "1.9",
                "text": "<@UBOT> who may post for the brand?",
            },
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        },
    )
    assert acked == ["env-2"]
    (post,) = slack.wait_for("chat.postMessage")
    assert post.params["thread_ts"] == "1.9"


def test_socket_mode_needs_an_app_token(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        replace(settings, slack_app_token="").require_slack("socket")


def start_up_error(settings: Settings, http: bool = False) -> BotError:
    """Run ``serve`` as `socialbot serve` does, expecting it to stop at start-up."""
    with pytest.raises(BotError) as error:
        serve(
            replace(settings, slack_app_token="xapp-1-A1-test"),
            "http" if http else "socket",
            host="127.0.0.1",
            port=0,
            threads=1,
            tuning=TEST_TUNING,
        )
    assert multiprocessing.active_children() == []  # any workers started were stopped
    return error.value


def test_an_app_token_slack_refuses_is_named(
    settings: Settings, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfills: list[object] = []
    monkeypatch.setattr(handlers.runtime, "start_backfill", backfills.append)
    slack.fail("apps.connections.open", error="invalid_auth")
    error = start_up_error(settings)
    assert isinstance(error, ConfigError) and error.variable == "SLACK_APP_TOKEN"
    assert "invalid_auth" in str(error)
    assert backfills == []  # no embedding starts for a server that never connected


def test_slack_out_of_reach_at_start_is_a_clear_error(settings: Settings) -> None:
    unreachable = "http://127.0.0.1:9/api/"  # the discard port: nothing listens there
    error = start_up_error(replace(settings, slack_api_url=unreachable))
    assert f"cannot reach Slack at {unreachable}" in str(error)


@pytest.mark.parametrize("http", [True, False], ids=["http", "socket mode"])
def test_a_bot_token_slack_refuses_stops_start_up(
    settings: Settings, slack: FakeSlack, http: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfills: list[object] = []
    monkeypatch.setattr(handlers.runtime, "start_backfill", backfills.append)
    slack.fail("auth.test", error="invalid_auth")
    error = start_up_error(settings, http=http)
    assert isinstance(error, ConfigError) and error.variable == "SLACK_BOT_TOKEN"
    assert "invalid_auth" in str(error)
    assert slack.methods() == ["auth.test"]  # nothing else was tried
    assert backfills == []  # nor was any embedding started


# --- As served: `socialbot serve` in Socket Mode, over a real websocket ------------------


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as fake:
        yield fake


@dataclass
class Served:
    """A `socialbot serve` subprocess and the lines it has logged so far."""

    process: subprocess.Popen[str]
    lines: list[str]
    metrics_port: int = 0

    def wait_for_line(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log:\n{''.join(self.lines)}")
            time.sleep(0.05)


@pytest.fixture
def served_socket_mode(
    settings: Settings, slack: FakeSlack, socket_mode: FakeSocketMode, tmp_path: Path
) -> Iterator[Served]:
    """`socialbot serve` (Socket Mode) as a user starts it, talking to both fakes."""
    slack.set_response("apps.connections.open", {"ok": True, "url": socket_mode.url})
    env = {
        **os.environ,
        "SOCIALBOT_DB": settings.db_path,
        "SOCIALBOT_SEMANTIC": "off",
        "SOCIALBOT_KB_DIR": str(settings.kb_dir),
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_APP_TOKEN": "xapp-1-A1-test",
        "SLACK_API_URL": slack.api_url,
        "CONVERSATION_MANAGER": ",".join(settings.conversation_managers),
        "SOCIALBOT_METRICS_PORT": str(metrics_port := free_port()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,  # no .env of the developer's
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, [], metrics_port)
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: served.lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        reader.join(timeout=5)
        process.stdout.close()


def test_socialbot_serve_in_socket_mode_answers_over_the_websocket(
    served_socket_mode: Served, slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    socket_mode.wait_connected(timeout=60)
    served_socket_mode.wait_for_line("connected to Slack in Socket Mode")
    assert slack.methods()[:2] == ["auth.test", "apps.connections.open"]

    socket_mode.send(
        {
            "envelope_id": "env-cmd",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": ask_payload(slack, "How do I propose a pilot project?"),
        }
    )
    socket_mode.wait_for_ack("env-cmd")
    (reply,) = slack.wait_for("response_url", timeout=30)
    assert "pilot canvas" in str(reply.params["blocks"])
    port = served_socket_mode.metrics_port
    served_socket_mode.wait_for_line(f"serving metrics on http://127.0.0.1:{port}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as got:
        metrics = got.read().decode()
    assert "socialbot_questions_asked_total 1.0" in metrics
    assert "socialbot_ack_seconds_count 1.0" in metrics  # the command's envelope

    socket_mode.send(
        {
            "envelope_id": "env-dm",
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event_id": "EvDM1",
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "user": "U2",
                    "channel": "D1",
                    "ts": "2.1",
                    "text": "thanks!",
                },
                "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
            },
        }
    )
    socket_mode.wait_for_ack("env-dm")
    (post,) = slack.wait_for("chat.postMessage", timeout=30)
    assert post.params["channel"] == "D1"

    served_socket_mode.process.send_signal(signal.SIGTERM)
    assert served_socket_mode.process.wait(timeout=30) == 0
    served_socket_mode.wait_for_line("stopping (signal 15)", timeout=5)
