"""Escalations raised while Slack is down, drained after it is back: lost, duplicated, time.

    python scripts/bench_escalations.py [--escalations 1000] [--outage 5] [--pace 0]

socialbot's worker (the outbox deliverer threads, as `socialbot serve` runs them) delivers
to the local fake Slack server from tests/slack. The fake is down (every call answers 503)
while `--escalations` escalations are raised through the domain service, as the Slack
listeners raise them: each one writes its row, its timeline and four outbox rows (a DM to
each of two conversation managers, a post in the escalation channel, the reporter's
confirmation by DM) in one transaction. The outage lasts `--outage` seconds more, then
Slack is back and the backlog drains. Every message carries its outbox key in Slack
message metadata, so the fake's stored messages show what arrived, how often.

`--pace` is the pause between two posts to one channel (Slack asks for about 1 s; 0 shows
what socialbot itself can do). Bounded: it raises exactly `--escalations` and stops when the
backlog is empty or after `--timeout` seconds.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.worker import Tuning  # noqa: E402
from handlers.escalation_blocks import SlackEscalationMessages  # noqa: E402
from handlers.runtime import build_worker  # noqa: E402
from tests.conftest import FIXTURE_KB  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

MANAGERS = ("UCM1", "UCM2")
CHANNEL = "CESC"
SEVERITIES = ("crisis", "high", "normal")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--escalations", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds down after raising")
    parser.add_argument("--pace", type=float, default=0.0, help="seconds between posts/channel")
    parser.add_argument("--threads", type=int, default=4, help="deliverer threads")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            db_path=f"{folder}/bench.db",
            semantic="off",
            kb_dir=FIXTURE_KB,
            slack_bot_token="xoxb-bench",
            slack_api_url=slack.api_url,
            conversation_managers=MANAGERS,
            escalation_channel=CHANNEL,
            log_level="ERROR",
        )
        configure_logging("ERROR", ())  # the retries during the outage are expected
        services = build_services(settings)
        tuning = Tuning(pace=args.pace, idle=0.01, deliver_threads=args.threads)
        stop = threading.Event()
        messages = SlackEscalationMessages(settings.zone)
        slack.set_down(True)
        threads = build_worker(services, tuning).start(stop)
        try:
            started = time.perf_counter()
            for number in range(args.escalations):
                services.escalations.raise_escalation(
                    key=f"bench:{number}",
                    severity=SEVERITIES[number % 3],
                    text=f"Incident {number}: a post is going viral for the wrong reasons",
                    reporter=f"U{number:05d}",
                    channel_id="C1",
                    messages=messages,
                    source_link="https://example.slack.com/archives/C1",
                )
            raised = time.perf_counter() - started
            time.sleep(args.outage)
            backlog = services.outbox.backlog()
            calls_down = len(slack.calls)
            slack.set_down(False)
            back = time.perf_counter()
            deadline = back + args.timeout
            while services.outbox.backlog().undelivered and time.perf_counter() < deadline:
                time.sleep(0.05)
            drained = time.perf_counter() - back
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        failed = services.outbox.backlog().failed
        services.close()
        keys = Counter(slack.metadata_keys())
    expected = {
        key
        for n in range(1, args.escalations + 1)
        for key in (
            *(f"escalation:{n}:dm:{m}" for m in MANAGERS),
            f"escalation:{n}:channel:{CHANNEL}",
            f"escalation-confirmation:{n}",
        )
    }
    lost = expected - set(keys)
    duplicated = {k: c for k, c in keys.items() if c > 1}
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print(f"escalations raised while Slack was down: {args.escalations} in {raised:.2f} s "
          f"({args.escalations / raised:.0f}/s), {len(expected)} messages owed")  # fmt: skip
    print(f"during the outage: {calls_down} calls refused; backlog {backlog.undelivered} "
          f"undelivered, {backlog.failed} failed")  # fmt: skip
    print(f"pace per channel: {args.pace} s; deliverer threads: {args.threads}")
    print(f"drained {len(keys)} messages in {drained:.1f} s after Slack was back "
          f"({len(keys) / drained:.0f}/s)")  # fmt: skip
    print(f"lost: {len(lost)}; duplicated: {len(duplicated)}; failed: {failed}")
    return 0 if not lost and not duplicated and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
