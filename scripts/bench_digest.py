"""Build the weekly digest over a year of data: how long it takes.

    python scripts/bench_digest.py [--runs 5] [--lessons 5000] [--questions 50000]
                                   [--pilots 2000] [--updates 50000] [--escalations 1000]

A fresh database (the fixture knowledge base, no semantic model) is filled with one year
(52 weeks before 2026-11-30) of approved lessons (each also an entry of the knowledge base),
questions with feedback, taught questions, pilots (the tables of the pilots' migration
m007) with their updates, and escalations, spread evenly over the year. Then the digest of
the last week is built ``--runs`` times (the SQL and the to-teach clusters: what
``socialbot digest --preview`` and the weekly job do before rendering), and rendered as
Markdown, and its chart drawn once. Prints each timing; the goal is ≤ 1 s to build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.digest import chart_png, to_markdown  # noqa: E402
from bot.services import build_services  # noqa: E402
from tests.conftest import FIXTURE_KB, ManualClock  # noqa: E402

END = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)  # Monday 09:00 in Brussels
YEAR = dt.timedelta(days=364)
TAGS = ["crisis", "webcare", "budget", "pilot", "beleid", "security", "hr", "listening"]


def when(rand: random.Random) -> str:
    return (END - YEAR * rand.random()).isoformat()


def seed(db: object, args: argparse.Namespace, rand: random.Random) -> None:
    conn = db.conn  # type: ignore[attr-defined]
    entries, drafts = [], []
    for i in range(args.lessons):
        reviewed = when(rand)
        entry_id = f"lesson-{i}"
        tags = json.dumps(rand.sample(TAGS, 2))
        entries.append(
            (
                entry_id,
                f"Les {i}",
                "nl",
                tags,
                "[]",
                "U0001",
                reviewed[:10],
                f"Wat we leerden {i}.",
                "",
            )
        )
        drafts.append(
            (
                f"Les {i}",
                f"Wat we leerden {i}.\nMeer.",
                "nl",
                f"slack:V{i}",
                "U0001",
                reviewed,
                "approved",
                "UCM1",
                reviewed,
                entry_id,
                reviewed,
            )
        )
    conn.executemany(
        "insert into entries (id, title, lang, tags, questions, owner, updated, "
        "body, source) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    conn.executemany(
        "insert into lesson_drafts (title, body, lang, source, submitted_by, "
        "created_at, state, reviewed_by, reviewed_at, entry_id, offered_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        drafts,
    )
    questions = []
    for i in range(args.questions):
        answered = rand.random() < 0.7
        questions.append(
            (
                when(rand),
                f"U{i % 300:04d}",
                "C1",
                "command",
                f"vraag {rand.randrange(5000)} over {rand.choice(TAGS)}",
                "nl",
                int(answered),
                f"lesson-{rand.randrange(args.lessons)}" if answered else None,
                0.8 if answered else 0.2,
            )
        )
    conn.executemany(
        "insert into questions (asked_at, user_id, channel_id, surface, question, "
        "lang, answered, entry_id, score) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        questions,
    )
    conn.executemany(
        "insert into feedback (question_id, user_id, helpful, given_at) values (?, 'U1', ?, ?)",
        [(i, int(rand.random() < 0.8), when(rand)) for i in range(1, args.questions + 1, 3)],
    )
    conn.executemany(
        "insert into taught_questions (question_id, entry_id, taught_by, taught_at) "
        "values (?, 'lesson-1', 'UCM1', ?)",
        [(i, when(rand)) for i in range(2, args.questions, 50)],
    )
    conn.executemany(
        "insert into escalations (key, severity, text, reporter, state, raised_at, "
        "acknowledged_at) values (?, ?, 'x', 'U1', ?, ?, ?)",
        [
            (
                f"ESC-{i}",
                rand.choice(["crisis", "high", "normal"]),
                "resolved" if rand.random() < 0.97 else "open",
                raised,
                (dt.datetime.fromisoformat(raised) + dt.timedelta(minutes=30)).isoformat(),
            )
            for i, raised in enumerate(when(rand) for _ in range(args.escalations))
        ],
    )
    conn.commit()
    conn.executemany(
        "insert into pilots (key, name, name_key, owner, status, state, flagship, "
        "budget_cents, spent_cents, hours_estimated, hours_spent, created_at, "
        "last_update_at) values (?, ?, ?, 'U1', ?, ?, ?, ?, ?, 40, ?, ?, ?)",
        [
            (
                f"p{i}",
                f"Pilot {i}",
                f"pilot {i}",
                rand.choice(["green", "amber", "red"]),
                "active" if rand.random() < 0.3 else "closed",
                int(i % 50 == 0),
                1_000_000,
                rand.randrange(1_200_000),
                rand.randrange(50),
                when(rand),
                when(rand),
            )
            for i in range(args.pilots)
        ],
    )
    conn.executemany(
        "insert into pilot_updates (key, pilot_id, kind, status, spent_cents, "
        "by_user, created_at) values (?, ?, 'update', 'green', ?, 'U1', ?)",
        [
            (f"u{i}", rand.randrange(1, args.pilots + 1), rand.randrange(50_000), when(rand))
            for i in range(args.updates)
        ],
    )
    conn.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lessons", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--pilots", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=50_000)
    parser.add_argument("--escalations", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            db_path=f"{folder}/bench.db",
            semantic="off",
            kb_dir=FIXTURE_KB,
            digest_channel="CDIGEST",
            digest_lang="en",
        )
        services = build_services(settings, clock=ManualClock(END))
        try:
            started = time.perf_counter()
            seed(services.store.db, args, random.Random(14))
            seeded = time.perf_counter() - started
            digests, builds = services.digest, []
            for _ in range(args.runs):
                begun = time.perf_counter()
                digest = digests.build("2026-W48")
                builds.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            markdown = to_markdown(digest)
            rendered = time.perf_counter() - begun
            begun = time.perf_counter()
            png = chart_png(digest)
            charted = time.perf_counter() - begun
        finally:
            services.close()
    assert ZoneInfo(settings.timezone)
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print(
        f"seeded {args.lessons} lessons, {args.questions} questions, {args.pilots} pilots, "
        f"{args.updates} updates, {args.escalations} escalations in {seeded:.1f} s"
    )
    print(
        f"build: median {statistics.median(builds) * 1000:.0f} ms, max "
        f"{max(builds) * 1000:.0f} ms over {args.runs} runs (first {builds[0] * 1000:.0f} ms)"
    )
    print(
        f"markdown: {rendered * 1000:.1f} ms ({len(markdown.splitlines())} lines); chart: "
        f"{charted * 1000:.0f} ms ({len(png) // 1024} KiB PNG, matplotlib imported on use)"
    )
    print(
        f"week 2026-W48: {len(digest.lessons)} lessons, "
        f"{digest.questions.asked if digest.questions else 0} questions"
    )
    return 0 if max(builds) <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
