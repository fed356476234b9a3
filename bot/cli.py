"""The ``socialbot`` command line: parse, call the library, print. Nothing else."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import errno
import io
import json
import os
import sqlite3
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import __version__
from bot.config import ServeMode, Settings, load_settings
from bot.errors import BotError, ConfigError, InvalidInput, NotFound
from bot.i18n import confidence_level, t
from bot.knowledge import Answer
from bot.knowledge.entry import Entry, EntryErrors, is_entry_file, load_paths, to_markdown
from bot.logs import configure_logging
from bot.outbox import STATES, Backlog, Row, State
from bot.questions import small_talk
from bot.scheduler import JobState
from bot.services import Services, build_services
from bot.teaching import Cluster, Lesson, parse_lessons

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
# What a shell reports for a program stopped by SIGPIPE (e.g. `socialbot kb list | head`).
EXIT_BROKEN_PIPE = 128 + 13
# ... and for one stopped by Ctrl+C (SIGINT).
EXIT_INTERRUPTED = 128 + 2
# Errors of output that has no room left (`socialbot kb list > /dev/full`, a full disk or quota).
_OUTPUT_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# The largest id SQLite stores (a larger one could not be looked up at all).
_MAX_ROW_ID = 2**63 - 1
# How `outbox list` and `jobs list` show a time: short, in SOCIALBOT_TIMEZONE.
_TIME_FORMAT = "%Y-%m-%d %H:%M"
# Widest ABOUT column in `outbox list`; longer descriptions are cut (--json has them whole).
_ABOUT_WIDTH = 40


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
    teach = kb_commands.add_parser(
        "teach",
        help='teach an entry a question (e.g. socialbot kb teach hacked-account "Locked out?")',
        description="Add QUESTION to entry ENTRY_ID's alternative phrasings, at once: the next "
        "person who asks it gets that entry. Everyone on the to-teach list who asked it in "
        "these words gets the answer by DM (`socialbot serve` sends them), once. With --file, "
        'one {"question": ..., "id": ...} per line, all or nothing: an unknown id or a blank '
        "question names its line and changes nothing.",
        epilog='examples:\n  socialbot kb teach hacked-account "We got locked out of our page"\n'
        "  socialbot kb teach --file lessons.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    teach.add_argument("entry_id", nargs="?", metavar="ENTRY_ID", help="the entry's id")
    teach.add_argument("question", nargs="?", metavar="QUESTION", help="the question to teach")
    teach.add_argument("--file", metavar="FILE", help="a JSON Lines file of questions and ids")
    teach.set_defaults(run=cmd_kb_teach)
    untaught = kb_commands.add_parser(
        "untaught",
        help='remove a taught phrasing (e.g. socialbot kb untaught hacked-account "Locked out?")',
        description="Remove QUESTION, a phrasing taught to ENTRY_ID (in Slack or with `kb "
        "teach`), from the entry again; `socialbot kb taught` lists them.",
        epilog='example:\n  socialbot kb untaught hacked-account "We got locked out of our page"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    untaught.add_argument("entry_id", metavar="ENTRY_ID")
    untaught.add_argument("question", metavar="QUESTION")
    untaught.set_defaults(run=cmd_kb_untaught)
    taught = kb_commands.add_parser(
        "taught",
        help="list the taught phrasings (e.g. socialbot kb taught hacked-account)",
        description="The phrasings taught to entries, newest first: entry, when, by whom, "
        "the phrasing.",
        epilog="examples:\n  socialbot kb taught\n  socialbot kb taught hacked-account --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    taught.add_argument("entry_id", nargs="?", metavar="ENTRY_ID", help="only this entry's")
    taught.add_argument("--json", action="store_true", help="print JSON (one object per line)")
    taught.set_defaults(run=cmd_kb_taught)

    questions = commands.add_parser(
        "questions",
        help="the questions socialbot could not answer",
        description="Questions asked in Slack and what became of them.",
    )
    questions_commands = questions.add_subparsers(
        dest="questions_command", metavar="QUESTIONS_COMMAND", required=True
    )
    unanswered = questions_commands.add_parser(
        "unanswered",
        help="the to-teach list (e.g. socialbot questions unanswered --json)",
        description="The to-teach list: every question socialbot abstained on, and every "
        "answer that got 👎, not taught or dismissed yet, grouped by similarity; the cluster "
        "asked most recently first. Teach one with `socialbot kb teach`.",
        epilog="examples:\n  socialbot questions unanswered\n"
        "  socialbot questions unanswered --json --limit 50",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    unanswered.add_argument(
        "--limit", type=_number(1, 10_000), default=20, metavar="N", help="at most N clusters"
    )
    unanswered.add_argument("--json", action="store_true", help="print JSON (one per line)")
    unanswered.set_defaults(run=cmd_questions_unanswered)

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

    outbox = commands.add_parser(
        "outbox",
        help="the messages owed to Slack users: list them, retry failed ones",
        description="The outbox keeps every Slack message socialbot owes someone until Slack "
        "has it.",
    )
    outbox_commands = outbox.add_subparsers(
        dest="outbox_command", metavar="OUTBOX_COMMAND", required=True
    )
    olist = outbox_commands.add_parser(
        "list",
        help="list undelivered and failed messages (e.g. socialbot outbox list --failed)",
        description="List the outbox, newest first: by default the messages not delivered "
        "yet (pending, sending) and the failed ones; then a one-line summary of the backlog. "
        "Times are in SOCIALBOT_TIMEZONE.",
        epilog="examples:\n  socialbot outbox list\n  socialbot outbox list --failed --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = olist.add_mutually_exclusive_group()
    which.add_argument("--failed", action="store_true", help="only the failed messages")
    which.add_argument(
        "--all", action="store_true", help="messages in every state, delivered ones included"
    )
    olist.add_argument(
        "--limit",
        type=_number(1, 1_000_000),
        default=100,
        metavar="N",
        help="show at most N messages, the newest (default 100)",
    )
    olist.add_argument("--json", action="store_true", help="print JSON (one object per line)")
    olist.set_defaults(run=cmd_outbox_list)
    retry = outbox_commands.add_parser(
        "retry",
        help="send failed messages again (e.g. socialbot outbox retry 12)",
        description="Make failed messages due again: the next `socialbot serve` that runs "
        "sends them, their attempts counted from zero. Give the ids from `socialbot outbox "
        "list --failed`, or --all-failed. With ids it is all or nothing: an unknown id, or a "
        "message that has not failed, changes nothing.",
        epilog="examples:\n  socialbot outbox retry 12 15\n  socialbot outbox retry --all-failed",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    retry.add_argument(
        "ids", nargs="*", type=_number(1, _MAX_ROW_ID), metavar="ID", help="an outbox row id"
    )
    retry.add_argument("--all-failed", action="store_true", help="every failed message")
    retry.set_defaults(run=cmd_outbox_retry)

    jobs = commands.add_parser(
        "jobs",
        help="the periodic jobs: list them, run one now (e.g. from cron)",
        description="The periodic jobs that `socialbot serve` runs on their schedule.",
    )
    jobs_commands = jobs.add_subparsers(dest="jobs_command", metavar="JOBS_COMMAND", required=True)
    jlist = jobs_commands.add_parser(
        "list",
        help="each job's schedule, next and last run (e.g. socialbot jobs list)",
        description="Each scheduled job: its name, schedule (cron syntax), next run, last run "
        "and its outcome, and what it does. Times are in SOCIALBOT_TIMEZONE.",
        epilog="examples:\n  socialbot jobs list\n  socialbot jobs list --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    jlist.add_argument("--json", action="store_true", help="print JSON (one object per line)")
    jlist.set_defaults(run=cmd_jobs_list)
    jrun = jobs_commands.add_parser(
        "run",
        help="run one job now (e.g. socialbot jobs run outbox-sweep)",
        description="Run job NAME now, once, and print what it did; exit code 1 when it "
        "fails. This is for those who prefer cron to socialbot's own scheduler: then set "
        "SOCIALBOT_SCHEDULER=off for `socialbot serve`, and run each job from cron on the "
        "schedule `socialbot jobs list` shows. A job that another process is running is not "
        "started twice.",
        epilog="examples:\n  socialbot jobs run outbox-sweep\n"
        "  crontab line: */5 * * * * socialbot jobs run outbox-sweep",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    jrun.add_argument("name", metavar="NAME", help="the job's name, from `socialbot jobs list`")
    jrun.set_defaults(run=cmd_jobs_run)
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
    configure_logging(settings.log_level, settings.secrets)
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
            print(_reply(services, question, args.json, settings.default_lang))
            return EXIT_OK
        if stdin.isatty():
            print("Type one question per line; end with Ctrl-D.", file=sys.stderr)
        if isinstance(stdin, io.TextIOWrapper):  # bytes that are not UTF-8 become U+FFFD
            stdin.reconfigure(errors="replace")
        for line in stdin:
            if not line.strip():
                continue
            reply = _reply(services, line, args.json, settings.default_lang)
            print(reply if args.json else reply + "\n", flush=True)
        return EXIT_OK
    finally:
        services.close()


def _reply(services: Services, question: str, as_json: bool, default_lang: str) -> str:
    """The answer to ``question``, or, for small talk ("bedankt", "help"), the reply Slack
    gives it: small talk is not looked up."""
    chat = small_talk(question)
    if chat is None:
        answer = services.kb.answer(question)
        return (
            json.dumps(answer_json(answer), ensure_ascii=False)
            if as_json
            else render_answer(answer)
        )
    lang = chat.lang or default_lang
    reply = t(chat.reply, lang)
    if not as_json:
        return reply
    return json.dumps(
        {"question": " ".join(question.split()), "answered": False, "id": None, "title": None,
         "score": 0.0, "lang": lang, "suggestions": [], "small_talk": reply},
        ensure_ascii=False,
    )  # fmt: skip


def cmd_kb_import(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb import``: all files or none."""
    entries = _entries_in(args.paths)
    services = build_services(settings, seed=False)
    try:
        imported = services.teaching.import_entries(entries, replace_all=args.replace)
        total = services.kb.count()
    finally:
        services.close()
    print(f"Imported {imported.count} entries; the knowledge base now has {total}.")
    if imported.kept:
        print(
            f"Kept {imported.kept} taught phrasing(s) that the files lack (`socialbot kb "
            "taught` lists them; export to put them in the files, or `kb untaught` one)."
        )
    if imported.orphaned:
        print(
            f"{imported.orphaned} taught phrasing(s) belong to entries not in the knowledge "
            "base now; they come back with their entry."
        )
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


def cmd_kb_teach(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb teach ENTRY_ID QUESTION`` or ``--file FILE``: all or nothing."""
    from handlers.runtime import taught_dm_renderer  # the askers' DMs are Slack messages

    if args.file is not None:
        if args.entry_id is not None:
            raise InvalidInput("give ENTRY_ID and QUESTION, or --file FILE, not both")
        try:
            text = Path(args.file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {args.file}: {exc}; nothing was taught") from None
        lessons = parse_lessons(text, args.file)
    elif args.entry_id is None or args.question is None:
        raise InvalidInput(
            'give ENTRY_ID and QUESTION (socialbot kb teach ID "question"), or --file'
        )
    else:
        lessons = [Lesson(args.entry_id, args.question)]
    services = build_services(settings)
    try:
        done = services.teaching.teach_all(lessons, "cli", taught_dm_renderer())
    finally:
        services.close()
    for taught in done:
        added = (
            f"taught to {taught.entry.id}"
            if taught.added
            else f"already a phrasing of {taught.entry.id}"
        )
        print(f"{added}; {taught.notified} asker(s) get the answer by DM")
    return EXIT_OK


def cmd_kb_untaught(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb untaught ENTRY_ID QUESTION``."""
    services = build_services(settings)
    try:
        entry = services.teaching.untaught(args.entry_id, args.question)
    finally:
        services.close()
    print(f"Removed from {entry.id}; it has {len(entry.questions)} alternative phrasing(s) now.")
    return EXIT_OK


def cmd_kb_taught(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot kb taught [ENTRY_ID]``: the taught phrasings, newest first."""
    services = build_services(settings, models=False)
    try:
        if args.entry_id:
            services.kb.get(args.entry_id)  # NotFound for an unknown id
        phrasings = services.teaching.taught(args.entry_id)
    finally:
        services.close()
    if args.json:
        for p in phrasings:
            print(json.dumps(dataclasses.asdict(p), ensure_ascii=False))
        return EXIT_OK
    if not phrasings:
        print("No taught phrasings.")
    for p in phrasings:
        when = _local(p.taught_at, settings.zone)
        print(f"{p.entry_id}  {when}  {p.taught_by}  {_one_line(p.question)}")
    return EXIT_OK


def cmd_questions_unanswered(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot questions unanswered``: the to-teach list."""
    services = build_services(settings, models=False)
    try:
        clusters = services.teaching.to_teach(args.limit)
    finally:
        services.close()
    if args.json:
        for c in clusters:
            print(json.dumps(cluster_json(c), ensure_ascii=False))
        return EXIT_OK
    if not clusters:
        print("Nothing to teach: every question was answered, taught or dismissed.")
    for c in clusters:
        newest = c.newest
        print(f"{c.count}x  {_local(newest.asked_at, settings.zone)}  {_one_line(newest.question)}")
        guess = f"best guess {c.best_guess}" if c.best_guess else "no guess"
        print(f"    ids {','.join(map(str, c.ids))}; asked by {', '.join(c.askers)}; "
              f"{len(c.not_helpful)} 👎; {guess}")  # fmt: skip
        for other in list(dict.fromkeys(q.question for q in c.questions[1:]))[:3]:
            print(f"    also: {_one_line(other)}")
    return EXIT_OK


def cluster_json(cluster: Cluster) -> dict[str, object]:
    """The ``questions unanswered --json`` object for one cluster."""
    return {
        "count": cluster.count,
        "question": cluster.newest.question,
        "last_asked": cluster.newest.asked_at,
        "askers": list(cluster.askers),
        "best_guess": cluster.best_guess,
        "questions": [
            {"id": q.id, "question": q.question, "user_id": q.user_id, "asked_at": q.asked_at,
             "lang": q.lang, "not_helpful": q.id in cluster.not_helpful}
            for q in cluster.questions
        ],
    }  # fmt: skip


def cmd_serve(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot serve``: run the Slack app."""
    from handlers.runtime import serve  # the Slack edge is loaded only when serving

    mode: ServeMode = "http" if args.http else "socket"
    serve(settings, mode, host=args.host, port=args.port, threads=args.threads)
    return EXIT_OK


def cmd_outbox_list(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot outbox list``: undelivered and failed messages (or a choice), newest first."""
    states: tuple[State, ...]
    if args.all:
        states = STATES
    elif args.failed:
        states = ("failed",)
    else:
        states = ("pending", "sending", "failed")
    services = build_services(settings, models=False)
    try:
        rows = services.outbox.rows(states, args.limit + 1)  # one more: are there more?
        backlog = services.outbox.backlog()
    finally:
        services.close()
    more, rows = len(rows) > args.limit, rows[: args.limit]
    if args.json:
        for row in rows:
            print(json.dumps(outbox_json(row), ensure_ascii=False))
        return EXIT_OK
    if rows:
        print(render_outbox(rows, settings.zone))
        if more:
            print(f"(only the newest {args.limit}; --limit N shows more)")
    else:
        print(f"No messages {_or(states)}.")
    print(render_backlog(backlog))
    return EXIT_OK


def cmd_outbox_retry(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot outbox retry ID...`` or ``--all-failed``: make failed messages due again."""
    if bool(args.ids) == args.all_failed:
        raise InvalidInput(
            "give the ids of failed messages (`socialbot outbox list --failed`) or "
            "--all-failed, not both"
            if args.all_failed
            else "give the ids of failed messages to retry (`socialbot outbox list --failed` "
            "shows them), or --all-failed"
        )
    ids = list(dict.fromkeys(args.ids))  # an id given twice is retried once
    services = build_services(settings, models=False)
    try:
        count = services.outbox.retry(ids, all_failed=args.all_failed)
    except (NotFound, InvalidInput) as exc:
        raise type(exc)(f"{exc}; nothing was changed") from None
    finally:
        services.close()
    if args.all_failed and not count:
        print("No failed messages: nothing to retry.")
    else:
        print(f"{count} failed message(s) due again; `socialbot serve` sends them.")
    return EXIT_OK


def cmd_jobs_list(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot jobs list``: each job's schedule, next slot, last run and outcome."""
    services = build_services(settings, models=False)
    try:
        scheduler = services.scheduler
        listed = [
            (state, scheduler.jobs[state.name].cron, scheduler.jobs[state.name].description,
             scheduler.next_slot(state.name))
            for state in scheduler.states()
        ]  # fmt: skip
        zone = scheduler.zone
    finally:
        services.close()
    if args.json:
        for state, cron, description, next_slot in listed:
            print(json.dumps(job_json(state, cron, description, next_slot), ensure_ascii=False))
        return EXIT_OK
    table = [
        (state.name, cron, _local(next_slot, zone), _local(state.last_started, zone, "never"),
         state.last_outcome or "-")
        for state, cron, _, next_slot in listed
    ]  # fmt: skip
    if not listed:
        print("No scheduled jobs.")
        return EXIT_OK
    header = ("NAME", "SCHEDULE", "NEXT", "LAST RUN", "OUTCOME")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header) - 1)]
    print(_columns(header, widths))
    for (state, _, description, _), cells in zip(listed, table, strict=True):
        print(_columns(cells, widths))
        print(textwrap.fill(description, 100, initial_indent=" " * 4, subsequent_indent=" " * 4))
        if state.running_slot:
            print(f"    running now (since {_local(state.last_started, zone, '?')})")
        if state.last_outcome == "failed" and state.last_error:
            print(f"    last error: {_one_line(state.last_error)}")
    return EXIT_OK


def cmd_jobs_run(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    """``socialbot jobs run NAME``: run one job now, e.g. from cron; print its summary."""
    services = build_services(settings, models=False)
    try:
        services.scheduler.job(args.name)  # NotFound names the jobs there are
        try:
            summary = services.scheduler.run_now(args.name)
        except BotError as exc:  # e.g. another process runs it: the message names the job
            message = str(exc)
            raise BotError(
                message if args.name in message else f"job {args.name} failed: {message}"
            ) from None
        except Exception as exc:  # the job's own failure; the scheduler logged its traceback
            raise BotError(f"job {args.name} failed: {type(exc).__name__}: {exc}") from None
    finally:
        services.close()
    print(f"{args.name}: {summary}")
    return EXIT_OK


def outbox_json(row: Row) -> dict[str, object]:
    """The ``outbox list --json`` object for one row."""
    return {
        "id": row.id,
        "key": row.key,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "channel": row.channel,
        "user_id": row.user_id,
        "about": row.about,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at,
        "last_error": row.last_error,
    }


def render_outbox(rows: Sequence[Row], zone: ZoneInfo) -> str:
    """The ``outbox list`` table."""
    header = ("ID", "STATE", "ATTEMPTS", "KIND", "TO", "CREATED", "ABOUT", "LAST ERROR")
    table = [
        (str(r.id), r.state, str(r.attempts), r.kind, r.channel, _local(r.created_at, zone),
         _cut(_one_line(r.about), _ABOUT_WIDTH), _one_line(r.last_error or "-"))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header) - 1)]
    return "\n".join(_columns(cells, widths) for cells in [header, *table])


def render_backlog(backlog: Backlog) -> str:
    """One line: "3 undelivered, oldest 12 s; 1 failed"."""
    waiting = f"{backlog.undelivered} undelivered"
    if backlog.undelivered:
        waiting += f", oldest {_duration(backlog.oldest_age)}"
    return f"{waiting}; {backlog.failed} failed"


def job_json(
    state: JobState, cron: str, description: str, next_slot: dt.datetime
) -> dict[str, Any]:
    """The ``jobs list --json`` object for one job (times ISO 8601; stored ones in UTC)."""
    return {
        "name": state.name,
        "schedule": cron,
        "description": description,
        "next": next_slot.isoformat(),
        "last_slot": state.last_slot,
        "running_slot": state.running_slot,
        "last_started": state.last_started,
        "last_finished": state.last_finished,
        "last_outcome": state.last_outcome,
        "last_error": state.last_error,
    }


def _local(moment: dt.datetime | str | None, zone: ZoneInfo, missing: str = "-") -> str:
    """``moment`` (a datetime or a stored ISO string) as short local time in ``zone``."""
    if moment is None:
        return missing
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(zone).strftime(_TIME_FORMAT)


def _duration(seconds: float) -> str:
    """A short, rounded duration: "12 s", "5 min", "3 h", "2 d"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def _columns(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One table line: each cell but the last padded to its width, two spaces between."""
    return "  ".join([*(c.ljust(w) for c, w in zip(cells, widths, strict=False)), cells[-1]])


def _one_line(text: str) -> str:
    """``text`` with its line breaks (and runs of white space) as single spaces."""
    return " ".join(text.split())


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _or(words: Sequence[str]) -> str:
    """The words joined: "a, b or c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


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
