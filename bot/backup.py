"""A consistent copy of the database while socialbot runs, through SQLite's online backup
API: the copy is one transaction's view of the file, whatever the workers write meanwhile.

The copy is written beside its target under a temporary name and renamed into place when
it is whole and checked, so a failed backup leaves nothing behind; the database itself is
only read.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BotError, InvalidInput, NotFound

# Pages copied per step: other processes may write between steps (the backup starts over
# when they do, so a busy database is copied in one step instead).
_ALL_PAGES = -1


@dataclass(frozen=True)
class Backup:
    """A finished backup: where, how large, and what it holds."""

    path: Path
    size: int
    entries: int
    questions: int


def backup(database: str, target: str | Path, now: dt.datetime) -> Backup:
    """Copy ``database`` to ``target``: a new file, or a folder to write
    ``<name>-<time>.db`` into. Raise NotFound when there is no database, InvalidInput when
    ``target`` exists, BotError when it cannot be written."""
    source_path = Path(database)
    if not source_path.is_file():
        raise NotFound(f"there is no database at {source_path}: nothing to back up")
    path = Path(target).expanduser()
    if path.is_dir():
        path = path / f"{source_path.stem}-{now.strftime('%Y%m%d-%H%M%S')}.db"
    if path.exists():
        raise InvalidInput(f"{path} exists already; give a new file name or a folder")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise BotError(
            f"cannot write the backup to {path}: {exc.strerror or exc}; "
            "choose a folder you can write to (the database was not changed)"
        ) from None
    os.close(handle)
    try:
        entries, questions = _copy(source_path, Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Backup(path, path.stat().st_size, entries, questions)


def _copy(source_path: Path, target: Path) -> tuple[int, int]:
    """The online backup of ``source_path`` into ``target``, checked; its counts."""
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        try:
            source.backup(copy, pages=_ALL_PAGES)
        except sqlite3.OperationalError as exc:
            raise BotError(
                f"cannot write the backup to {target.parent}: {exc} (the database was not changed)"
            ) from None
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (check,) = copy.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise BotError(f"the backup failed its check: {check}; the database was not changed")
        (entries,) = copy.execute("select count(*) from entries").fetchone()
        (questions,) = copy.execute("select count(*) from questions").fetchone()
        return int(entries), int(questions)
    except sqlite3.DatabaseError as exc:
        raise BotError(f"{source_path} cannot be backed up: {exc}") from None
    finally:
        copy.close()
        source.close()
