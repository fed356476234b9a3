"""Wiring from settings: seeding an empty database, and embedding missing vectors at start-up
or in the background while a server answers."""

from __future__ import annotations

import io
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot import services as services_module
from bot.config import Settings, settings_from_mapping
from bot.db import Store
from bot.errors import ConfigError
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.semantic import Embedder, Vectors
from bot.services import Services, build_services, start_backfill
from tests.conftest import FIXTURE_KB, write_lock_held
from tests.knowledge.test_models import BagOfWords, vector_counts


class Broken(BagOfWords):
    """A model that fails whenever it is asked to embed."""

    def _encode(self, texts: Sequence[str]) -> Vectors:
        raise RuntimeError("model crashed")


def settings(db_path: Path, semantic: str) -> Settings:
    return settings_from_mapping(
        {
            "SOCIALBOT_DB": str(db_path),
            "SOCIALBOT_SEMANTIC": semantic,
            "SOCIALBOT_KB_DIR": str(FIXTURE_KB),
        }
    )


def use_model(monkeypatch: pytest.MonkeyPatch, model: Embedder) -> None:
    monkeypatch.setattr(
        services_module,
        "load_models",
        lambda mode: (None, None) if mode == "off" else (model, None),
    )


def missing(built: Services) -> int:
    return int(
        built.store.db.execute(
            "select count(*) from entries where id not in (select entry_id from entry_vectors)"
        ).fetchone()[0]
    )


def test_an_empty_database_is_seeded_with_vectors(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_model(monkeypatch, BagOfWords("one"))
    built = build_services(settings(db_path, "on"))
    assert built.kb.count() == 8 and missing(built) == 0
    built.close()


def test_start_up_embeds_what_is_missing_unless_left_to_the_background(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_services(settings(db_path, "off")).close()
    use_model(monkeypatch, BagOfWords("one"))

    server = build_services(settings(db_path, "on"), backfill=False)
    assert missing(server) == 8
    assert server.kb.answer("Our brand account got hacked").best is not None  # lexical meanwhile
    start_backfill(server.kb).join(timeout=30)
    assert missing(server) == 0
    assert float(server.kb.explain("hacked brand account")[0]["semantic_body"]) > 0.0
    server.close()


def test_a_failing_backfill_is_logged_and_the_answers_go_on(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    build_services(settings(db_path, "off")).close()
    use_model(monkeypatch, Broken("one"))
    server = build_services(settings(db_path, "on"), backfill=False)
    with caplog.at_level(logging.ERROR):
        start_backfill(server.kb).join(timeout=30)
    assert "embedding the entries that lack vectors failed" in caplog.text
    assert missing(server) == 8
    answer = server.kb.answer("Wie mag er namens het merk posten?")
    assert answer.best is not None and answer.best.entry.id == "who-may-post"
    server.close()


class Held(BagOfWords):
    """A model that embeds only once it is released."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.embedding = threading.Event()
        self.release = threading.Event()

    def _encode(self, texts: Sequence[str]) -> Vectors:
        self.embedding.set()
        assert self.release.wait(timeout=30)
        return super()._encode(texts)


def test_serve_listens_while_the_backfill_runs(
    clean_env: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.runtime
    from bot.cli import main

    build_services(settings(db_path, "off")).close()
    model = Held("one")
    use_model(monkeypatch, model)
    seen: dict[str, int] = {}
    built: list[Services] = []

    def recorded(served_settings: Settings, **options: Any) -> Services:
        services = build_services(served_settings, **options)
        built.append(services)
        return services

    class Server:
        """Stands in for waitress: by the time it runs, the backfill must be running too."""

        def __init__(self, *args: object, **options: object) -> None:
            pass

        def run(self) -> None:
            (served,) = built
            assert model.embedding.wait(timeout=30)
            seen["missing while serving"] = missing(served)
            (backfill,) = [t for t in threading.enumerate() if t.name == "backfill"]
            model.release.set()
            backfill.join(timeout=30)
            seen["missing after the backfill"] = missing(served)

    class NoWorkers:
        """Stands in for the worker processes (they would load the real model)."""

        def __init__(self, *args: object, **options: object) -> None:
            pass

        def start(self) -> None:
            pass

        def stop(self) -> None:
            pass

        def alive(self) -> int:
            return 1

    monkeypatch.setattr(handlers.runtime, "build_services", recorded)
    monkeypatch.setattr(handlers.runtime, "http_server", Server)
    monkeypatch.setattr(handlers.runtime, "stop_http_server", lambda server: None)
    monkeypatch.setattr(handlers.runtime, "WorkerPool", NoWorkers)
    for name, value in {
        "SOCIALBOT_DB": str(db_path),
        "SOCIALBOT_SEMANTIC": "on",
        "SOCIALBOT_KB_DIR": str(FIXTURE_KB),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing listens: the check only logs
        "CONVERSATION_MANAGER": "U0123ABCD",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--http", "--port", "0"], stdin=io.StringIO()) == 0
    assert seen == {"missing while serving": 8, "missing after the backfill": 0}


def test_a_backfill_cut_short_by_stopping_is_not_an_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    build_services(settings(db_path, "off")).close()
    model = Held("one")
    use_model(monkeypatch, model)
    server = build_services(settings(db_path, "on"), backfill=False)
    with caplog.at_level(logging.INFO):
        backfill = start_backfill(server.kb)
        assert model.embedding.wait(timeout=30)
        server.close()  # what serve does on SIGTERM, while the model is still embedding
        model.release.set()
        backfill.join(timeout=30)
    assert "embedding stopped; the entries left are embedded at the next start" in caplog.text
    assert "failed" not in caplog.text
    restarted = build_services(settings(db_path, "on"), backfill=False)  # within 5 minutes
    assert restarted.store.db.execute(
        "select count(*) from meta where key like '%lease'"
    ).fetchone() == (0,)
    start_backfill(restarted.kb).join(timeout=30)
    assert missing(restarted) == 0
    restarted.close()


def test_bad_entries_for_a_new_database_name_the_variable_and_every_problem(
    tmp_path: Path,
) -> None:
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    (kb_dir / "one.md").write_text("---\nid: one\n---\nBody\n", encoding="utf-8")
    bad = settings_from_mapping(
        {
            "SOCIALBOT_DB": str(tmp_path / "new.db"),
            "SOCIALBOT_KB_DIR": str(kb_dir),
            "SOCIALBOT_SEMANTIC": "off",
        }
    )
    with pytest.raises(ConfigError) as error:
        build_services(bad)
    assert error.value.variable == "SOCIALBOT_KB_DIR"
    assert "one.md: field 'title': is required" in str(error.value)
    assert "one.md: field 'updated': is required" in str(error.value)


def test_closing_writes_nothing_when_this_process_never_embedded(db_path: Path) -> None:
    """A CLI command beside a server's write (or on a read-only file) ends without waiting."""
    build_services(settings(db_path, "off")).close()
    closed = threading.Event()

    def run_a_command() -> None:
        services = build_services(settings(db_path, "off"))
        services.kb.answer("crisis")
        services.close()
        services.close()  # twice is harmless
        closed.set()

    with write_lock_held(db_path, 60):
        threading.Thread(target=run_a_command, daemon=True).start()
        assert closed.wait(timeout=10)


def test_a_backfill_asked_for_again_as_it_ends_runs_another_round(
    fresh_store: Store, fixture_entries: list[Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    KnowledgeBase(fresh_store).import_entries(fixture_entries[:-1])
    kb = KnowledgeBase(fresh_store, embedder=BagOfWords("one"))
    embed_missing = services_module._embed_missing
    rounds: list[int] = []

    def then_an_import(kb_: KnowledgeBase, batch: int, wait: bool) -> None:
        embed_missing(kb_, batch, wait)
        rounds.append(1)
        if len(rounds) == 1:  # just after its last look: an import, and the index asks again
            KnowledgeBase(fresh_store).import_entries(fixture_entries[-1:])
            assert start_backfill(kb_) is threading.current_thread()

    monkeypatch.setattr(services_module, "_embed_missing", then_an_import)
    start_backfill(kb).join(timeout=30)
    assert len(rounds) == 2
    assert vector_counts(fresh_store) == {"one": 2 * len(fixture_entries)}


def test_a_database_that_cannot_be_written_stops_serving_naming_the_variable(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.runtime import require_writable

    require_writable(fresh_store)  # a writable one passes

    def read_only(*_: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(fresh_store, "transaction", read_only)
    with pytest.raises(ConfigError) as error:
        require_writable(fresh_store)
    assert error.value.variable == "SOCIALBOT_DB"
    assert "readonly" in str(error.value) and "writable" in str(error.value)
