"""A pool of worker processes, kept at its size while the server runs.

Each process runs ``target(*args, stop)`` and returns when ``stop`` (a multiprocessing
event) is set. The work itself is in the database (intake and outbox), so a worker that
dies loses nothing: another is started, and what the dead one held is taken over when its
lease runs out. On stop, each worker finishes the item in hand; what is still waiting
stays in the database for the next start.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)

# Seconds a worker gets to finish the item in hand when the server stops.
STOP_TIMEOUT = 30.0
# How often the pool looks for dead workers.
CHECK_SECONDS = 1.0


class WorkerPool:
    """``size`` processes running ``target``; see the module docstring."""

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...], size: int) -> None:
        self._target = target
        self._args = args
        self._size = size
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._processes: list[BaseProcess] = []
        self._lock = threading.Lock()
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the workers and a thread that replaces any that die."""
        with self._lock:
            self._processes = [self._spawn() for _ in range(self._size)]
        self._watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self._watcher.start()

    def alive(self) -> int:
        """How many workers are running."""
        with self._lock:
            return sum(p.is_alive() for p in self._processes)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Tell the workers to stop, wait up to ``timeout`` seconds, then kill the rest."""
        self._watching.set()
        if self._watcher is not None:
            self._watcher.join()
        self._stop.set()
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            process.join(timeout)
            if process.is_alive():
                log.warning(
                    "worker %s did not stop within %.0f s; killed (its work is taken over "
                    "at the next start)",
                    process.pid,
                    timeout,
                )
                process.kill()
                process.join()

    def _spawn(self) -> BaseProcess:
        process = self._context.Process(
            target=self._target, args=(*self._args, self._stop), name="socialbot-worker"
        )
        process.start()
        return process

    def _watch(self) -> None:
        while not self._watching.wait(CHECK_SECONDS):
            with self._lock:
                for index, process in enumerate(self._processes):
                    if not process.is_alive() and not self._stop.is_set():
                        log.error(
                            "worker %s died (exit %s); starting another", process.pid,
                            process.exitcode,
                        )  # fmt: skip
                        self._processes[index] = self._spawn()
