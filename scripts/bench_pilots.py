"""Time `/pilot list all` and `/pilot show` on a large database: the bot/ functions plus
the Block Kit rendering, as the listeners run them (without the HTTP round trip).

    python scripts/bench_pilots.py                      # 5,000 pilots, 100,000 updates
    python scripts/bench_pilots.py --pilots 500 --updates 10000 --runs 100

The database is built in a temporary folder with the real migrations; the pilots' running
totals are filled in as PilotService.update keeps them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.db import Store  # noqa: E402
from bot.pilot_report import TextRender  # noqa: E402
from bot.pilots import PilotService, name_key  # noqa: E402
from handlers import pilot_blocks as pb  # noqa: E402

WORDS = (
    "TikTok LinkedIn Instagram werving stories employer branding podcast video live "
    "nieuwsbrief events campus recruitment klantenservice webcare ambassadors"
).split()
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def fill(store: Store, pilots: int, updates: int, rand: random.Random) -> list[str]:
    """``pilots`` pilots with ``updates`` updates spread over them; their names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < pilots:
        name = " ".join(rand.sample(WORDS, 3)) + f" {rand.randint(1, 999)}"
        if name_key(name) not in seen:
            seen.add(name_key(name))
            names.append(name)
    with store.transaction() as db:
        for number, name in enumerate(names, start=1):
            db.execute(
                "insert into pilots (key, name, name_key, owner, team, platforms, goal, kpis, "
                "budget_cents, hours_estimated, start_date, end_date, flagship, channel_id, "
                "status, state, created_by, created_at) values (?, ?, ?, ?, 'HR', "
                "'[\"tiktok\"]', 'A goal', '[[\"Views\", 1000]]', ?, 40, '2026-01-01', "
                "'2026-12-31', ?, '', 'green', ?, 'UCM1', ?)",
                [f"bench:{number}", name, name_key(name), f"U{number % 300:05d}",
                 rand.randint(1, 50) * 100_000, int(number % 50 == 0),
                 "closed" if number % 10 == 0 else "active", START.isoformat()],
            )  # fmt: skip
        for number in range(updates):
            pilot_id = rand.randint(1, pilots)
            when = START + dt.timedelta(minutes=number * 3)
            status = rand.choice(("green", "green", "amber", "red"))
            db.execute(
                "insert into pilot_updates (key, pilot_id, kind, status, text, hours, "
                "spent_cents, kpi_values, blocker, blocker_user, outcome, by_user, created_at) "
                "values (?, ?, 'update', ?, ?, ?, ?, ?, '', '', '', 'U00001', ?)",
                [f"bench-u:{number}", pilot_id, status, "Posted three videos; reach grows",
                 2.5, 12_345, json.dumps({"Views": number % 1000}), when.isoformat()],
            )  # fmt: skip
        db.execute(
            "update pilots set spent_cents = t.spent, hours_spent = t.hours, "
            "last_update_at = t.last, status = t.status from (select pilot_id, "
            "sum(spent_cents) spent, sum(hours) hours, max(created_at) last, "
            "(select status from pilot_updates u2 where u2.pilot_id = u.pilot_id "
            "order by id desc limit 1) status from pilot_updates u group by pilot_id) t "
            "where pilots.id = t.pilot_id"
        )
    return names


def timed(work: Callable[[], object], runs: int) -> list[float]:
    work()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {label} | {len(times)} | {statistics.median(times):.1f} | "
        f"{ordered[int(len(ordered) * 0.95)]:.1f} | {p99:.1f} | {max(times):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pilots", type=int, default=5_000)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    rand = random.Random(7)
    zone = ZoneInfo("Europe/Brussels")
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        try:
            started = time.perf_counter()
            names = fill(store, args.pilots, args.updates, rand)
            print(f"built {args.pilots} pilots, {args.updates} updates in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            now = START + dt.timedelta(days=300)
            service = PilotService(store, lambda: now, TextRender(), ("UCM1",), "en")

            def list_all() -> object:
                listing = service.listing("all", "U00001", limit=pb.LIST_LIMIT)
                return pb.listing_blocks(listing, "en", now)

            def show_exact() -> object:
                name = rand.choice(names)
                return pb.report_blocks(service.report(service.find(name).id), "en", zone)

            def show_typo() -> object:
                name = rand.choice(names)
                typo = name[:4] + name[5:]  # one letter left out
                try:
                    found = service.find(typo)
                except Exception:  # noqa: BLE001 - an ambiguous typo is an answer too
                    return None
                return pb.report_blocks(service.report(found.id), "en", zone)

            def list_everything() -> object:
                return service.listing("all")

            print("| operation | runs | p50 ms | p95 ms | p99 ms | max ms |")
            print("|---|---|---|---|---|---|")
            print(summary("`/pilot list all` (20 shown + count)", timed(list_all, args.runs)))
            print(summary("`/pilot show <exact name>`", timed(show_exact, args.runs)))
            print(summary("`/pilot show <name with a typo>`", timed(show_typo, args.runs)))
            print(summary("every active pilot (CLI `pilots list`)",
                          timed(list_everything, max(20, args.runs // 10))))  # fmt: skip
        finally:
            store.close()


if __name__ == "__main__":
    main()
