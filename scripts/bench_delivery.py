"""The delivery spine under load: the outbox draining after a Slack outage, and the workers
answering questions that arrive at a steady rate.

    python scripts/bench_delivery.py                  # both parts, the defaults below
    python scripts/bench_delivery.py --part drain [--messages 1000] [--channels 10] [--outage 10]
    python scripts/bench_delivery.py --part intake [--questions 2000] [--rate 100] \\
        [--modes auto off] [--workers 1 2]

Every configuration runs `python -m bot serve --http` as an operator runs it (a server
process and SOCIALBOT_WORKERS worker processes, default tuning: 1 answering and 4
delivering threads per worker, 1 s between posts to a channel) on a fresh database with the
bundled knowledge base, against the fake Slack of tests/slack, which runs in this process.

drain: ``--messages`` outbox rows (chat.postMessage to ``--channels`` channels, in turn) are
  enqueued with ``Outbox.enqueue`` while Slack is down; Slack stays down ``--outage`` seconds
  after the last one (the workers retry with backoff meanwhile), then recovers. Measured:
  the time from recovery until no row is left to send, messages delivered, lost (rows not
  sent) and duplicated (an outbox key seen in Slack more than once). The baseline, in the
  same run, enqueues the same rows with Slack up and is timed from the first enqueue.
  SOCIALBOT_SEMANTIC=off (nothing is answered).
intake: ``--questions`` signed /ask requests are sent at ``--rate`` a second (after 10
  warm-up questions whose answers must arrive first), for each semantic mode and worker
  count. Measured from the intake and outbox tables: answers a second, the backlog, the
  time from each question's acceptance to its answer and to its delivery at response_url,
  and the time from the last question until every answer was delivered. Questions come from
  scripts/data/bundled*.jsonl (written for the bundled knowledge base), small talk left out
  (the ack answers that itself).

Bounded: every wait has a limit (``--timeout`` seconds after the last message or question);
a configuration that does not finish reports what it left. The share of the machine's CPU
used by other processes during each measurement is printed, to show whether it was quiet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Store  # noqa: E402
from bot.outbox import Message, Outbox  # noqa: E402
from bot.questions import small_talk, utc_now  # noqa: E402
from scripts.machine_load import OtherLoad  # noqa: E402
from tests.slack import signing  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"
WARM_UP = 10


# -- the server -------------------------------------------------------------------------------


@dataclass
class Server:
    """A `python -m bot serve --http` process (with its workers), its database and log."""

    process: subprocess.Popen[bytes]
    url: str
    db_path: str
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self, workers: bool = True) -> float:
        """CPU seconds used so far by the server and its workers, or by the server process
        alone (0 without psutil)."""
        try:
            import psutil
        except ImportError:
            return 0.0
        total = 0.0
        try:
            process = psutil.Process(self.process.pid)
            for p in [process, *(process.children(recursive=True) if workers else [])]:
                try:
                    times = p.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    continue
        except psutil.Error:
            pass
        return total


@contextmanager
def serving(slack: FakeSlack, folder: Path, semantic: str, workers: int) -> Iterator[Server]:
    """socialbot served over HTTP on a free port until the block ends (then SIGTERM, as
    systemd stops it; killed if it has not stopped within 60 s)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    db_path = str(folder / "socialbot.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCIALBOT_", "SLACK_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SOCIALBOT_DB": db_path,
            "SOCIALBOT_SEMANTIC": semantic,
            "SOCIALBOT_WORKERS": str(workers),
            "SOCIALBOT_LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "CONVERSATION_MANAGER": "UCM1",
        }
    )
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port)],
            cwd=folder,  # no .env of the working copy
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", db_path, log_path)
    try:
        deadline = time.monotonic() + 180
        while not _healthy(f"{server.url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


# -- measuring --------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))] if ordered else float("nan")


def _when(iso: str | None) -> float:
    return dt.datetime.fromisoformat(iso).timestamp() if iso else float("nan")


def _read(db_path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)


def _share(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


# -- drain ------------------------------------------------------------------------------------


@dataclass
class Drain:
    name: str
    outage: float
    enqueue_seconds: float = 0.0
    attempts_down: int = 0
    drain_seconds: float = float("nan")
    finished: bool = False
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    failed_rows: int = 0
    most_attempts: int = 0
    out_of_order: int = 0
    gap_min: float = float("nan")
    gap_median: float = float("nan")
    cpu: float = 0.0
    others: float | None = None


def drain(args: argparse.Namespace, outage: float) -> Drain:
    """Enqueue the rows (Slack down for ``outage`` seconds after the last, when > 0) and
    time the drain."""
    name = f"outage {outage:g} s" if outage else "no outage (baseline)"
    result = Drain(name, outage)
    with tempfile.TemporaryDirectory() as folder, FakeSlack() as slack:
        with serving(slack, Path(folder), "off", args.drain_workers) as server:
            print(f"drain, {name}: {args.messages} messages…", file=sys.stderr)
            store = Store(server.db_path)
            outbox = Outbox(store, utc_now)
            others = OtherLoad(lambda: sum(os.times()[:2]) + server.cpu_seconds())
            cpu = server.cpu_seconds()
            if outage:
                slack.set_down(True)
            started = time.monotonic()
            for n in range(args.messages):
                message = Message(
                    kind="bench",
                    route="post",
                    channel=f"C{n % args.channels}",
                    content={"text": f"bench message {n}"},
                    lang="en",
                    about=f"bench message {n}",
                )
                outbox.enqueue(f"bench:{n}", message)
            result.enqueue_seconds = time.monotonic() - started
            if outage:
                time.sleep(outage)
                result.attempts_down = sum(
                    c.status != 200 for c in slack.calls_to("chat.postMessage")
                )
                slack.set_down(False)
                started = time.monotonic()
            deadline = time.monotonic() + args.timeout + args.messages / args.channels
            while time.monotonic() < deadline:
                if outbox.backlog().undelivered == 0:
                    result.drain_seconds = time.monotonic() - started
                    result.finished = True
                    break
                time.sleep(0.1)
            else:
                result.drain_seconds = time.monotonic() - started
            result.others = others.share()
            result.cpu = server.cpu_seconds() - cpu
            states = dict(
                store.db.execute("select state, count(*) from outbox group by state").fetchall()
            )
            (result.most_attempts,) = store.db.execute(
                "select coalesce(max(attempts), 0) from outbox"
            ).fetchone()
            store.close()
        _count_slack(slack, args, result, states)
    return result


def _count_slack(
    slack: FakeSlack, args: argparse.Namespace, result: Drain, states: dict[str, int]
) -> None:
    """Delivered, lost, duplicated, order and pacing, from what the fake Slack holds."""
    seen = Counter(k for k in slack.metadata_keys() if k.startswith("bench:"))
    result.delivered = len(seen)
    result.duplicated = sum(n - 1 for n in seen.values())
    result.lost = args.messages - len(seen)
    result.failed_rows = states.get("failed", 0)
    gaps: list[float] = []
    for c in range(args.channels):
        messages = slack.messages(f"C{c}")
        numbers = [int(m["text"].rsplit(" ", 1)[1]) for m in messages]
        result.out_of_order += sum(b < a for a, b in zip(numbers, numbers[1:], strict=False))
        stamps = [float(m["ts"]) for m in messages]
        gaps += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    if gaps:
        result.gap_min, result.gap_median = min(gaps), statistics.median(gaps)


def report_drain(args: argparse.Namespace, runs: list[Drain]) -> None:
    floor = (args.messages / args.channels - 1) * 1.0
    print(
        f"\n### Outbox drain: {args.messages} messages to {args.channels} channels, "
        f"{args.drain_workers} workers\n"
    )
    print(
        f"Pacing floor: {args.messages // args.channels} messages per channel at 1 a second "
        f"= {floor:.0f} s from the first to the last post in a channel.\n"
    )
    print(
        "| run | enqueue s | failed attempts while down | drain s | vs baseline | delivered "
        "| lost | duplicated | failed rows | most attempts | out of order | gap min / median s "
        "| socialbot CPU s | other processes' CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    base = runs[0].drain_seconds
    for r in runs:
        drained = f"{r.drain_seconds:.1f}" + ("" if r.finished else " (timed out)")
        print(
            f"| {r.name} | {r.enqueue_seconds:.1f} | {r.attempts_down} | {drained} | "
            f"{r.drain_seconds / base:.2f}× | {r.delivered} | {r.lost} | {r.duplicated} | "
            f"{r.failed_rows} | {r.most_attempts} | {r.out_of_order} | "
            f"{r.gap_min:.2f} / {r.gap_median:.2f} | {r.cpu:.0f} | {_share(r.others)} |"
        )
    print(
        "\nDrain s: the baseline from its first enqueue, the outage from recovery, until no "
        "row is pending or sending. Out of order: neighbouring messages in a channel whose "
        "numbers decrease. Gaps: between consecutive posts to one channel."
    )


# -- intake -----------------------------------------------------------------------------------


@dataclass
class Intake:
    mode: str
    workers: int
    sent: int = 0
    send_seconds: float = 0.0
    acks: list[float] = field(default_factory=list)
    not_ok: int = 0
    answered: int = 0
    delivered_rows: int = 0
    finished: bool = False
    answers_per_second: float = float("nan")
    peak_backlog: int = 0
    backlog_at_last: int = 0
    after_last: float = float("nan")
    waits: list[float] = field(default_factory=list)
    deliveries: list[float] = field(default_factory=list)
    response_posts: int = 0
    duplicated: int = 0
    cpu: float = 0.0
    server_cpu: float = 0.0
    own_cpu: float = 0.0
    others: float | None = None


def questions() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "scripts" / "data").glob("bundled*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["q"]
                if not small_talk(text):
                    texts.append(text)
    return texts


def intake(args: argparse.Namespace, mode: str, workers: int, texts: list[str]) -> Intake:
    result = Intake(mode, workers)
    with tempfile.TemporaryDirectory() as folder, FakeSlack() as slack:
        with serving(slack, Path(folder), mode, workers) as server:
            url = f"{server.url}/slack/events"

            def ask(n: int, name: str) -> tuple[int, float]:
                body = signing.slash_command_body(
                    text=texts[n % len(texts)],
                    user_id=f"U{n}",
                    response_url=slack.response_url(name),
                )
                started = time.perf_counter()
                try:
                    status, _, _ = signing.post(
                        url, body, signing.signed_headers(SECRET, body), timeout=30
                    )
                except OSError:
                    status = 0
                return status, time.perf_counter() - started

            print(f"intake, {mode}, {workers} worker(s): warming up…", file=sys.stderr)
            for n in range(WARM_UP):
                ask(n, f"w{n}")
            slack.wait_for("response_url", WARM_UP, timeout=120)
            db = _read(server.db_path)
            (first_id,) = db.execute("select coalesce(max(id), 0) + 1 from intake").fetchone()
            print(
                f"intake, {mode}, {workers} worker(s): {args.questions} questions at "
                f"{args.rate:g}/s…",
                file=sys.stderr,
            )
            others = OtherLoad(lambda: sum(os.times()[:2]) + server.cpu_seconds())
            cpu, server_cpu, own_cpu = server.cpu_seconds(), server.cpu_seconds(False), _own_cpu()
            backlog: list[int] = []
            sending = threading.Event()
            sending.set()

            def watch() -> None:
                watcher = _read(server.db_path)
                while sending.is_set():
                    (count,) = watcher.execute(
                        "select count(*) from intake where state != 'done' and id >= ?",
                        [first_id],
                    ).fetchone()
                    backlog.append(count)
                    time.sleep(0.25)
                watcher.close()

            watching = threading.Thread(target=watch, daemon=True)
            watching.start()
            futures = []
            with ThreadPoolExecutor(64) as pool:
                started = time.monotonic()
                for n in range(args.questions):
                    time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
                    futures.append(pool.submit(ask, n, f"q{n}"))
                results = [f.result() for f in futures]
            result.send_seconds = time.monotonic() - started
            result.sent = len(results)
            result.acks = [seconds for _, seconds in results]
            result.not_ok = sum(status != 200 for status, _ in results)
            (result.backlog_at_last,) = db.execute(
                "select count(*) from intake where state != 'done' and id >= ?", [first_id]
            ).fetchone()
            last_sent = time.monotonic()
            deadline = last_sent + args.timeout
            while time.monotonic() < deadline:
                pending = db.execute(
                    "select (select count(*) from intake where state != 'done' and id >= ?) + "
                    "(select count(*) from outbox where state in ('pending', 'sending'))",
                    [first_id],
                ).fetchone()[0]
                if pending == 0:
                    result.finished = True
                    break
                time.sleep(0.1)
            result.after_last = time.monotonic() - last_sent
            sending.clear()
            watching.join()
            result.others = others.share()
            result.cpu = server.cpu_seconds() - cpu
            result.server_cpu = server.cpu_seconds(False) - server_cpu
            result.own_cpu = _own_cpu() - own_cpu
            result.peak_backlog = max(backlog, default=0)
            _answers(db, first_id, result)
            db.close()
        posts = Counter(
            c.path for c in slack.calls_to("response_url") if c.status == 200 and "/q" in c.path
        )
        result.response_posts = len(posts)
        result.duplicated = sum(n - 1 for n in posts.values())
    return result


def _own_cpu() -> float:
    """CPU seconds of this process so far: the requests it sends and the fake Slack."""
    return sum(os.times()[:2])


def _answers(db: sqlite3.Connection, first_id: int, result: Intake) -> None:
    """Answers a second and per-question times, from the intake and outbox tables."""
    rows = db.execute(
        "select i.received_at, i.done_at, o.sent_at from intake i "
        "left join outbox o on o.key = 'reply:' || i.key where i.id >= ?",
        [first_id],
    ).fetchall()
    received = [_when(r[0]) for r in rows]
    done = [_when(r[1]) for r in rows if r[1]]
    result.answered = len(done)
    result.delivered_rows = sum(1 for r in rows if r[2])
    if done:
        result.answers_per_second = len(done) / (max(done) - min(received))
    result.waits = [_when(r[1]) - _when(r[0]) for r in rows if r[1]]
    result.deliveries = [_when(r[2]) - _when(r[0]) for r in rows if r[2]]


def report_intake(args: argparse.Namespace, runs: list[Intake]) -> None:
    print(
        f"\n### Workers against an intake of {args.rate:g} questions a second "
        f"({args.questions} questions)\n"
    )
    print(
        "| semantic | workers | sent/s | ack p50 / p99 ms | answered | answers/s | keeps up "
        "| peak backlog | backlog at last question | last answer delivered after s "
        "| accepted → answered p50 / p99 s | accepted → delivered p50 / p99 s "
        "| delivered (dup) | socialbot CPU s | server CPU ms a request "
        "| workers' CPU ms an answer | benchmark's own CPU s | other processes' CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        rate = r.sent / r.send_seconds if r.send_seconds else float("nan")
        keeps_up = r.finished and r.backlog_at_last <= args.rate and r.after_last < 2.0
        after = f"{r.after_last:.1f}" + ("" if r.finished else " (timed out)")
        acks = (
            f"{statistics.median(r.acks) * 1000:.0f} / {_percentile(r.acks, 0.99) * 1000:.0f}"
            + (f" ({r.not_ok} not 200)" if r.not_ok else "")
        )
        print(
            f"| {r.mode} | {r.workers} | {rate:.0f} | {acks} | {r.answered} of {r.sent} | "
            f"{r.answers_per_second:.1f} | {'yes' if keeps_up else 'no'} | {r.peak_backlog} | "
            f"{r.backlog_at_last} | {after} | "
            f"{_percentile(r.waits, 0.5):.2f} / {_percentile(r.waits, 0.99):.2f} | "
            f"{_percentile(r.deliveries, 0.5):.2f} / {_percentile(r.deliveries, 0.99):.2f} | "
            f"{r.response_posts} ({r.duplicated}) | {r.cpu:.0f} | "
            f"{r.server_cpu / max(r.sent, 1) * 1000:.1f} | "
            f"{(r.cpu - r.server_cpu) / max(r.answered, 1) * 1000:.1f} | {r.own_cpu:.0f} | "
            f"{_share(r.others)} |"
        )
    print(
        "\nAnswers/s: questions answered into the outbox over the time from the first "
        "question's acceptance to the last answer. Keeps up: every answer delivered within "
        "2 s of the last question, with at most one second's questions waiting at that "
        "moment. Peak backlog: questions accepted and not yet answered, sampled every 0.25 s. "
        "Server CPU: the acks (the server process alone); workers' CPU: answering and "
        "delivering, with the idle threads' polling; benchmark's own CPU: the requests it "
        "sends and the fake Slack, on the same cores."
    )


# -- main -------------------------------------------------------------------------------------


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
        f"{model}, {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("drain", "intake", "both"), default="both")
    parser.add_argument("--messages", type=int, default=1000, help="drain: outbox rows")
    parser.add_argument("--channels", type=int, default=10, help="drain: channels")
    parser.add_argument(
        "--outage", type=float, default=10.0, help="drain: seconds Slack stays down"
    )
    parser.add_argument("--drain-workers", type=int, default=2, help="drain: SOCIALBOT_WORKERS")
    parser.add_argument("--questions", type=int, default=2000, help="intake: questions")
    parser.add_argument("--rate", type=float, default=100.0, help="intake: questions a second")
    parser.add_argument(
        "--modes", nargs="+", default=["auto", "off"], help="intake: SOCIALBOT_SEMANTIC values"
    )
    parser.add_argument(
        "--workers", nargs="+", type=int, default=[1, 2], help="intake: SOCIALBOT_WORKERS values"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0,
        help="seconds to wait after the last message or question (the drain adds its floor)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.messages < args.channels or args.channels < 1:
        parser.error("--messages must be at least --channels, which must be at least 1")
    started = time.monotonic()
    drains: list[Drain] = []
    intakes: list[Intake] = []
    if args.part in ("drain", "both"):
        drains = [drain(args, 0.0), drain(args, args.outage)]
    if args.part in ("intake", "both"):
        texts = questions()
        intakes = [intake(args, m, w, texts) for m in args.modes for w in args.workers]
    print(
        f"Machine: {machine()}. Date {time.strftime('%Y-%m-%d')}. Command: "
        f"`python scripts/bench_delivery.py {' '.join(sys.argv[1:])}`; "
        f"{(time.monotonic() - started) / 60:.1f} minutes."
    )
    if drains:
        report_drain(args, drains)
    if intakes:
        report_intake(args, intakes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
