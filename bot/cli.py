"""The ``socialbot`` command line: parse, call the library, print. Nothing else."""

from __future__ import annotations

import argparse
import errno
import io
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot import __version__
from bot.config import LOG_FORMAT, Settings, load_settings
from bot.errors import BotError, ConfigError, InvalidInput
from bot.i18n import confidence_level, t
from bot.knowledge import Answer
from bot.knowledge.entry import Entry, EntryErrors, is_entry_file, load_paths, to_markdown
from bot.services import build_services

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
# What a shell reports for a program stopped by SIGPIPE (e.g. `socialbot kb list | head`).
EXIT_BROKEN_PIPE = 128 + 13
# ... and for one stopped by Ctrl+C (SIGINT).
EXIT_INTERRUPTED = 128 + 2
# Errors of output that has no room left (`socialbot kb list > /dev/full`, a full disk or quota).
_OUTPUT_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every ``socialbot`` command."""
    parser = argparse.ArgumentParser(
        prog="socialbot",
        description="socialbot: your company's social media consultant, in Slack and here.",
    )
    parser.add_argument("--version", action="version", version=f"socialbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ask = commands.add_parser("ask", help="answer a question from the knowledge base")
    ask.add_argument("question", nargs="*", help="the question; omit it to read stdin")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per line)")
    ask.set_defaults(run=cmd_ask)

    kb = commands.add_parser("kb", help="manage the knowledge base")
    kb_commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    imp = kb_commands.add_parser("import", help="import Markdown files, folders or a CSV")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--replace", action="store_true", help="replace the whole knowledge base")
    imp.set_defaults(run=cmd_kb_import)
    exp = kb_commands.add_parser("export", help="write every entry as Markdown into DIR")
    exp.add_argument("directory", metavar="DIR")
    exp.set_defaults(run=cmd_kb_export)
    lint = kb_commands.add_parser("lint", help="validate files without importing them")
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.set_defaults(run=cmd_kb_lint)
    lst = kb_commands.add_parser("list", help="list the entries: id, language, title, updated")
    lst.set_defaults(run=cmd_kb_list)

    serve = commands.add_parser("serve", help="run the Slack app (Socket Mode, or --http)")
    serve.add_argument("--http", action="store_true", help="serve HTTP at /slack/events")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP host (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_number(0, 65535), default=3000, help="HTTP port (default 3000)"
    )
    serve.add_argument(
        "--threads", type=_number(1, 1000), default=16, help="HTTP worker threads (default 16)"
    )
    serve.set_defaults(run=cmd_serve)
    return parser


def _number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    """Run one command; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except BotError as exc:
        print(f"socialbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    run: Callable[[argparse.Namespace, Settings, TextIO], int] = args.run
    try:
        code = run(args, settings, stdin or sys.stdin)
        sys.stdout.flush()  # output to a file or pipe is buffered: its errors show up here
        return code
    except EntryErrors as exc:
        return _entry_errors(exc, "nothing was imported")
    except InvalidInput as exc:
        print(f"socialbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"socialbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BotError as exc:
        print(f"socialbot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except sqlite3.Error as exc:  # a full disk, a read-only file: the transaction changed nothing
        print(
            f"socialbot: the database {settings.db_path} (SOCIALBOT_DB) failed: {exc}; "
            "the failed change was rolled back",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away: stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        if exc.errno not in _OUTPUT_FULL:
            raise
        print(f"socialbot: cannot write the output: {exc.strerror}", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush
        return EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl+C: stopping is what the user asked for, not a crash
        print(file=sys.stderr)
        return EXIT_INTERRUPTED


def cmd_ask(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot ask``: one question from the arguments, or one per line from stdin."""
    question = " ".join(args.question)
    if args.question and not question.strip():
        raise InvalidInput(t("empty_question", settings.default_lang))
    services = build_services(settings)
    try:
        if args.question:
            answer = services.kb.answer(question)
            print(
                json.dumps(answer_json(answer), ensure_ascii=False)
                if args.json
                else render_answer(answer)
            )
            return EXIT_OK
        if stdin.isatty():
            print("Type one question per line; end with Ctrl-D.", file=sys.stderr)
        if isinstance(stdin, io.TextIOWrapper):  # bytes that are not UTF-8 become U+FFFD
            stdin.reconfigure(errors="replace")
        for line in stdin:
            if not line.strip():
                continue
            answer = services.kb.answer(line)
            if args.json:
                print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
            else:
                print(render_answer(answer) + "\n", flush=True)
        return EXIT_OK
    finally:
        services.close()


def cmd_kb_import(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb import``: all files or none."""
    entries = _entries_in(args.paths)
    services = build_services(settings, seed=False)
    try:
        count = services.kb.import_entries(entries, replace=args.replace)
        total = services.kb.count()
    finally:
        services.close()
    print(f"Imported {count} entries; the knowledge base now has {total}.")
    return EXIT_OK


def cmd_kb_export(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb export DIR``: one Markdown file per entry."""
    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"{directory} exists and is not a folder")
    services = build_services(settings, models=False)
    try:
        entries = services.kb.entries()
    finally:
        services.close()
    files = {directory / f"{entry.id}.md": entry for entry in entries}
    try:
        before = (
            {p for p in directory.iterdir() if is_entry_file(p)} if directory.is_dir() else set()
        )
        directory.mkdir(parents=True, exist_ok=True)
        for path, entry in files.items():
            path.write_text(to_markdown(entry), encoding="utf-8")
    except OSError as exc:
        raise BotError(
            f"cannot write to {exc.filename or directory}: {exc.strerror or exc}; "
            "choose a folder you can write to"
        ) from None
    print(f"Exported {len(entries)} entries to {directory}.")
    replaced = len(before & files.keys())
    others = sorted(p.name for p in before - files.keys())
    if replaced:
        print(f"{replaced} file(s) of the same name were already there and are replaced.")
    if others:
        print(
            f"{len(others)} other entry file(s) there were left as they are, e.g. {others[0]}; "
            f"`socialbot kb import --replace {directory}` would read them too."
        )
    return EXIT_OK


def cmd_kb_lint(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb lint``: validate without importing."""
    try:
        entries = _entries_in(args.paths)
    except EntryErrors as exc:
        return _entry_errors(exc, "fix them, then import")
    print(f"OK: {len(entries)} valid entries.")
    return EXIT_OK


def _entries_in(paths: Sequence[str]) -> list[Entry]:
    """The entries in ``paths``; none at all is an error (an import of nothing with
    ``--replace`` would empty the knowledge base)."""
    entries = load_paths(paths)
    if not entries:
        raise InvalidInput(
            f"no entries in {', '.join(paths)}: give Markdown (.md) or CSV (.csv) entry files, "
            "or folders that hold them; nothing was changed"
        )
    return entries


def _entry_errors(exc: EntryErrors, outcome: str) -> int:
    """Report every problem in the knowledge-base files, then what that means; exit code 1."""
    for error in exc.errors:
        print(f"socialbot: {error}", file=sys.stderr)
    print(f"socialbot: {len(exc.errors)} problem(s); {outcome}.", file=sys.stderr)
    return EXIT_ERROR


def cmd_kb_list(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb list``: id, language, title and date last verified."""
    services = build_services(settings, models=False)
    try:
        entries = services.kb.entries()
    finally:
        services.close()
    width = max((len(e.id) for e in entries), default=2)
    print(f"{'ID':<{width}}  LANG  UPDATED     TITLE")
    for e in entries:
        print(f"{e.id:<{width}}  {e.lang:<4}  {e.updated:<10}  {e.title}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot serve``: run the Slack app."""
    from handlers.serve import serve  # the Slack edge is loaded only when serving

    settings.require_slack("http" if args.http else "socket")
    services = build_services(settings, backfill=False)  # serve embeds in the background
    try:
        serve(services, http=args.http, host=args.host, port=args.port, threads=args.threads)
    finally:
        services.close()
    return EXIT_OK


def answer_json(answer: Answer) -> dict[str, object]:
    """The ``ask --json`` object for one answer."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "id": answer.best.entry.id if answer.best else None,
        "title": answer.best.entry.title if answer.best else None,
        "score": answer.score,
        "lang": answer.lang,
        "suggestions": [
            {"id": h.entry.id, "title": h.entry.title, "score": h.score} for h in answer.suggestions
        ],
    }


def render_answer(answer: Answer) -> str:
    """A readable answer for the terminal, in the question's language."""
    lang = answer.lang
    if answer.answered and answer.best:
        entry = answer.best.entry
        lines = [entry.title, "=" * min(len(entry.title), 80), entry.body, ""]
        lines.append(
            t(
                "source",
                lang,
                title=entry.title,
                id=entry.id,
                owner=entry.owner or t("owner_unknown", lang),
                updated=entry.updated,
            )
        )
        level = t(f"level_{confidence_level(answer.score)}", lang)
        lines.append(t("confidence", lang, score=answer.score, level=level))
        if answer.suggestions:
            lines.append(
                t("also_see", lang)
                + " "
                + ", ".join(f"{h.entry.title} ({h.entry.id})" for h in answer.suggestions)
            )
        return "\n".join(lines)
    level = t(f"level_{confidence_level(answer.score)}", lang)
    lines = [t("dont_know", lang), t("confidence", lang, score=answer.score, level=level)]
    if answer.suggestions:
        lines.append(t("did_you_mean", lang))
        lines.extend(
            f"  {i}. {h.entry.title} ({h.entry.id}, {h.score:.2f})"
            for i, h in enumerate(answer.suggestions, start=1)
        )
    lines.append(t("ask_cm_hint", lang))
    return "\n".join(lines)
