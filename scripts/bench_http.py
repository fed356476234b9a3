"""Time-to-ack of signed /ask requests over HTTP, against a bare Bolt app served the same way.

    python scripts/bench_http.py [--requests 2000] [--concurrency 32] [--threads 16] [--rounds 3]
    python scripts/bench_http.py --servers bare socialbot socialbot-idle socialbot-lexical

Each server runs in its own process on waitress with the same thread count; its Web API and
response_url calls go to the local fake Slack server from tests/slack, in a process of its
own at a lower priority. This process sends the signed requests, `--concurrency` at a time,
and measures each request until its response (the ack). The servers alternate for
`--rounds` rounds. Bounded: each round sends exactly `--requests` requests (after 50 warm-up
requests) and stops its server.

Servers (`--servers`, default `bare socialbot`):

- bare: a Bolt app whose one listener only acks;
- socialbot: composed as `socialbot serve --http` composes it (handlers.runtime.serve), with
  its worker processes (SOCIALBOT_WORKERS, default 2) answering the intake and delivering
  the outbox while the acks are measured; the warm-up's answers must arrive before the
  timed requests start (the workers have loaded their models);
- socialbot-idle: the same server without worker processes: each ack still does the
  replay check and the intake write, but nothing answers meanwhile;
- socialbot-lexical: the same as socialbot with SOCIALBOT_SEMANTIC=off (cheaper answers).

For the socialbot servers the replay-check write and the intake write of each timed request
are timed inside the server, and how many of the round's questions were answered (reached
response_url) before the round ended is counted. When a round ends its server stops, and
its workers with it: questions not yet answered stay in that round's database, which is
thrown away. The share of the machine's CPU that other processes used during each round is
printed, to show whether the machine was quiet.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import platform
import queue
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.machine_load import OtherLoad, process_tree_seconds  # noqa: E402
from tests.slack import signing  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"
QUESTIONS = [
    "Wie mag er namens het merk posten?",
    "What do I do in the first hour of a crisis?",
    "Hoe dien ik een pilotvoorstel in?",
    "How much budget does a social media project need?",
    "Mag ik foto's van collega's posten?",
    "What is the capital of France?",
]
WARM_UP = 50
SERVERS = ("bare", "socialbot", "socialbot-idle", "socialbot-lexical")


def run_socialbot(
    api_url: str, db_dir: str, port: mp.Queue[Any], threads: int, variant: str, stats: mp.Queue[Any]
) -> None:
    """Serve socialbot as `socialbot serve --http` does (in a child process): composed as
    ``handlers.runtime.serve`` composes it, with its worker processes answering the intake
    and delivering the outbox while the acks are measured (none for ``socialbot-idle``).

    SIGUSR1 clears the timings of the two writes (after the warm-up); SIGTERM puts them on
    ``stats``, stops the workers and exits."""
    from bot.config import settings_from_mapping
    from bot.health import HealthCheck
    from bot.logs import configure_logging
    from bot.metrics import Metrics
    from bot.services import start_backfill
    from bot.worker import Tuning
    from handlers.app import build_app
    from handlers.runtime import require_writable, slack_client, slack_services, worker_process
    from handlers.serve import check_bot_token, http_server, wsgi_app
    from handlers.workers import WorkerPool

    settings = settings_from_mapping(
        {
            "SOCIALBOT_DB": f"{db_dir}/bench.db",
            "SOCIALBOT_SEMANTIC": "off" if variant == "socialbot-lexical" else "auto",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "CONVERSATION_MANAGER": "UCM1",
            "SOCIALBOT_LOG_LEVEL": "WARNING",
        }
    )
    settings.require_slack("http")
    configure_logging(settings.log_level, settings.secrets)
    services = slack_services(settings, backfill=False)
    require_writable(services.store)
    client = slack_client(settings)
    check_bot_token(client, settings)
    pool = WorkerPool(worker_process, (settings, Tuning()), settings.workers)
    alive = pool.alive if variant != "socialbot-idle" else lambda: 1
    health = HealthCheck(services.intake, services.outbox, settings.health_max_age, alive)
    metrics = Metrics(services.store, services.questions.clock) if settings.metrics else None
    app = build_app(services, client, health)
    timings: dict[str, list[float]] = {"replay": [], "intake": []}
    services.questions.first_time = _timed(services.questions.first_time, timings["replay"])  # type: ignore[method-assign]
    services.intake.accept = _timed(services.intake.accept, timings["intake"])  # type: ignore[method-assign]
    gc.freeze()  # as serve does before it starts the workers
    if variant != "socialbot-idle":
        pool.start()
    server = http_server(wsgi_app(app, SECRET, health.check, metrics), "127.0.0.1", 0, threads)

    def clear(*_: object) -> None:
        for values in timings.values():
            values.clear()

    def stop(*_: object) -> None:  # terminate() from the parent: report, stop the workers too
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once
        stats.put({name: list(values) for name, values in timings.items()})
        stats.close()
        stats.join_thread()
        if variant != "socialbot-idle":
            pool.stop()
        os._exit(0)

    signal.signal(signal.SIGUSR1, clear)
    signal.signal(signal.SIGTERM, stop)
    start_backfill(services.kb)
    port.put(server.effective_port)
    server.run()


def _timed(function: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    def timed(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            into.append(time.perf_counter() - started)

    return timed


def run_bare(
    api_url: str, db_dir: str, port: mp.Queue[Any], threads: int, variant: str, stats: mp.Queue[Any]
) -> None:
    """A bare Bolt app with one listener that only acks, served the same way."""
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.health import Health
    from handlers.serve import http_server, wsgi_app

    app = App(
        client=WebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        # configured as socialbot's app is: the ack is sent as soon as the listener returns
        process_before_response=True,
    )

    @app.command("/ask")
    def ask(ack):  # type: ignore[no-untyped-def]
        ack()

    server = http_server(wsgi_app(app, SECRET, lambda: Health(True, [])), "127.0.0.1", 0, threads)
    port.put(server.effective_port)
    server.run()


class FakeSlackProcess:
    """The fake Slack Web API in its own process, so its work is not billed to either side."""

    def __init__(self) -> None:
        self._requests: mp.Queue[Any] = mp.Queue()
        self._replies: mp.Queue[Any] = mp.Queue()
        self._process = mp.Process(target=_fake_slack_main, args=(self._requests, self._replies))
        self._process.start()
        self.pid = self._process.pid
        self.api_url, self._base = self._replies.get(timeout=30)

    def response_url(self, name: str) -> str:
        return f"{self._base}/response/{name}"

    def responses(self) -> int:
        """How many response_url calls the fake has received."""
        self._requests.put("count")
        return int(self._replies.get(timeout=30))

    def wait_for_responses(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.responses() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.responses()} of {count} answers arrived")
            time.sleep(0.2)

    def stop(self) -> None:
        self._requests.put("stop")
        self._process.join(timeout=10)


def _fake_slack_main(requests: mp.Queue[Any], replies: mp.Queue[Any]) -> None:
    # The fake stands in for Slack's servers, which do not run on the app's machine: it runs
    # at a lower priority, so it takes the CPU only when the server and the load leave it.
    os.nice(10)
    with FakeSlack() as slack:
        replies.put((slack.api_url, slack.base_url))
        while (command := requests.get()) != "stop":
            if command == "count":
                replies.put(len(slack.calls_to("response_url")))


def measure(
    url: str, slack: FakeSlackProcess, requests: int, concurrency: int, warmed: Callable[[], None]
) -> dict[str, Any]:
    """Send the signed /ask requests; return latency percentiles (ms) and throughput.
    ``warmed`` runs after the warm-up requests, before the timed ones."""

    def one(i: int) -> float:
        body = signing.slash_command_body(
            text=QUESTIONS[i % len(QUESTIONS)],
            user_id=f"U{i}",
            response_url=slack.response_url(f"r{i}"),
        )
        started = time.perf_counter()
        status, _, _ = signing.post(url, body, signing.signed_headers(SECRET, body), timeout=30)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"request {i} got HTTP {status}")
        return elapsed

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(min(WARM_UP, requests))))  # warm-up, not counted
        warmed()
        before = slack.responses()
        started = time.perf_counter()
        latencies = sorted(pool.map(one, range(requests)))
        wall = time.perf_counter() - started
    return {
        "p50": statistics.median(latencies) * 1000,
        "p99": _p99(latencies) * 1000,
        "max": latencies[-1] * 1000,
        "rps": requests / wall,
        "over_3s": sum(x > 3.0 for x in latencies),
        "answered": slack.responses() - before,
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.99 * (len(ordered) - 1))]


def bench(target: str, slack: FakeSlackProcess, args: argparse.Namespace) -> dict[str, Any]:
    ports: mp.Queue[Any] = mp.Queue()
    stats: mp.Queue[Any] = mp.Queue()
    socialbot = target != "bare"
    with tempfile.TemporaryDirectory() as db_dir:
        runner = run_socialbot if socialbot else run_bare
        process = mp.Process(
            target=runner,
            args=(slack.api_url, db_dir, ports, args.threads, target, stats),
            daemon=False,
        )
        process.start()
        terminated = False
        try:
            port = _started(process, ports)
            url = f"http://127.0.0.1:{port}/slack/events"
            _wait_healthy(f"http://127.0.0.1:{port}/healthz")
            print(
                f"{target}: {args.requests} requests, {args.concurrency} at a time…",
                file=sys.stderr,
            )

            def warmed() -> None:
                if target in ("socialbot", "socialbot-lexical"):  # the workers are running
                    slack.wait_for_responses(min(WARM_UP, args.requests), timeout=120)
                if socialbot:
                    os.kill(process.pid or 0, signal.SIGUSR1)
                    time.sleep(0.2)

            others = OtherLoad(lambda: process_tree_seconds([process.pid or 0, slack.pid or 0]))
            result = measure(url, slack, args.requests, args.concurrency, warmed)
            result["others"] = others.share()
            if not socialbot:
                return result
            process.terminate()
            terminated = True
            timings = stats.get(timeout=30)
            for name, values in timings.items():
                result[f"{name}_p50"] = statistics.median(values) * 1000 if values else 0.0
                result[f"{name}_p99"] = _p99(values) * 1000 if values else 0.0
            return result
        finally:
            if not terminated:  # once: a socialbot server stops its workers first
                process.terminate()
            process.join(timeout=60)
            if process.is_alive():
                _kill_tree(process.pid or 0)
                process.join(timeout=10)


def _kill_tree(pid: int) -> None:
    """SIGKILL a server that did not stop, and its worker processes."""
    import psutil

    print(f"server {pid} did not stop within 60 s: killed", file=sys.stderr)
    parent = psutil.Process(pid)
    for process in [*parent.children(recursive=True), parent]:
        try:
            process.kill()
        except psutil.Error:
            continue


def _started(process: mp.Process, ports: mp.Queue[Any]) -> int:
    """The server's port, once it listens; fail at once if its process died."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            return int(ports.get(timeout=0.5))
        except queue.Empty:
            if not process.is_alive():
                raise RuntimeError(f"the server process died (exit {process.exitcode})") from None
    raise RuntimeError("the server did not start within 180 s")


def _wait_healthy(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never became healthy")


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{model}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads per server")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    parser.add_argument(
        "--servers", nargs="+", choices=SERVERS, default=["bare", "socialbot"],
        help="servers to measure, in this order each round (the first is the baseline)",
    )  # fmt: skip
    args = parser.parse_args()
    slack = FakeSlackProcess()
    runs: dict[str, list[dict[str, Any]]] = {target: [] for target in args.servers}
    started = time.monotonic()
    try:
        for _ in range(args.rounds):
            for target in runs:
                runs[target].append(bench(target, slack, args))
    finally:
        slack.stop()
    print(
        f"Machine: {machine()}; date {time.strftime('%Y-%m-%d')}; {args.requests} signed /ask "
        f"requests per round, {args.concurrency} concurrent, waitress {args.threads} threads, "
        f"{args.rounds} alternating rounds; {(time.monotonic() - started) / 60:.1f} minutes.\n"
    )
    print(
        "| server | round | p50 ack ms | p99 ack ms | max ms | req/s | over 3 s | answered "
        "| replay write p50 / p99 ms | intake write p50 / p99 ms | other processes' CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for target, results in runs.items():
        for number, r in enumerate(results, start=1):
            writes = (
                f"{r['replay_p50']:.2f} / {r['replay_p99']:.1f} | "
                f"{r['intake_p50']:.2f} / {r['intake_p99']:.1f}"
                if "intake_p50" in r
                else "– | –"
            )
            answered = f"{int(r['answered'])}" if target != "bare" else "–"
            others = "?" if r.get("others") is None else f"{r['others']:.0%}"
            print(
                f"| {target} | {number} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | "
                f"{r['rps']:,.0f} | {int(r['over_3s'])} | {answered} | {writes} | {others} |"
            )
    median = {
        t: {k: statistics.median(r[k] for r in rs) for k in ("p50", "p99")}
        for t, rs in runs.items()
    }
    worst = max(r["max"] for rs in runs.values() for r in rs)
    baseline = args.servers[0]
    print("\nMedian over rounds:")
    for target in args.servers[1:]:
        print(
            f"- p99 ratio {target} / {baseline} "
            f"{median[target]['p99'] / median[baseline]['p99']:.2f} "
            f"(p50 ratio {median[target]['p50'] / median[baseline]['p50']:.2f});"
        )
    print(f"- slowest ack of all rounds {worst:.0f} ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
