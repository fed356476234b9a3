"""Jobs in a worker process: a dead worker is replaced once however many request threads
notice it, nothing starts after close, and neither Ctrl+C nor SIGTERM loses queued jobs."""

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


def test_ctrl_c_leaves_the_worker_to_the_server(jobs: Jobs, tmp_path: Path) -> None:
    (worker,) = jobs._processes
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGINT)  # as a terminal sends it to the whole group
    out = tmp_path / "done.txt"
    jobs.submit(record, str(out), 7)
    jobs.close()
    assert recorded(out) == [7]
    assert worker.exitcode == 0


def test_sigterm_lets_the_worker_finish_its_queue_then_stop(jobs: Jobs, tmp_path: Path) -> None:
    (worker,) = jobs._processes
    assert worker.pid is not None
    out = tmp_path / "done.txt"
    jobs.submit(time.sleep, 1.0)
    jobs.submit(record, str(out), 1)
    jobs.submit(record, str(out), 2)
    os.kill(worker.pid, signal.SIGTERM)  # as systemd sends it to every process of a service
    worker.join(timeout=30)
    assert worker.exitcode == 0  # stopped by itself, without close()
    assert recorded(out) == [1, 2]


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
