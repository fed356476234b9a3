"""Time-to-ack of signed /ask requests over HTTP, against a bare Bolt app served the same way.

    python scripts/bench_http.py [--requests 2000] [--concurrency 32] [--threads 16]

Each server (socialbot's `serve --http` WSGI app, then a bare Bolt app whose one listener
only acks) runs in its own process on waitress with the same thread count; its Web API and
response_url calls go to the local fake Slack server from tests/slack. This process sends
the signed requests, `--concurrency` at a time, and measures each request until its response
(the ack). Bounded: it sends exactly `--requests` requests per server and stops.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def run_socialbot(api_url: str, db_dir: str, port: mp.Queue, threads: int) -> None:
    """Serve socialbot as `socialbot serve --http` does (in a child process): composed as
    ``handlers.runtime.serve`` composes it, with its worker processes answering the intake
    and delivering the outbox while the acks are measured."""
    from bot.config import settings_from_mapping
    from bot.health import HealthCheck
    from bot.logs import configure_logging
    from bot.services import build_services, start_backfill
    from bot.worker import Tuning
    from handlers.app import build_app
    from handlers.runtime import require_writable, slack_client, worker_process
    from handlers.serve import check_bot_token, http_server, wsgi_app
    from handlers.workers import WorkerPool

    settings = settings_from_mapping(
        {
            "SOCIALBOT_DB": f"{db_dir}/bench.db",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "CONVERSATION_MANAGER": "UCM1",
            "SOCIALBOT_LOG_LEVEL": "WARNING",
        }
    )
    settings.require_slack("http")
    configure_logging(settings.log_level, settings.secrets)
    services = build_services(settings, backfill=False)
    require_writable(services.store)
    client = slack_client(settings)
    check_bot_token(client, settings)
    pool = WorkerPool(worker_process, (settings, Tuning()), settings.workers)
    health = HealthCheck(services.intake, services.outbox, settings.health_max_age, pool.alive)
    app = build_app(services, client, health)
    pool.start()
    server = http_server(wsgi_app(app, SECRET, health.check), "127.0.0.1", 0, threads)

    def stop(*_: object) -> None:  # terminate() from the parent: stop the workers too
        pool.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    start_backfill(services.kb)
    port.put(server.effective_port)
    server.run()


def run_bare(api_url: str, db_dir: str, port: mp.Queue, threads: int) -> None:
    """A bare Bolt app with one listener that only acks, served the same way."""
    import waitress
    from slack_bolt import App
    from slack_sdk import WebClient

    from handlers.serve import wsgi_app

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

    server = waitress.create_server(
        wsgi_app(app, SECRET), host="127.0.0.1", port=0, threads=threads
    )
    port.put(server.effective_port)
    server.run()


class FakeSlackProcess:
    """The fake Slack Web API in its own process, so its work is not billed to either side."""

    def __init__(self) -> None:
        self._requests: mp.Queue = mp.Queue()
        self._replies: mp.Queue = mp.Queue()
        self._process = mp.Process(target=_fake_slack_main, args=(self._requests, self._replies))
        self._process.start()
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


def _fake_slack_main(requests: mp.Queue, replies: mp.Queue) -> None:
    # The fake stands in for Slack's servers, which do not run on the app's machine: it runs
    # at a lower priority, so it takes the CPU only when the server and the load leave it.
    os.nice(10)
    with FakeSlack() as slack:
        replies.put((slack.api_url, slack.base_url))
        while (command := requests.get()) != "stop":
            if command == "count":
                replies.put(len(slack.calls_to("response_url")))


def measure(
    url: str, slack: FakeSlackProcess, requests: int, concurrency: int, answered: bool
) -> dict[str, float]:
    """Send the signed /ask requests; return latency percentiles (ms) and throughput.

    With ``answered``, the warm-up's answers must reach response_url before the timed
    requests start: the workers have loaded their models, as in a server that has run a while.
    """

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

    before = slack.responses()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(min(50, requests))))  # warm-up, not counted
        if answered:
            slack.wait_for_responses(before + min(50, requests))
        started = time.perf_counter()
        latencies = sorted(pool.map(one, range(requests)))
        wall = time.perf_counter() - started
    return {
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "max": latencies[-1] * 1000,
        "rps": requests / wall,
        "over_3s": sum(x > 3.0 for x in latencies),
        "sent": before + min(50, requests) + requests,
    }


def bench(target: str, slack: FakeSlackProcess, args: argparse.Namespace) -> dict[str, float]:
    ports: mp.Queue = mp.Queue()
    with tempfile.TemporaryDirectory() as db_dir:
        runner = run_socialbot if target == "socialbot" else run_bare
        process = mp.Process(
            target=runner, args=(slack.api_url, db_dir, ports, args.threads), daemon=False
        )
        process.start()
        try:
            port = ports.get(timeout=120)
            url = f"http://127.0.0.1:{port}/slack/events"
            _wait_healthy(f"http://127.0.0.1:{port}/healthz")
            print(
                f"{target}: {args.requests} requests, {args.concurrency} at a time…",
                file=sys.stderr,
            )
            result = measure(url, slack, args.requests, args.concurrency, target == "socialbot")
            # let the slow part (answers sent to response_url) drain before stopping
            sent = result.pop("sent")
            if target == "socialbot":
                slack.wait_for_responses(int(sent))
            return result
        finally:
            process.terminate()
            process.join(timeout=10)


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
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads per server")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    args = parser.parse_args()
    slack = FakeSlackProcess()
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "socialbot": []}
    try:
        for _ in range(args.rounds):
            for target in runs:
                runs[target].append(bench(target, slack, args))
    finally:
        slack.stop()
    print(
        f"Machine: {machine()}; date {time.strftime('%Y-%m-%d')}; {args.requests} signed /ask "
        f"requests per round, {args.concurrency} concurrent, waitress {args.threads} threads, "
        f"{args.rounds} alternating rounds.\n"
    )
    print("| server | round | p50 ack ms | p99 ack ms | max ms | req/s | over 3 s |")
    print("|---|---|---|---|---|---|---|")
    for target, results in runs.items():
        for number, r in enumerate(results, start=1):
            print(
                f"| {target} | {number} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | "
                f"{r['rps']:.0f} | {int(r['over_3s'])} |"
            )
    median = {
        t: {k: statistics.median(r[k] for r in rs) for k in ("p50", "p99")}
        for t, rs in runs.items()
    }
    worst = max(r["max"] for rs in runs.values() for r in rs)
    print(
        f"\nMedian over rounds: p99 ratio socialbot / bare "
        f"{median['socialbot']['p99'] / median['bare']['p99']:.2f} "
        f"(p50 ratio {median['socialbot']['p50'] / median['bare']['p50']:.2f}); "
        f"slowest ack of all rounds {worst:.0f} ms."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
