"""The intake's group commit: requests from many threads at once, each stored once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.db import Store
from bot.intake import Intake, Request
from tests.conftest import ManualClock, wait_until


def request(key: str, text: Any = "Wie mag posten?") -> Request:
    return Request(key=key, text=text, user_id="U1", channel_id="C1", surface="command")


@pytest.fixture
def intake(fresh_store: Store) -> Intake:
    return Intake(fresh_store, ManualClock())


def accept_together(intake: Intake, requests: list[Request]) -> list[object]:
    """Accept ``requests`` from a thread each, started together; each thread's result or
    the exception it raised."""
    results: list[object] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def accept(index: int) -> None:
        start.wait()
        try:
            results[index] = intake.accept(requests[index])
        except Exception as error:  # noqa: BLE001 - the test looks at it
            results[index] = error

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_a_request_is_accepted_once(intake: Intake) -> None:
    assert intake.accept(request("command:T1")) is True
    assert intake.accept(request("command:T1")) is False
    assert intake.store.db.table("intake").count == 1


def test_many_threads_at_once_each_get_their_own_answer(intake: Intake) -> None:
    keys = [f"command:T{i % 10}" for i in range(30)]  # each key three times

    results = accept_together(intake, [request(key) for key in keys])

    assert results.count(True) == 10 and results.count(False) == 20
    accepted = {key for key, result in zip(keys, results, strict=True) if result is True}
    assert accepted == set(keys)
    assert intake.store.db.table("intake").count == 10


def test_requests_that_arrive_while_one_commits_are_committed_together(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = intake.store
    transaction = store.transaction
    first_may_commit = threading.Event()
    groups: list[int] = []

    @contextmanager
    def counted() -> Iterator[Any]:
        with transaction() as db:
            if not groups:
                first_may_commit.wait(timeout=10)
            yield db
            groups.append(db.execute("select count(*) from intake").fetchone()[0])

    monkeypatch.setattr(store, "transaction", counted)
    first = threading.Thread(target=intake.accept, args=(request("command:first"),))
    first.start()
    wait_until(lambda: intake._leading)
    others = threading.Thread(
        target=accept_together, args=(intake, [request(f"command:T{i}") for i in range(8)])
    )
    others.start()
    wait_until(lambda: len(intake._waiting) == 8)
    first_may_commit.set()
    first.join(timeout=10)
    others.join(timeout=10)

    assert groups == [1, 9]  # two transactions: the first alone, then the eight together
    assert store.db.table("intake").count == 9


def test_a_request_that_cannot_be_stored_fails_alone(intake: Intake) -> None:
    good = [request(f"command:T{i}") for i in range(6)]
    bad = request("command:bad", text=object())  # no text SQLite can store

    results = accept_together(intake, [*good, bad])

    assert results[:6] == [True] * 6
    assert isinstance(results[6], sqlite3.Error)
    assert intake.store.db.table("intake").count == 6


def test_a_database_error_reaches_every_waiting_caller(intake: Intake) -> None:
    intake.store.db.execute(
        "create trigger full before insert on intake "
        "begin select raise(abort, 'database or disk is full'); end"
    )

    results = accept_together(intake, [request(f"command:T{i}") for i in range(5)])

    assert all(isinstance(result, sqlite3.Error) for result in results), results
    assert intake.store.db.table("intake").count == 0
