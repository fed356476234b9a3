"""`socialbot serve --http` as an operator runs it, killed and stopped in the middle of a
burst of questions: every question it acknowledged is answered after a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db import Store
from bot.outbox import LEASE_SECONDS
from bot.worker import Tuning
from tests.slack import signing
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import FakeSlack


@dataclass
class Server:
    """A `socialbot serve --http` process (with its worker processes) and its log."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str]
    reader: threading.Thread

    def log(self) -> str:
        return "".join(self.lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(
    settings: Settings,
    slack: FakeSlack,
    cwd: Path,
    workers: int = 2,
    extra: dict[str, str] | None = None,
) -> Server:
    port = free_port()
    env = {
        **(extra or {}),
        **os.environ,
        "SOCIALBOT_DB": settings.db_path,
        "SOCIALBOT_SEMANTIC": "off",
        "SOCIALBOT_KB_DIR": str(settings.kb_dir),
        "SOCIALBOT_WORKERS": str(workers),
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "CONVERSATION_MANAGER": ",".join(settings.conversation_managers),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: kill -9 reaches the workers too
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    server = Server(process, f"http://127.0.0.1:{port}", lines, reader)
    reader.start()
    deadline = time.monotonic() + 60
    while "serving Slack requests" not in server.log():
        assert process.poll() is None and time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    return server


@pytest.fixture
def servers(settings: Settings, slack: FakeSlack, tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        server.reader.join(timeout=10)
        assert server.process.stdout is not None
        server.process.stdout.close()


def burst(server: Server, slack: FakeSlack, count: int, per_second: float) -> dict[str, int]:
    """Send ``count`` /ask at ``per_second`` from several threads; the HTTP status of each
    (0 when the server was gone), by response_url name."""
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def send(number: int) -> None:
        name = f"q{number}"
        body = signing.slash_command_body(
            text=f"crisis ophef {number}",
            user_id=f"U{number}",
            response_url=slack.response_url(name),
        )
        try:
            status, _, _ = signing.post(
                f"{server.url}/slack/events", body, signing.signed_headers(SECRET, body), timeout=5
            )
        except OSError:
            status = 0
        with lock:
            statuses[name] = status

    threads = []
    for number in range(count):
        thread = threading.Thread(target=send, args=(number,))
        thread.start()
        threads.append(thread)
        time.sleep(1 / per_second)
    for thread in threads:
        thread.join()
    return statuses


def wait_answered(slack: FakeSlack, names: list[str], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(slack.response_posts(name) for name in names):
        missing = [n for n in names if not slack.response_posts(n)]
        assert time.monotonic() < deadline, f"never answered: {missing[:10]} of {len(missing)}"
        time.sleep(0.1)


def resent_unverified(settings: Settings) -> set[str]:
    """The response_url names of rows that were sent again after a crash interrupted their
    send: an ephemeral message cannot be looked up, so these may arrive twice."""
    store = Store(settings.db_path)
    try:
        rows = store.db.execute(
            "select response_url from outbox where check_first = 1 and route = 'response_url'"
        ).fetchall()
    finally:
        store.close()
    return {url.rsplit("/", 1)[1] for (url,) in rows}


def test_kill_9_in_the_middle_of_a_burst_loses_no_accepted_question(
    settings: Settings, slack: FakeSlack, tmp_path: Path, servers: list[Server]
) -> None:
    slack.set_delay("response_url", 0.05)  # Slack is slow: a backlog may build up
    servers.append(start(settings, slack, tmp_path))
    killer = threading.Timer(1.5, lambda: os.killpg(servers[0].process.pid, signal.SIGKILL))
    killer.start()
    statuses = burst(servers[0], slack, count=120, per_second=40)
    killer.join()
    accepted = [name for name, status in statuses.items() if status == 200]
    assert 10 < len(accepted) < 120, statuses  # the kill came in the middle
    # Usually some answers are still owed at the kill; on a quiet machine the workers may
    # have caught up: the restart must then send nothing twice.
    servers.append(start(settings, slack, tmp_path))
    wait_answered(slack, accepted)
    time.sleep(0.5)
    twice = {name for name in accepted if len(slack.response_posts(name)) > 1}
    assert twice <= resent_unverified(settings)
    assert len(twice) <= 2 * Tuning().deliver_threads  # at most the sends in flight at the kill
    posts = Counter(c.path for c in slack.calls_to("response_url") if c.status == 200)
    assert sum(posts.values()) == len(accepted) + len(twice)


def test_sigterm_with_a_backlog_stops_at_once_and_the_next_start_answers_it(
    settings: Settings, slack: FakeSlack, tmp_path: Path, servers: list[Server]
) -> None:
    slack.set_delay("response_url", 0.2)  # Slack is slow: the answers pile up
    servers.append(start(settings, slack, tmp_path, workers=1))
    statuses = burst(servers[0], slack, count=60, per_second=60)
    accepted = [name for name, status in statuses.items() if status == 200]
    assert len(accepted) == 60
    stopped = time.monotonic()
    servers[0].process.send_signal(signal.SIGTERM)
    assert servers[0].process.wait(timeout=40) == 0
    assert time.monotonic() - stopped < 40
    assert "stopping (signal 15)" in servers[0].log()
    answered_before = {n for n in accepted if slack.response_posts(n)}
    assert len(answered_before) < len(accepted)  # a backlog was left
    servers.append(start(settings, slack, tmp_path))
    wait_answered(slack, accepted)
    time.sleep(0.5)
    assert all(len(slack.response_posts(n)) == 1 for n in accepted)


# A message on its way at the kill holds its channel until its lease runs out (a channel's
# messages go in order), then the channel's other messages follow at one a second.
@pytest.mark.timeout(LEASE_SECONDS + 150)
def test_escalations_raised_while_slack_is_down_reach_everyone_once_across_a_kill_9(
    settings: Settings, slack: FakeSlack, tmp_path: Path, servers: list[Server]
) -> None:
    channel = "CESC"
    servers.append(start(settings, slack, tmp_path, extra={"ESCALATION_CHANNEL": channel}))
    url = f"{servers[0].url}/slack/events"

    def escalate(number: int) -> int:
        body = signing.slash_command_body(
            command="/escalate",
            text=f"crisis incident {number}",
            user_id=f"U{number}",
            response_url=slack.response_url(f"e{number}"),
        )
        status, _, _ = signing.post(url, body, signing.signed_headers(SECRET, body), timeout=5)
        return status

    assert escalate(0) == 200  # Bolt checks the token once, while Slack is up
    slack.set_down(True)
    assert all(escalate(n) == 200 for n in range(1, 30))
    slack.set_down(False)
    slack.set_delay("chat.postMessage", 0.05)  # slow: the kill comes mid-delivery
    deadline = time.monotonic() + 30
    while len(slack.metadata_keys()) < 5:
        assert time.monotonic() < deadline, servers[0].log()
        time.sleep(0.02)
    os.killpg(servers[0].process.pid, signal.SIGKILL)
    servers[0].process.wait(timeout=10)
    assert len(slack.metadata_keys()) < 60  # some were still owed
    servers.append(start(settings, slack, tmp_path, extra={"ESCALATION_CHANNEL": channel}))
    expected = sorted(
        key
        for n in range(1, 31)
        for key in (f"escalation:{n}:dm:UCM1", f"escalation:{n}:channel:{channel}")
    )
    deadline = time.monotonic() + LEASE_SECONDS + 90
    while sorted(set(slack.metadata_keys())) != expected:
        assert time.monotonic() < deadline, f"missing: {set(expected) - set(slack.metadata_keys())}"
        time.sleep(0.1)
    time.sleep(0.5)
    counts = Counter(slack.metadata_keys())
    assert set(counts.values()) == {1}, {k: c for k, c in counts.items() if c > 1}
    wait_answered(slack, [f"e{n}" for n in range(30)])
