"""The knowledge-base entry: parse it from Markdown or CSV, validate it, write it back.

A Markdown entry is YAML front matter between ``---`` lines, then the answer as Markdown.
Writing an entry back with :func:`to_markdown` and parsing it again gives the same entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.config import LANGUAGES

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_FIELDS = ("id", "title", "lang", "updated")
KNOWN_FIELDS = ("id", "title", "lang", "tags", "questions", "owner", "updated")
TEXT_FIELDS = ("id", "title", "lang", "owner")
CSV_COLUMNS = ("id", "title", "body", "lang", "tags", "questions")
CSV_OPTIONAL_COLUMNS = ("owner", "updated")
CSV_DELIMITERS = (",", ";", "\t")
# A date, optionally with a time as YAML writes it (2026-05-12T09:30:00Z): the time is dropped.
_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{1,2}(?::?\d{2})?)?)?"
)


@dataclass(frozen=True)
class Entry:
    """One curated answer."""

    id: str
    title: str
    lang: str
    body: str
    tags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    owner: str = ""
    updated: str = ""
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class EntryError:
    """What is wrong with one file: where, which field, and what."""

    source: str
    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}: {what}{self.message}"


class EntryErrors(Exception):
    """One or more files are invalid; nothing was imported."""

    def __init__(self, errors: list[EntryError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# The implicit types kept: null (an empty value) and '<<' merge keys; no bool, int, float, date.
_UNTYPED_TAGS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader, but every value stays text as written (an empty value or ``null``
    is None): ``id: 010``, ``title: Yes`` and ``tags: [on]`` keep their characters where YAML
    would read 8, True and [True], and the validator parses dates itself, naming the field
    (PyYAML stops with a bare ValueError on a date such as 2026-13-45). A key given twice is
    an error, where YAML would silently keep the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<': left to YAML itself
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    problem=f"the key {key!r} is given twice", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag in _UNTYPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_markdown(text: str, source: str) -> Entry:
    """Parse one Markdown entry; raise :class:`EntryErrors` describing every problem found."""
    lines = _LINE_BREAK.split(text)  # not splitlines(): a body may hold U+2028, form feeds, ...
    if not lines or lines[0].strip() != "---":
        raise EntryErrors([EntryError(source, "must start with a '---' front matter line", line=1)])
    # The front matter ends at the first '---' line. An indented one that leaves the YAML
    # before it unreadable is inside a value over several lines (an export quotes it).
    ends = [i for i in range(1, len(lines)) if lines[i].strip() == "---"]
    if not ends:
        raise EntryErrors(
            [EntryError(source, "front matter is not closed with a '---' line", line=1)]
        )
    problems: list[EntryErrors] = []
    for end in ends:
        try:
            meta = _front_matter(lines[1:end], source)
            break
        except EntryErrors as problem:
            problems.append(problem)
            if lines[end].rstrip() == "---":
                raise problems[0] from None
    else:
        raise problems[0]
    if not isinstance(meta, dict):
        raise EntryErrors([EntryError(source, "front matter must be a set of 'key: value' lines")])
    body = "\n".join(lines[end + 1 :]).strip()

    def line_of(key: str) -> int | None:
        for number, line in enumerate(lines[1:end], start=2):
            if line.startswith(f"{key}:"):
                return number
        return None

    return _validated(meta, body, source, line_of, expected_id=Path(source).stem)


def _front_matter(lines: list[str], source: str) -> Any:
    """The YAML of ``lines``; raise EntryErrors naming the line of a problem."""
    try:
        return yaml.load("\n".join(lines), Loader=_FrontMatterLoader) or {}
    except ValueError as exc:  # a value YAML itself cannot build, e.g. an explicit !!timestamp
        raise EntryErrors([EntryError(source, f"invalid YAML value: {exc}")]) from None
    except RecursionError:  # thousands of nested [ or {
        raise EntryErrors([EntryError(source, "invalid YAML: nested too deeply")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise EntryErrors([EntryError(source, f"invalid YAML: {problem}", line=line)]) from None


def parse_csv(text: str, source: str) -> list[Entry]:
    """Parse a CSV with columns ``id,title,body,lang,tags,questions`` (``;``-separated lists).

    Columns may also be separated by semicolons or tabs, as spreadsheets in a Dutch or
    Belgian locale save them; the header row decides which.
    """
    header = text.split("\n", 1)[0]
    delimiter = next(
        (d for d in CSV_DELIMITERS if {"id", "title"} <= _column_names(header.split(d))), ","
    )
    # Strict about quotes ("x"y is an error, not xy), but not in tab-separated files, which
    # put quotes in a value as they are.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=delimiter != "\t")
    try:
        columns = [c.strip().lower() for c in next(reader, [])]
    except csv.Error as exc:
        raise EntryErrors([EntryError(source, f"not valid CSV: {exc}", line=1)]) from None
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise EntryErrors(
            [EntryError(source, f"column(s) given twice: {', '.join(twice)}", line=1)]
        )
    missing = [c for c in ("id", "title", "body", "lang") if c not in columns]
    if missing:
        raise EntryErrors(
            [
                EntryError(
                    source,
                    f"missing column(s): {', '.join(missing)}; the first row must name the "
                    f"columns {','.join(CSV_COLUMNS)} (optional: "
                    f"{','.join(CSV_OPTIONAL_COLUMNS)}), separated by commas or semicolons",
                    line=1,
                )
            ]
        )
    # Spreadsheets often carry columns of their own (notes, a category): read the rest.
    unknown = [c for c in columns if c not in CSV_COLUMNS + CSV_OPTIONAL_COLUMNS]
    if unknown:
        log.warning(
            "%s: ignoring column(s) %s (socialbot reads %s)",
            source,
            ", ".join(map(repr, unknown)),
            ",".join(CSV_COLUMNS + CSV_OPTIONAL_COLUMNS),
        )
    entries: list[Entry] = []
    errors: list[EntryError] = []
    start = reader.line_num + 1  # a row's first line: a quoted value may span several
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells[len(columns) :]):
                errors.append(
                    EntryError(
                        source,
                        "more cells than the header has columns (a value with a comma or "
                        "semicolon in it needs double quotes)",
                        line=start,
                    )
                )
            elif any(cell.strip() for cell in cells):  # skip blank lines and empty rows
                row = dict(zip(columns, cells, strict=False))
                entries.extend(_csv_entry(row, source, start, errors))
            start = reader.line_num + 1
    except csv.Error as exc:
        problem = (
            "a double quote opened in this row is never closed (a quote inside a quoted "
            'value is written twice: "")'
            if "unexpected end of data" in str(exc)
            else f"not valid CSV: {exc}"
        )
        errors.append(EntryError(source, problem, line=start))
    if errors:
        raise EntryErrors(errors)
    return entries


def _csv_entry(
    row: dict[str, str], source: str, line: int, errors: list[EntryError]
) -> list[Entry]:
    """The entry in one CSV row, or none, with its problems added to ``errors``."""
    meta: dict[str, Any] = {
        "id": row.get("id"),
        "title": row.get("title"),
        "lang": row.get("lang"),
        "tags": _split(row.get("tags")),
        "questions": _split(row.get("questions")),
        "owner": row.get("owner") or "",
        "updated": row.get("updated") or dt.date.today().isoformat(),
    }
    try:
        entry = _validated(meta, (row.get("body") or "").strip(), source, lambda _k: line)
        return [replace(entry, source=f"{source}:{line}")]
    except EntryErrors as exc:
        errors.extend(exc.errors)
        return []


def _date(text: str) -> dt.date:
    """A date written as YAML would read it: ``2026-05-01``, ``2026-5-1``, or with a time."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    return dt.date(*(int(part) for part in match.groups()))


def _column_names(cells: Iterable[str]) -> set[str]:
    return {c.strip().strip('"').strip().lower() for c in cells}


def to_markdown(entry: Entry) -> str:
    """Render ``entry`` in the knowledge-base Markdown format."""
    out = ["---", f"id: {_scalar(entry.id)}", f"title: {_scalar(entry.title)}"]
    out.append(f"lang: {entry.lang}")
    out.append(f"tags: {_flow_list(entry.tags)}")
    if entry.questions:
        out.append("questions:")
        out.extend(f"  - {_scalar(q)}" for q in entry.questions)
    if entry.owner:
        out.append(f"owner: {_scalar(entry.owner)}")
    out.extend([f"updated: {entry.updated}", "---", entry.body, ""])
    return "\n".join(out)


def load_paths(paths: Iterable[str | Path]) -> list[Entry]:
    """Read every entry under ``paths`` (files or folders); raise EntryErrors listing all bad ones.

    Duplicate ids across files are errors too. Nothing is partially returned.
    """
    entries: list[Entry] = []
    errors: list[EntryError] = []
    for file in _files(paths, errors):
        try:
            # utf-8-sig: spreadsheets and some editors start UTF-8 files with a byte-order mark.
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            errors.append(
                EntryError(str(file), f"is not UTF-8 text ({exc.reason}); save it as UTF-8")
            )
            continue
        except OSError as exc:
            errors.append(EntryError(str(file), f"cannot be read: {exc.strerror or exc}"))
            continue
        try:
            if file.suffix.lower() == ".csv":
                entries.extend(parse_csv(text, str(file)))
            else:
                entries.append(parse_markdown(text, str(file)))
        except EntryErrors as exc:
            errors.extend(exc.errors)
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            errors.append(
                EntryError(
                    entry.source, f"duplicate id {entry.id!r}, also in {seen[entry.id]}", "id"
                )
            )
        seen.setdefault(entry.id, entry.source)
    if errors:
        raise EntryErrors(errors)
    return entries


def _files(paths: Iterable[str | Path], errors: list[EntryError]) -> Iterator[Path]:
    """The entry files in ``paths``: files as given, and the .md and .csv files directly in
    folders (subfolders may hold other documents: each is named in a warning); each file
    once."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            try:
                children = sorted(path.iterdir())
            except OSError as exc:
                errors.append(EntryError(str(path), f"cannot be read: {exc.strerror or exc}"))
                continue
            found = [p for p in children if is_entry_file(p)]
            other = [
                p.name
                for p in children
                if p.is_file()
                and p not in found
                and not p.name.startswith(".")
                and not p.name.lower().startswith("readme.")
            ]
            if other:  # e.g. an entry saved as .markdown or .txt, which --replace would drop
                log.warning(
                    "%s: skipped %s (only .md and .csv files are read)", path, ", ".join(other)
                )
            for sub in (p for p in children if p.is_dir()):
                if not sub.name.startswith(".") and _holds_entry_files(sub):
                    log.warning("%s: skipped; name it to import the entries in it", sub)
        elif path.is_file():
            found = [path]
        elif path.exists() or path.is_symlink():
            errors.append(EntryError(str(path), "is not a file or folder that can be read"))
            continue
        else:
            errors.append(EntryError(str(path), "no such file or folder"))
            continue
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                yield file


def is_entry_file(path: Path) -> bool:
    """Whether ``path`` is a file an import reads: .md or .csv, but not a README."""
    return (
        path.suffix.lower() in (".md", ".csv")
        and path.name.lower() != "readme.md"
        and path.is_file()
    )


def _holds_entry_files(folder: Path) -> bool:
    try:
        return any(map(is_entry_file, folder.iterdir()))
    except OSError:  # unreadable: nothing to point out
        return False


def _validated(
    meta: dict[str, Any],
    body: str,
    source: str,
    line_of: Any,
    expected_id: str | None = None,
) -> Entry:
    errors: list[EntryError] = []

    def fail(key: str, message: str) -> None:
        errors.append(EntryError(source, message, key, line_of(key)))

    for key in REQUIRED_FIELDS:
        value = meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            fail(key, "is required")
    for key in TEXT_FIELDS:
        if isinstance(meta.get(key), (dict, list)):
            fail(key, "must be text, not a list or a set of 'key: value' pairs")
    for key in meta:
        if key not in KNOWN_FIELDS:
            fail(str(key), f"unknown field (known: {', '.join(KNOWN_FIELDS)})")
    entry_id = str(meta.get("id") or "")
    if entry_id and not ID_PATTERN.match(entry_id):
        fail("id", f"{entry_id!r} must be kebab-case: lowercase letters, digits and hyphens")
    if entry_id == "readme":  # its file, README.md, would be skipped as a folder's read-me
        fail("id", "'readme' is kept for a folder's README.md; choose another id")
    if entry_id and expected_id is not None and entry_id != expected_id:
        fail("id", f"{entry_id!r} must equal the file name {expected_id!r}")
    lang = str(meta.get("lang") or "").strip().lower()
    if lang and lang not in LANGUAGES:
        fail("lang", f"{lang!r} is not a supported language ({' or '.join(LANGUAGES)})")
    updated = meta.get("updated")
    if isinstance(updated, dt.datetime):
        updated = updated.date()
    if isinstance(updated, str) and updated:
        try:
            updated = _date(updated)
        except ValueError:
            fail("updated", f"{updated!r} is not a date (YYYY-MM-DD)")
    elif updated not in (None, "") and not isinstance(updated, dt.date):
        fail("updated", "must be a date (YYYY-MM-DD)")
    tags = _string_list(meta.get("tags"), "tags", fail)
    questions = _string_list(meta.get("questions"), "questions", fail)
    if not body:
        errors.append(EntryError(source, "the answer (Markdown body) is empty", "body"))
    if errors:
        raise EntryErrors(errors)
    return Entry(
        id=entry_id,
        title=str(meta["title"]).strip(),
        lang=lang,
        body=body,
        tags=tags,
        questions=questions,
        owner=str(meta.get("owner") or "").strip(),
        updated=updated.isoformat() if isinstance(updated, dt.date) else "",
        source=source,
    )


def _string_list(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        fail(key, "must be a list of strings")
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(";") if part.strip()]


def _flow_list(values: Sequence[str]) -> str:
    """A YAML flow list (``[a, 'b, c']``) that reads back as exactly ``values``."""
    dumped = yaml.safe_dump(list(values), allow_unicode=True, default_flow_style=True, width=10_000)
    return dumped.strip()


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly ``value``."""
    dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    dumped = dumped.strip()
    if dumped.endswith("\n..."):
        dumped = dumped[: -len("\n...")]
    return dumped.removesuffix("...").strip()
