"""Answers computed in a worker process match the in-process engine and see new entries."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.knowledge import Entry
from bot.services import Services, build_services
from tests.conftest import FIXTURE_KB


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    db = tmp_path_factory.mktemp("pool") / "socialbot.db"
    settings = Settings(db_path=str(db), semantic="off", kb_dir=FIXTURE_KB)
    services = build_services(settings, answer_workers=1)
    yield services
    services.close()


def test_worker_process_gives_the_same_answer(pooled: Services) -> None:
    assert pooled.pool is not None
    question = "Wie mag er namens het merk posten?"
    in_worker = pooled.pool.answer(question)
    in_process = pooled.kb.answer(question)
    assert in_worker == in_process
    assert in_worker.best is not None and in_worker.best.entry.id == "who-may-post"


def test_worker_runs_in_another_process(pooled: Services) -> None:
    assert pooled.pool is not None
    assert pooled.pool._pool.submit(os.getpid).result(timeout=30) != os.getpid()


def test_worker_sees_entries_imported_after_it_started(pooled: Services) -> None:
    assert pooled.pool is not None
    pooled.kb.import_entries(
        [
            Entry(
                id="mastodon-rules",
                title="Are we on Mastodon?",
                lang="en",
                body="Not yet: we are evaluating it.",
                updated="2026-11-01",
            )
        ]
    )
    answer = pooled.pool.answer("are we on mastodon")
    assert answer.best is not None and answer.best.entry.id == "mastodon-rules"


def test_questions_go_through_the_worker(pooled: Services) -> None:
    asked = pooled.questions.ask("account hacked", "U1", "C1", "command")
    assert asked.answer.best is not None and asked.answer.best.entry.id == "hacked-account"
    assert pooled.questions.answerer == pooled.pool.answer  # type: ignore[union-attr]
