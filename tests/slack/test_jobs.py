"""Jobs in a worker process: a dead worker is replaced once however many request threads
notice it, nothing starts after close, stop signals leave the worker to the server, and
stopping never hangs."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from handlers.jobs import Jobs


def record(path: str, number: int) -> None:
    """A job: append ``number`` to the file at ``path`` (one line, one write)."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{number}\n")


def recorded(path: Path) -> list[int]:
    return sorted(int(line) for line in path.read_text(encoding="utf-8").split())


@pytest.fixture
def jobs(settings: Settings) -> Iterator[Jobs]:
    running = Jobs(settings, processes=1)
    yield running
    running.close()


def test_a_dead_worker_is_replaced_once_when_threads_submit_together(
    jobs: Jobs, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (worker,) = jobs._processes
    worker.kill()
    worker.join(timeout=10)
    out = tmp_path / "done.txt"
    start = threading.Barrier(4)

    def submit(number: int) -> None:
        start.wait()
        jobs.submit(record, str(out), number)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    with caplog.at_level(logging.ERROR, logger="handlers.jobs"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        jobs.close()  # finishes the queue
    assert recorded(out) == [0, 1, 2, 3]
    assert sum("starting new workers" in r.message for r in caplog.records) == 1


def test_nothing_starts_after_close(
    jobs: Jobs, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jobs.close()
    out = tmp_path / "done.txt"
    with caplog.at_level(logging.WARNING, logger="handlers.jobs"):
        jobs.submit(record, str(out), 1)
    assert "the server is stopping" in caplog.text
    assert not any(p.is_alive() for p in jobs._processes)  # no worker was started again
    assert not out.exists()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_to_the_whole_group_leaves_the_worker_to_the_server(
    jobs: Jobs, tmp_path: Path, stop: signal.Signals
) -> None:
    # A terminal sends Ctrl+C, and systemd its SIGTERM, to every process of the server: the
    # worker goes on until the server, which stops taking requests first, tells it to stop.
    (worker,) = jobs._processes
    assert worker.pid is not None
    os.kill(worker.pid, stop)
    time.sleep(1.0)  # longer than the worker's idle poll
    assert worker.is_alive()
    out = tmp_path / "done.txt"
    jobs.submit(time.sleep, 0.5)
    jobs.submit(record, str(out), 7)
    jobs.close()
    assert recorded(out) == [7]
    assert worker.exitcode == 0


def test_stopping_does_not_hang_on_a_stuck_worker(
    jobs: Jobs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("handlers.jobs.CLOSE_TIMEOUT", 1.0)
    jobs.submit(time.sleep, 600)
    for number in range(200):  # more than the pipe holds: its feeder thread blocks
        jobs.submit(record, "x" * 1000, number)
    started = time.monotonic()
    jobs.close()
    assert time.monotonic() - started < 10
    assert not jobs._processes[0].is_alive()
    jobs._queue.join_thread()  # what the interpreter waits on at exit: returns at once


def test_a_worker_whose_server_died_stops(settings: Settings, tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from bot.config import Settings\n"
        "from handlers.jobs import Jobs\n"
        f"jobs = Jobs(Settings(db_path={settings.db_path!r}, semantic='off', "
        f"kb_dir={str(settings.kb_dir)!r}), processes=1)\n"
        "print(jobs._processes[0].pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    worker_pid = int(server.stdout.readline())
    server.kill()  # no clean exit: nothing tells the worker
    server.wait(timeout=10)
    server.stdout.close()
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
