"""Shared fixtures, named for the state they give."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.db import Store
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.entry import load_paths
from bot.scheduler import Scheduler

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def wait_until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    """Wait for ``condition`` to hold, checking every 20 ms; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a database file that does not exist yet."""
    return tmp_path / "socialbot.db"


@pytest.fixture
def fresh_store(db_path: Path) -> Iterator[Store]:
    """A migrated, empty store on a real SQLite file."""
    store = Store(db_path)
    yield store
    store.close()


@pytest.fixture
def fixture_entries() -> list[Entry]:
    """The small test knowledge base shipped under tests/fixtures/kb."""
    return load_paths([FIXTURE_KB])


@pytest.fixture
def kb(fresh_store: Store, fixture_entries: list[Entry]) -> KnowledgeBase:
    """A lexical knowledge base holding the fixture entries."""
    knowledge_base = KnowledgeBase(fresh_store)
    knowledge_base.import_entries(fixture_entries)
    return knowledge_base


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No socialbot or Slack variables set, cwd in an empty folder (no .env); returns it."""
    from bot.config import VARIABLES

    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOCIALBOT_SEMANTIC", "off")
    return tmp_path


@contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[None]:
    """Another process holds ``path``'s write lock for ``seconds`` from the block's start."""
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA journal_mode=WAL')\n"
            "c.execute('BEGIN IMMEDIATE'); c.execute('create table if not exists x (a)')\n"
            "print('locked', flush=True); time.sleep(float(sys.argv[2])); c.execute('COMMIT')",
            str(path),
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        try:
            yield
        finally:
            holder.kill()


def tick_together(schedulers: list[Scheduler]) -> None:
    """Tick every scheduler at the same moment, each on a thread of its own (as processes
    racing for a slot), and wait for them."""
    start = threading.Barrier(len(schedulers))

    def tick(scheduler: Scheduler) -> None:
        start.wait()
        scheduler.tick()
        scheduler.store.close_thread_connection()

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
