"""How busy the machine was during a benchmark, apart from the benchmark's own processes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path


class OtherLoad:
    """The share of the machine's CPU used by processes other than the benchmark's (``ours``
    gives their CPU seconds so far), from now until :meth:`share` (Linux; None elsewhere)."""

    def __init__(self, ours: Callable[[], float]) -> None:
        self.ours = ours
        self.start = (_busy(), ours())

    def share(self) -> float | None:
        (first, ours0), now, ours = self.start, _busy(), self.ours()
        if first is None or now is None:
            return None
        capacity = (now[1] - first[1]) * (os.cpu_count() or 1)
        return max(0.0, (now[0] - first[0]) - (ours - ours0)) / capacity if capacity else None


def process_tree_seconds(pids: Iterable[int]) -> float:
    """CPU seconds used so far by this process and the process trees of ``pids`` (0 for
    the trees without psutil)."""
    total = sum(os.times()[:2])
    try:
        import psutil
    except ImportError:
        return total
    for pid in pids:
        try:
            process = psutil.Process(pid)
            for p in [process, *process.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def _busy() -> tuple[float, float] | None:
    """CPU seconds the whole machine has been busy, and the time now (Linux)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK"), time.monotonic()
