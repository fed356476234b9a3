from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot import db as db_module
from bot.db import Lease, Store, migrations
from bot.errors import ConfigError
from tests.conftest import write_lock_held


def test_fresh_database_gets_every_migration(fresh_store: Store) -> None:
    assert fresh_store.applied_migrations()[0] == "m001_knowledge_base"
    assert migrations.pending(fresh_store.db) == []
    assert {"entries", "entry_search", "entry_search_fts", "meta"} <= set(
        fresh_store.db.table_names()
    )


def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    first = Store(db_path)
    applied = first.applied_migrations()
    first.close()
    second = Store(db_path)
    assert second.applied_migrations() == applied
    assert migrations.pending(second.db) == []
    second.close()


def test_database_runs_in_wal_mode(fresh_store: Store) -> None:
    assert fresh_store.db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_the_wal_shrinks_back_after_a_large_transaction(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "WAL_SIZE_LIMIT", 64 * 1024)
    store = Store(db_path)
    wal = Path(f"{db_path}-wal")
    with store.transaction() as db:  # a large import: ~2 MB of log
        db.table("meta").insert_all({"key": str(i), "value": "x" * 1000} for i in range(2000))
    assert wal.stat().st_size > 1024 * 1024
    store.db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # SQLite also does this by itself
    with store.transaction() as db:  # the next write starts the log over, cut to the limit
        db.table("meta").insert({"key": "next", "value": "1"})
    assert wal.stat().st_size <= 64 * 1024
    store.close()


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello, not a database\n" * 100, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        Store(notes)
    assert error.value.variable == "SOCIALBOT_DB"
    assert "cannot be used as socialbot's database" in str(error.value)
    assert notes.read_text(encoding="utf-8").startswith("hello")  # left as it was


def test_failed_transaction_changes_nothing(fresh_store: Store) -> None:
    with pytest.raises(RuntimeError), fresh_store.transaction() as db:
        db.table("meta").insert({"key": "a", "value": "1"})
        raise RuntimeError("boom")
    assert fresh_store.db.table("meta").count == 0


def test_writes_from_many_threads_all_land(fresh_store: Store) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(25):
                with fresh_store.transaction() as db:
                    db.table("meta").insert({"key": f"{worker}-{i}", "value": "x"})
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fresh_store.db.table("meta").count == 200


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        Store(tmp_path / "nope" / "x.db")
    assert error.value.variable == "SOCIALBOT_DB"


def test_upgrade_keeps_vectors_and_lets_a_second_model_store_its_own(db_path: Path) -> None:
    from sqlite_utils import Database

    old = Database(db_path)
    migrations.apply(old, stop_before="m003_vectors_per_model")
    old.table("entry_vectors").insert(
        {"entry_id": "a", "kind": "body", "model": "one", "vector": b"\x00"}
    )
    old.close()
    store = Store(db_path)
    assert "m003_vectors_per_model" in store.applied_migrations()
    assert migrations.pending(store.db) == []
    store.db.table("entry_vectors").insert(
        {"entry_id": "a", "kind": "body", "model": "two", "vector": b"\x01"}
    )
    rows = store.db.execute("select model from entry_vectors order by model").fetchall()
    assert rows == [("one",), ("two",)]
    store.close()


def test_dropping_old_handled_events_uses_an_index(fresh_store: Store) -> None:
    plan = fresh_store.db.execute(
        "explain query plan delete from handled_events where handled_at < ?", ["2026"]
    ).fetchall()
    assert any("INDEX" in row[-1] for row in plan), plan


def test_a_write_that_reads_first_waits_for_another_process(fresh_store: Store) -> None:
    with write_lock_held(Path(fresh_store.path), 1.0), fresh_store.transaction() as db:
        db.table("meta").insert({"key": "k", "value": "v"})  # sqlite-utils reads, then writes
    assert fresh_store.db.execute("select value from meta where key = 'k'").fetchone() == ("v",)


def test_opening_waits_for_another_process_that_is_writing(db_path: Path) -> None:
    Store(db_path).close()
    db_path.unlink()  # a new, empty file that another process is writing to first
    with write_lock_held(db_path, 1.0):
        store = Store(db_path)
    assert migrations.pending(store.db) == []
    store.close()


def test_opening_an_up_to_date_database_writes_nothing(db_path: Path) -> None:
    """So a read-only file can be read, and a CLI command never waits for a server's write."""
    Store(db_path).close()
    opened = threading.Event()

    def open_store() -> None:
        Store(db_path).close()
        opened.set()

    with write_lock_held(db_path, 60):
        threading.Thread(target=open_store, daemon=True).start()
        assert opened.wait(timeout=10)


def test_a_lease_has_one_holder_at_a_time_and_is_never_taken_after_close(
    fresh_store: Store,
) -> None:
    first, second = Lease(fresh_store, "job", 60), Lease(fresh_store, "job", 60)
    assert first.renew() and first.renew()  # taken, then extended
    assert not second.renew() and second.expiry() != "?"
    first.close()
    assert not first.renew()
    assert second.renew()
    second.give_back()
    assert fresh_store.db.execute("select count(*) from meta where key = 'job'").fetchone() == (0,)
