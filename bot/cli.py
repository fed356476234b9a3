"""The ``socialbot`` command line: parse, call the library, print. Nothing else.

Built on click. Library errors become messages and exit codes in one place,
:meth:`_Socialbot.invoke`; click's own usage errors exit 2 as well.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import io
import json
import os
import sqlite3
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar
from zoneinfo import ZoneInfo

import click

from bot import __version__
from bot.backup import backup
from bot.config import USER_ID, ServeMode, Settings, database_path, load_settings
from bot.digest import chart_png
from bot.digest import to_markdown as digest_markdown
from bot.doctor import SlackProbe
from bot.doctor import render as render_checks
from bot.doctor import run as run_doctor
from bot.errors import BotError, ConfigError, InvalidInput, NotFound
from bot.escalations import Detail, Escalation, parse_reference
from bot.i18n import confidence_level, t
from bot.knowledge import Answer
from bot.knowledge.entry import Entry, EntryErrors, is_entry_file, load_paths, to_markdown
from bot.lessons import drafts as lesson_drafts
from bot.logs import configure_logging
from bot.outbox import STATES, Backlog, Row, State
from bot.pilot_report import export_csv, export_json, listing_text, report_lines
from bot.pilots import Pilot, Report
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


@dataclass
class _Run:
    """What one command runs with: click's ``ctx.obj``."""

    stdin: TextIO | None = None  # None: sys.stdin
    settings: Settings | None = None

    @property
    def config(self) -> Settings:
        assert self.settings is not None, "the socialbot group loads the settings first"
        return self.settings


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    """Run one command (``argv``, default the process's arguments; questions for ``ask``
    from ``stdin``, default standard input); return the exit code."""
    try:
        result = cli.main(argv, prog_name="socialbot", standalone_mode=False, obj=_Run(stdin=stdin))
    except click.ClickException as exc:  # a usage error, in click's words
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl+C while click parsed (it has ended the line on stderr)
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK


class _Socialbot(click.Group):
    """The ``socialbot`` group: the one place where library errors become messages on
    stderr and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        run = ctx.ensure_object(_Run)
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # output to a file or pipe is buffered: its errors show up here
            return result
        except EntryErrors as exc:
            _entry_errors(exc, "nothing was imported")
        except InvalidInput as exc:
            _fail(str(exc), EXIT_USAGE)
        except ConfigError as exc:
            _fail(f"configuration error: {exc}", EXIT_USAGE)
        except BotError as exc:
            _fail(str(exc), EXIT_ERROR)
        except sqlite3.Error as exc:  # a full disk, a read-only file: the change was rolled back
            _fail(
                f"the database {run.config.db_path} ({run.config.db_source}) failed: {exc}; "
                "the failed change was rolled back",
                EXIT_ERROR,
            )
        except BrokenPipeError:
            # The reader went away: stop quietly, and keep Python from complaining at exit.
            _discard_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except OSError as exc:
            if exc.errno not in _OUTPUT_FULL:
                raise
            _discard_stdout()  # nothing more to flush
            _fail(f"cannot write the output: {exc.strerror}", EXIT_ERROR)
        except KeyboardInterrupt:  # Ctrl+C: stopping is what the user asked for, not a crash
            print(file=sys.stderr)
            ctx.exit(EXIT_INTERRUPTED)


def _fail(message: str, code: int) -> NoReturn:
    """Say what went wrong on stderr; end the command with exit code ``code``."""
    print(f"socialbot: {message}", file=sys.stderr)
    raise click.exceptions.Exit(code)


def _entry_errors(exc: EntryErrors, outcome: str) -> NoReturn:
    """Report every problem in the knowledge-base files, then what that means; exit code 1."""
    for error in exc.errors:
        print(f"socialbot: {error}", file=sys.stderr)
    _fail(f"{len(exc.errors)} problem(s); {outcome}.", EXIT_ERROR)


def _discard_stdout() -> None:
    """Send what is left of standard output to the null device."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _WholeNumber(click.IntRange):
    """click's IntRange, whose errors speak of a whole number (not of an "integer range")."""

    name = "whole number"


def _database_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--db``: checked as SOCIALBOT_DB is, the message naming --db."""
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("the path is empty; give a file path", ctx, param)
    try:
        return database_path(value, "--db")
    except ConfigError as exc:
        raise click.BadParameter(exc.problem, ctx, param) from None


def _examples(*lines: str) -> str:
    """A help epilog: the example command lines, as written (``\\b`` keeps click from
    re-wrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


F = TypeVar("F", bound=Callable[..., Any])
_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: one object per line."
)


@click.group(
    cls=_Socialbot,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # -h as argparse had it
    epilog=_examples(
        'socialbot ask "Wie mag er namens het merk posten?"',
        "socialbot kb import --replace knowledge_base/",
        "socialbot --db ~/try.db kb list --json",
    )
    + "\n\nExit codes: 0 success, 1 failure, 2 usage or configuration error, 130 Ctrl+C, "
    "141 when the reader of the output stops early (socialbot kb list | head).",
)
@click.version_option(__version__, prog_name="socialbot", message="%(prog)s %(version)s")
@click.option(
    "--db",
    metavar="PATH",
    callback=_database_option,
    help="The SQLite database file; overrides SOCIALBOT_DB (default socialbot.db). "
    "A new file starts with the entries in SOCIALBOT_KB_DIR.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """socialbot: your company's social media consultant, in Slack and here.

    Settings come from the environment and a .env file (see the README). Each command's
    --help has its options and examples.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        return
    run = ctx.ensure_object(_Run)
    if db is None:
        run.settings = load_settings()
    else:
        settings = load_settings({**os.environ, "SOCIALBOT_DB": db})
        run.settings = dataclasses.replace(settings, db_source="--db")
    configure_logging(run.settings.log_level, run.settings.secrets)


@contextmanager
def _services(
    run: _Run, seed: bool = True, models: bool = True, slack: bool = False
) -> Iterator[Services]:
    """The library's services on the database, closed after the block; the first use of a
    database file that does not exist yet says so. With ``slack``, the messages it enqueues
    about lessons and the digest are rendered in Block Kit (the Slack edge's renderers)."""
    _announce_new_database(run.config)
    if slack:
        from handlers.runtime import slack_services  # Slack messages, for `serve` to send

        services = slack_services(run.config, seed=seed, models=models)
    else:
        services = build_services(run.config, seed=seed, models=models)
    try:
        yield services
    finally:
        services.close()


def _announce_new_database(settings: Settings) -> None:
    path = settings.db_path
    if path != ":memory:" and not os.path.lexists(path):
        print(f"socialbot: creating a new database at {os.path.abspath(path)}", file=sys.stderr)


@cli.command(
    epilog=_examples(
        'socialbot ask "Wie mag er namens het merk posten?"',
        'socialbot ask --json "How do I propose a pilot project?"',
        "socialbot ask --json < questions.txt",
    )
)
@click.argument("question", nargs=-1)
@_json_option
@click.pass_obj
def ask(run: _Run, question: tuple[str, ...], as_json: bool) -> None:
    """Answer a question from the knowledge base.

    Prints the answer, its source (title, id, owner, date last verified) and the
    confidence, or "I don't know" with up to 3 suggestions. Small talk ("bedankt",
    "help") gets the reply Slack gives it and is not looked up. Without QUESTION, reads one
    question per line from standard input and answers each in turn; blank lines are
    skipped.
    """
    settings = run.config
    text = " ".join(question)
    if question and not text.strip():
        raise InvalidInput(t("empty_question", settings.default_lang))

    def render(question: str) -> str:
        return _reply(services, question, as_json, settings.default_lang)

    with _services(run) as services:
        if question:
            print(render(text))
            return
        stdin = sys.stdin if run.stdin is None else run.stdin
        if stdin.isatty():
            print("Type one question per line; end with Ctrl-D.", file=sys.stderr)
        if isinstance(stdin, io.TextIOWrapper):  # bytes that are not UTF-8 become U+FFFD
            stdin.reconfigure(errors="replace")
        for line in stdin:
            if line.strip():  # each answer at once, for a reader that waits; text spaced out
                print(render(line) + ("" if as_json else "\n"), flush=True)


@cli.group(
    epilog=_examples(
        "socialbot kb lint knowledge_base/",
        "socialbot kb import --replace knowledge_base/",
        "socialbot kb list --json",
    )
)
def kb() -> None:
    """Manage the knowledge base: import, export, lint and list entries."""


@kb.command(
    "import",
    epilog=_examples(
        "socialbot kb import knowledge_base/",
        "socialbot kb import --replace knowledge_base/ extra/faq.csv",
    ),
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--replace", is_flag=True, help="Replace the whole knowledge base.")
@click.pass_obj
def kb_import(run: _Run, paths: tuple[str, ...], replace: bool) -> None:
    """Import Markdown files, folders of them, or CSV files.

    Each PATH is a Markdown entry file (.md), a CSV file (.csv: columns
    id,title,body,lang,tags,questions, optional owner,updated) or a folder whose .md and
    .csv files are read. It is all or nothing: one bad file, or no entries at all, and
    nothing is imported. --replace drops every entry that is not in PATH. Phrasings taught
    in Slack or with `kb teach` that the files lack are kept.
    """
    entries = _entries_in(paths)
    with _services(run, seed=False) as services:
        with click.progressbar(
            length=len(entries),
            label="Importing",
            file=sys.stderr,
            hidden=not sys.stderr.isatty(),  # a bar on a terminal, nothing in a pipe or log
        ) as bar:
            imported = services.teaching.import_entries(
                entries, replace_all=replace, progress=bar.update
            )
        total = services.kb.count()
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


@kb.command(
    "export",
    epilog=_examples("socialbot kb export kb-copy/", "socialbot --db prod.db kb export backup/"),
)
@click.argument("directory", metavar="DIR")
@click.pass_obj
def kb_export(run: _Run, directory: str) -> None:
    """Write every entry as Markdown into DIR, one file per entry.

    Import, export and import again is lossless. It says which files it replaced, and
    which other entry files it left in DIR.
    """
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} exists and is not a folder")
    with _services(run, models=False) as services:
        entries = services.kb.entries()
    files = {folder / f"{entry.id}.md": entry for entry in entries}
    try:
        before = {p for p in folder.iterdir() if is_entry_file(p)} if folder.is_dir() else set()
        folder.mkdir(parents=True, exist_ok=True)
        for path, entry in files.items():
            path.write_text(to_markdown(entry), encoding="utf-8")
    except OSError as exc:
        raise BotError(
            f"cannot write to {exc.filename or folder}: {exc.strerror or exc}; "
            "choose a folder you can write to"
        ) from None
    print(f"Exported {len(entries)} entries to {folder}.")
    replaced = len(before & files.keys())
    others = sorted(p.name for p in before - files.keys())
    if replaced:
        print(f"{replaced} file(s) of the same name were already there and are replaced.")
    if others:
        print(
            f"{len(others)} other entry file(s) there were left as they are, e.g. {others[0]}; "
            f"`socialbot kb import --replace {folder}` would read them too."
        )


@kb.command(
    "lint",
    epilog=_examples("socialbot kb lint knowledge_base/", "socialbot kb lint faq.csv"),
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
def kb_lint(paths: tuple[str, ...]) -> None:
    """Validate entry files without importing them.

    PATH is what `socialbot kb import` takes: Markdown files, CSV files or folders. Every
    problem is reported with its file, field and line; exit code 1 when there are any.
    """
    try:
        entries = _entries_in(paths)
    except EntryErrors as exc:
        _entry_errors(exc, "fix them, then import")
    print(f"OK: {len(entries)} valid entries.")


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


@kb.command("list", epilog=_examples("socialbot kb list", "socialbot kb list --json"))
@_json_option
@click.pass_obj
def kb_list(run: _Run, as_json: bool) -> None:
    """List the entries: id, language, date last verified and title.

    With --json, one object per line: id, lang, title, updated, tags, owner (null when
    the entry names none).
    """
    with _services(run, models=False) as services:
        entries = services.kb.entries()
    if as_json:
        for e in entries:
            print(json.dumps(entry_json(e), ensure_ascii=False))
        return
    width = max((len(e.id) for e in entries), default=2)
    print(f"{'ID':<{width}}  LANG  UPDATED     TITLE")
    for e in entries:
        print(f"{e.id:<{width}}  {e.lang:<4}  {e.updated:<10}  {e.title}")


@kb.command(
    "teach",
    epilog=_examples(
        'socialbot kb teach hacked-account "We got locked out of our page"',
        "socialbot kb teach --file lessons.jsonl",
    ),
)
@click.argument("entry_id", required=False, metavar="ENTRY_ID")
@click.argument("question", required=False, metavar="QUESTION")
@click.option("--file", "path", metavar="FILE", help="A JSON Lines file of questions and ids.")
@click.pass_obj
def kb_teach(run: _Run, entry_id: str | None, question: str | None, path: str | None) -> None:
    """Teach entry ENTRY_ID the question QUESTION.

    QUESTION becomes one of the entry's alternative phrasings at once: the next person who
    asks it gets that entry. Everyone on the to-teach list who asked it in these words gets
    the answer by DM (`socialbot serve` sends them), once. With --file, one
    {"question": ..., "id": ...} per line, all or nothing: an unknown id or a blank
    question names its line and changes nothing.
    """
    from handlers.runtime import taught_dm_renderer  # the askers' DMs are Slack messages

    if path is not None:
        if entry_id is not None:
            raise InvalidInput("give ENTRY_ID and QUESTION, or --file FILE, not both")
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}; nothing was taught") from None
        lessons = parse_lessons(text, path)
    elif entry_id is None or question is None:
        raise InvalidInput(
            'give ENTRY_ID and QUESTION (socialbot kb teach ID "question"), or --file'
        )
    else:
        lessons = [Lesson(entry_id, question)]
    with _services(run) as services:
        done = services.teaching.teach_all(lessons, "cli", taught_dm_renderer())
    for taught in done:
        added = (
            f"taught to {taught.entry.id}"
            if taught.added
            else f"already a phrasing of {taught.entry.id}"
        )
        print(f"{added}; {taught.notified} asker(s) get the answer by DM")


@kb.command(
    "untaught",
    epilog=_examples('socialbot kb untaught hacked-account "We got locked out of our page"'),
)
@click.argument("entry_id", metavar="ENTRY_ID")
@click.argument("question", metavar="QUESTION")
@click.pass_obj
def kb_untaught(run: _Run, entry_id: str, question: str) -> None:
    """Remove QUESTION, a phrasing taught to ENTRY_ID, from the entry again.

    `socialbot kb taught` lists the taught phrasings.
    """
    with _services(run) as services:
        entry = services.teaching.untaught(entry_id, question)
    print(f"Removed from {entry.id}; it has {len(entry.questions)} alternative phrasing(s) now.")


@kb.command(
    "taught",
    epilog=_examples("socialbot kb taught", "socialbot kb taught hacked-account --json"),
)
@click.argument("entry_id", required=False, metavar="[ENTRY_ID]")
@_json_option
@click.pass_obj
def kb_taught(run: _Run, entry_id: str | None, as_json: bool) -> None:
    """List the taught phrasings, newest first: entry, when, by whom, the phrasing.

    With --json, one object per line: entry_id, question, taught_by, taught_at.
    """
    with _services(run, models=False) as services:
        if entry_id:
            services.kb.get(entry_id)  # NotFound for an unknown id
        phrasings = services.teaching.taught(entry_id)
    if as_json:
        for p in phrasings:
            print(json.dumps(dataclasses.asdict(p), ensure_ascii=False))
        return
    if not phrasings:
        print("No taught phrasings.")
    for p in phrasings:
        when = _local(p.taught_at, run.config.zone)
        print(f"{p.entry_id}  {when}  {p.taught_by}  {_one_line(p.question)}")


@cli.group(epilog=_examples("socialbot questions unanswered"))
def questions() -> None:
    """Questions asked in Slack and what became of them."""


@questions.command(
    "unanswered",
    epilog=_examples(
        "socialbot questions unanswered", "socialbot questions unanswered --json --limit 50"
    ),
)
@click.option(
    "--limit",
    type=_WholeNumber(1, 10_000),
    default=20,
    show_default=True,
    metavar="N",
    help="At most N groups.",
)
@_json_option
@click.pass_obj
def questions_unanswered(run: _Run, limit: int, as_json: bool) -> None:
    """The to-teach list.

    Every question socialbot abstained on, and every answer that got 👎, not taught or
    dismissed yet, grouped by similarity; the group asked most recently first. Teach one
    with `socialbot kb teach`.
    """
    with _services(run, models=False) as services:
        clusters = services.teaching.to_teach(limit)
    if as_json:
        for c in clusters:
            print(json.dumps(cluster_json(c), ensure_ascii=False))
        return
    if not clusters:
        print("Nothing to teach: every question was answered, taught or dismissed.")
    zone = run.config.zone
    for c in clusters:
        newest = c.newest
        print(f"{c.count}x  {_local(newest.asked_at, zone)}  {_one_line(newest.question)}")
        guess = f"best guess {c.best_guess}" if c.best_guess else "no guess"
        print(
            f"    ids {','.join(map(str, c.ids))}; asked by {', '.join(c.askers)}; "
            f"{len(c.not_helpful)} 👎; {guess}"
        )
        for other in list(dict.fromkeys(q.question for q in c.questions[1:]))[:3]:
            print(f"    also: {_one_line(other)}")


@cli.command(
    epilog=_examples(
        "socialbot serve",
        "socialbot serve --http --port 8080",
        "socialbot --db /srv/socialbot/socialbot.db serve --http --host 0.0.0.0",
    )
)
@click.option("--http", is_flag=True, help="Serve HTTP at /slack/events (and /healthz).")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="H", help="HTTP host.")
@click.option(
    "--port",
    type=_WholeNumber(0, 65535),
    default=3000,
    show_default=True,
    metavar="P",
    help="HTTP port.",
)
@click.option(
    "--threads",
    type=_WholeNumber(1, 1000),
    default=16,
    show_default=True,
    metavar="N",
    help="HTTP worker threads.",
)
@click.pass_obj
def serve(run: _Run, http: bool, host: str, port: int, threads: int) -> None:
    """Run the Slack app: Socket Mode, or HTTP with --http.

    Needs the Slack settings (SLACK_BOT_TOKEN, and SLACK_APP_TOKEN in Socket Mode or
    SLACK_SIGNING_SECRET over HTTP) and CONVERSATION_MANAGER. Runs until stopped (Ctrl+C
    or SIGTERM); what is still waiting stays in the database for the next start.
    """
    from handlers.runtime import serve as run_server  # the Slack edge: only when serving

    mode: ServeMode = "http" if http else "socket"
    run.config.require_slack(mode)  # before a new database is announced: nothing is made
    _announce_new_database(run.config)
    run_server(run.config, mode, host=host, port=port, threads=threads)


def _limit_option(what: str) -> Callable[[F], F]:
    """``--limit N``: show at most N of ``what``, the newest."""
    return click.option(
        "--limit",
        type=_WholeNumber(1, 1_000_000),
        default=100,
        show_default=True,
        metavar="N",
        help=f"Show at most N {what}, the newest.",
    )


@cli.group(
    epilog=_examples("socialbot outbox list --failed", "socialbot outbox retry --all-failed")
)
def outbox() -> None:
    """The messages owed to Slack users: list them, retry failed ones.

    The outbox keeps every Slack message socialbot owes someone until Slack has it.
    """


@outbox.command(
    "list",
    epilog=_examples("socialbot outbox list", "socialbot outbox list --failed --json"),
)
@click.option("--failed", is_flag=True, help="Only the failed messages.")
@click.option("--all", "every", is_flag=True, help="Messages in every state, delivered ones too.")
@_limit_option("messages")
@_json_option
@click.pass_obj
def outbox_list(run: _Run, failed: bool, every: bool, limit: int, as_json: bool) -> None:
    """List undelivered and failed messages, newest first.

    By default the messages not delivered yet (pending, sending) and the failed ones;
    then a one-line summary of the backlog. Times are in SOCIALBOT_TIMEZONE.
    """
    if failed and every:
        raise click.UsageError(
            "--failed and --all cannot be used together", click.get_current_context()
        )
    states: tuple[State, ...]
    if every:
        states = STATES
    elif failed:
        states = ("failed",)
    else:
        states = ("pending", "sending", "failed")
    with _services(run, models=False) as services:
        rows = services.outbox.rows(states, limit + 1)  # one more: are there more?
        backlog = services.outbox.backlog()
    more, rows = len(rows) > limit, rows[:limit]
    if as_json:
        for row in rows:
            print(json.dumps(outbox_json(row), ensure_ascii=False))
        return
    if rows:
        print(render_outbox(rows, run.config.zone))
        if more:
            print(f"(only the newest {limit}; --limit N shows more)")
    else:
        print(f"No messages {_or(states)}.")
    print(render_backlog(backlog))


@outbox.command(
    "retry",
    epilog=_examples("socialbot outbox retry 12 15", "socialbot outbox retry --all-failed"),
)
@click.argument("ids", nargs=-1, type=_WholeNumber(1, _MAX_ROW_ID), metavar="[ID]...")
@click.option("--all-failed", is_flag=True, help="Every failed message.")
@click.pass_obj
def outbox_retry(run: _Run, ids: tuple[int, ...], all_failed: bool) -> None:
    """Send failed messages again.

    Makes failed messages due again: the next `socialbot serve` that runs sends them,
    their attempts counted from zero. Give the ids from `socialbot outbox list --failed`,
    or --all-failed. With ids it is all or nothing: an unknown id, or a message that has
    not failed, changes nothing.
    """
    if bool(ids) == all_failed:
        raise InvalidInput(
            "give the ids of failed messages (`socialbot outbox list --failed`) or "
            "--all-failed, not both"
            if all_failed
            else "give the ids of failed messages to retry (`socialbot outbox list --failed` "
            "shows them), or --all-failed"
        )
    unique = list(dict.fromkeys(ids))  # an id given twice is retried once
    with _services(run, models=False) as services:
        try:
            count = services.outbox.retry(unique, all_failed=all_failed)
        except (NotFound, InvalidInput) as exc:
            raise type(exc)(f"{exc}; nothing was changed") from None
    if all_failed and not count:
        print("No failed messages: nothing to retry.")
    else:
        print(f"{count} failed message(s) due again; `socialbot serve` sends them.")


@cli.group(
    epilog=_examples("socialbot jobs list", "socialbot jobs run outbox-sweep"),
)
def jobs() -> None:
    """The periodic jobs: list them, run one now (e.g. from cron).

    These are the jobs that `socialbot serve` runs on their schedule.
    """


@jobs.command("list", epilog=_examples("socialbot jobs list", "socialbot jobs list --json"))
@_json_option
@click.pass_obj
def jobs_list(run: _Run, as_json: bool) -> None:
    """Each job's schedule, next and last run.

    Each scheduled job: its name, schedule (cron syntax), next run, last run and its
    outcome, and what it does. Times are in SOCIALBOT_TIMEZONE.
    """
    with _services(run, models=False) as services:
        scheduler = services.scheduler
        listed = [
            (state, scheduler.jobs[state.name].cron, scheduler.jobs[state.name].description,
             scheduler.next_slot(state.name))
            for state in scheduler.states()
        ]  # fmt: skip
        zone = scheduler.zone
    if as_json:
        for state, cron, description, next_slot in listed:
            print(json.dumps(job_json(state, cron, description, next_slot), ensure_ascii=False))
        return
    table = [
        (state.name, cron, _local(next_slot, zone), _local(state.last_started, zone, "never"),
         state.last_outcome or "-")
        for state, cron, _, next_slot in listed
    ]  # fmt: skip
    if not listed:
        print("No scheduled jobs.")
        return
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


@jobs.command(
    "run",
    epilog=_examples(
        "socialbot jobs run outbox-sweep",
        "crontab line: */5 * * * * socialbot jobs run outbox-sweep",
    ),
)
@click.argument("name", metavar="NAME")
@click.pass_obj
def jobs_run(run: _Run, name: str) -> None:
    """Run one job now, e.g. from cron.

    Runs job NAME (from `socialbot jobs list`) now, once, and prints what it did; exit
    code 1 when it fails. This is for those who prefer cron to socialbot's own scheduler:
    then set SOCIALBOT_SCHEDULER=off for `socialbot serve`, and run each job from cron on
    the schedule `socialbot jobs list` shows. A job that another process is running is
    not started twice.
    """
    with _services(run, models=False, slack=True) as services:
        services.scheduler.job(name)  # NotFound names the jobs there are
        try:
            summary = services.scheduler.run_now(name)
        except BotError as exc:  # e.g. another process runs it: the message names the job
            message = str(exc)
            raise BotError(
                message if name in message else f"job {name} failed: {message}"
            ) from None
        except Exception as exc:  # the job's own failure; the scheduler logged its traceback
            raise BotError(f"job {name} failed: {type(exc).__name__}: {exc}") from None
    print(f"{name}: {summary}")


@cli.command(
    epilog=_examples(
        "socialbot digest --preview",
        "socialbot digest --preview --week 2026-W48 > digest.md",
        "socialbot digest --post",
        "crontab line: 0 9 * * 1 socialbot digest --post",
    )
)
@click.option(
    "--preview",
    "mode",
    flag_value="preview",
    default=True,
    help="Print the digest as Markdown (the default); the chart is written to "
    "digest-WEEK.png in the current folder.",
)
@click.option(
    "--post",
    "mode",
    flag_value="post",
    help="Post it to DIGEST_CHANNEL now (and to subscribers by DM), once per week.",
)
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="The ISO week, e.g. 2026-W48 (default: the week a digest sent today covers: "
    "on a Monday, the week before).",
)
@click.option("--force", is_flag=True, help="With --post: post again, even if posted already.")
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, writable=True),
    help="With --preview: where to write the chart (default digest-WEEK.png).",
)
@click.pass_obj
def digest(run: _Run, mode: str, week: str | None, force: bool, chart_path: str | None) -> None:
    """The weekly digest: preview it, or post it now.

    The digest of one ISO week: the lessons learned approved, the pilots (once they are
    installed), the escalations, the questions asked and taught, the knowledge base's new
    and stale entries, and a chart of the last 8 weeks. --post puts it in the outbox for
    DIGEST_CHANNEL under a key naming the channel and the week, so it is posted once
    however often this runs (cron, a second server); `socialbot serve` sends it. --force
    posts it again.
    """
    if force and mode != "post":
        raise InvalidInput("--force goes with --post")
    with _services(run, models=False, slack=mode == "post") as services:
        if mode == "post":
            posted = services.digest.post(week, force=force)
            if posted.enqueued:
                print(
                    f"digest {posted.week}: queued for {run.config.digest_channel}; "
                    f"{posted.dms} DM(s) to subscribers"
                )
            else:
                print(f"digest {posted.week}: posted already (use --force to post it again)")
            return
        built = services.digest.build(week)
    path = chart_path or f"digest-{built.week}.png"
    with open(path, "wb") as file:
        file.write(chart_png(built))
    print(digest_markdown(built))
    print(f"socialbot: chart written to {path}", file=sys.stderr)


@cli.group(epilog=_examples("socialbot lessons list", "socialbot lessons list --json"))
def lessons() -> None:
    """Lessons learned: the drafts and their review."""


@lessons.command(
    "list", epilog=_examples("socialbot lessons list", "socialbot lessons list --pending --json")
)
@click.option("--pending", is_flag=True, help="Only drafts waiting for review.")
@_json_option
@click.pass_obj
def lessons_list(run: _Run, pending: bool, as_json: bool) -> None:
    """List lessons learned, newest first.

    Id, state (draft, approved, rejected), when submitted, by whom, where from (slack,
    escalation:ESC-n, pilot:n), the title, and the entry an approved one became.
    """
    with _services(run, models=False) as services:
        found = services.lessons.pending()[::-1] if pending else lesson_drafts(services.store)
    if as_json:
        for draft in found:
            print(json.dumps(dataclasses.asdict(draft), ensure_ascii=False))
        return
    if not found:
        print("No lessons waiting for review." if pending else "No lessons.")
        return
    for draft in found:
        when = _local(draft.created_at, run.config.zone, "?")
        became = f" → {draft.entry_id}" if draft.entry_id else ""
        print(
            f"{draft.id:>5}  {draft.state:<8}  {when}  {draft.submitted_by:<11}  "
            f"{draft.source:<20}  {draft.title}{became}"
        )


@cli.command(
    epilog=_examples(
        "socialbot doctor",
        "socialbot doctor --http",
        "socialbot --db /srv/socialbot/socialbot.db doctor --http",
    )
)
@click.option(
    "--http", is_flag=True, help="Check for `socialbot serve --http` (default: Socket Mode)."
)
@click.pass_obj
def doctor(run: _Run, http: bool) -> None:
    """Check the set-up; say what is wrong and how to fix it.

    Checks the settings, the database (it exists, opens, can be written, is migrated,
    has entries; the outbox backlog), the semantic models, and Slack: the bot token, its
    scopes against manifest.yml, and the channels (SOCIALBOT_CHANNELS) and conversation
    managers: they exist and socialbot can post to them. One line per check, ✓ or ✗ with
    the fix. Exit code 0 only when every check passes. Changes nothing.
    """
    settings = run.config

    def probe() -> SlackProbe:
        from handlers.runtime import doctor_probe  # the Slack edge: only to ask Slack

        return doctor_probe(settings)

    checks = run_doctor(settings, "http" if http else "socket", probe)
    print(render_checks(checks))
    if not all(check.ok for check in checks):
        raise click.exceptions.Exit(EXIT_ERROR)


@cli.command(
    "backup",
    epilog=_examples(
        "socialbot backup /var/backups/socialbot/",
        "socialbot backup ~/socialbot-before-upgrade.db",
    ),
)
@click.argument("path", metavar="PATH")
@click.pass_obj
def backup_command(run: _Run, path: str) -> None:
    """Write a consistent copy of the database to PATH, while socialbot runs.

    PATH is a new file, or a folder to write socialbot-<date>-<time>.db into. The copy
    is made with SQLite's online backup API: one consistent moment, whatever socialbot
    writes meanwhile. The database is only read; a failed backup leaves nothing behind.
    For continuous replication, see Litestream in the README.
    """
    done = backup(run.config.db_path, path, dt.datetime.now(run.config.zone))
    print(
        f"Backed up {run.config.db_path} to {done.path} ({done.size / 1e6:.1f} MB: "
        f"{done.entries} entries, {done.questions} questions)."
    )


@cli.group(
    epilog=_examples("socialbot privacy export U0123ABCD", "socialbot privacy forget U0123ABCD")
)
def privacy() -> None:
    """What socialbot stores about a person: export it, or erase it.

    What is stored, for how long and why is in the README's privacy section.
    """


def _user_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not USER_ID.match(value):
        raise click.BadParameter(
            f"{value!r} is not a Slack user id (e.g. U0123ABCD: profile → ⋮ → Copy member ID)",
            ctx,
            param,
        )
    return value


@privacy.command(
    "export",
    epilog=_examples(
        "socialbot privacy export U0123ABCD", "socialbot privacy export U0123ABCD > U0123ABCD.json"
    ),
)
@click.argument("user_id", metavar="USER_ID", callback=_user_id)
@click.pass_obj
def privacy_export(run: _Run, user_id: str) -> None:
    """Print everything stored about a person as JSON.

    One JSON object: the user id, when it was exported, and per table the rows that are
    theirs or that mention them, as stored.
    """
    with _services(run, seed=False, models=False) as services:
        exported = services.privacy.export(user_id)
    print(json.dumps(exported, ensure_ascii=False, indent=2))


@privacy.command("forget", epilog=_examples("socialbot privacy forget U0123ABCD"))
@click.argument("user_id", metavar="USER_ID", callback=_user_id)
@click.pass_obj
def privacy_forget(run: _Run, user_id: str) -> None:
    """Erase everything stored about a person.

    Deletes their questions (with the feedback on them), feedback, requests to the
    conversation manager, waiting and owed messages; replaces the id where other rows
    mention it; clears it as the owner of entries. Then the database file is rewritten
    so that no deleted byte remains in it. It cannot be undone; backups and replicas
    keep their copies until they expire.
    """
    settings = run.config
    with _services(run, seed=False, models=False) as services:
        forgotten = services.privacy.forget(user_id)
    if not forgotten.total:
        print(f"Nothing was stored about {user_id}; nothing was changed.")
        return
    for verb, counts in (("deleted", forgotten.deleted), ("cleared", forgotten.cleared),
                         ("mention replaced", forgotten.redacted)):  # fmt: skip
        for table, count in counts.items():
            print(f"{table}: {count} row(s) {verb}")
    print(f"Forgot {user_id}: {forgotten.total} row(s) changed.")
    if forgotten.cleared.get("entries"):
        print("The entry files of the knowledge base may still name them as owner: edit them.")
    if user_id in settings.conversation_managers:
        print("They are still named in CONVERSATION_MANAGER: change it.")
    if not forgotten.file_clean:
        raise BotError(
            "another process kept the write-ahead log from being emptied: old pages may "
            "still hold the id; run `socialbot privacy forget` again"
        )


@cli.group(
    epilog=_examples("socialbot escalations list --open", "socialbot escalations show ESC-42")
)
def escalations() -> None:
    """Escalations to the conversation manager: list them, show one's timeline."""


@escalations.command(
    "list",
    epilog=_examples("socialbot escalations list --open", "socialbot escalations list --json"),
)
@click.option("--open", "open_only", is_flag=True, help="Only those not resolved yet.")
@_limit_option("escalations")
@_json_option
@click.pass_obj
def escalations_list(run: _Run, open_only: bool, limit: int, as_json: bool) -> None:
    """List escalations, newest first.

    Reference, severity, state, when raised, by whom, who acknowledged or resolved it,
    and what it is about. Times are in SOCIALBOT_TIMEZONE.
    """
    with _services(run, models=False) as services:
        found = services.escalations.list(open_only, limit)
    if as_json:
        for escalation in found:
            print(json.dumps(escalation_json(escalation), ensure_ascii=False))
        return
    if not found:
        print("No open escalations." if open_only else "No escalations.")
        return
    print(render_escalations(found, run.config.zone))


@escalations.command(
    "show", epilog=_examples("socialbot escalations show ESC-42", "socialbot escalations show 42")
)
@click.argument("reference", metavar="ESC-N")
@_json_option
@click.pass_obj
def escalations_show(run: _Run, reference: str, as_json: bool) -> None:
    """One escalation, its timeline and its messages.

    What was raised, by whom and where; every event (raised, notified, re-notified,
    acknowledged, resolved) with its time and actor; and each message about it with its
    delivery state. Times are in SOCIALBOT_TIMEZONE.
    """
    number = parse_reference(reference)
    with _services(run, models=False) as services:
        detail = services.escalations.detail(number)
    if as_json:
        print(json.dumps(escalation_detail_json(detail), ensure_ascii=False))
        return
    print(render_escalation(detail, run.config.zone))


def escalation_json(escalation: Escalation) -> dict[str, object]:
    """The ``escalations list --json`` object for one escalation (times ISO 8601, UTC)."""

    def iso(moment: dt.datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "reference": escalation.reference,
        "id": escalation.id,
        "severity": escalation.severity,
        "state": escalation.state,
        "text": escalation.text,
        "reporter": escalation.reporter,
        "channel": escalation.channel_id,
        "source_link": escalation.source_link,
        "question_id": escalation.question_id,
        "raised_at": iso(escalation.raised_at),
        "acknowledged_at": iso(escalation.acknowledged_at),
        "acknowledged_by": escalation.acknowledged_by,
        "resolved_at": iso(escalation.resolved_at),
        "resolved_by": escalation.resolved_by,
        "resolution": escalation.resolution,
        "reminders_sent": escalation.reminders_sent,
        "next_reminder_at": iso(escalation.next_reminder_at),
    }


def escalation_detail_json(detail: Detail) -> dict[str, object]:
    """The ``escalations show --json`` object: the escalation, its events and messages."""
    return {
        **escalation_json(detail.escalation),
        "events": [
            {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "detail": e.detail}
            for e in detail.events
        ],
        "messages": [
            {
                "key": c.key,
                "kind": c.kind,
                "to": c.to,
                "state": c.state,
                "sent_at": c.sent_at,
                "last_error": c.last_error,
            }
            for c in detail.copies
        ],  # fmt: skip
    }


def render_escalations(found: Sequence[Escalation], zone: ZoneInfo) -> str:
    """The ``escalations list`` table."""
    header = ("REF", "SEVERITY", "STATE", "RAISED", "REPORTER", "BY", "TEXT")
    table = [
        (e.reference, e.severity, e.state, _local(e.raised_at, zone), e.reporter,
         e.resolved_by or e.acknowledged_by or "-", _cut(_one_line(e.text), 50))
        for e in found
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header) - 1)]
    return "\n".join(_columns(cells, widths) for cells in [header, *table])


def render_escalation(detail: Detail, zone: ZoneInfo) -> str:
    """The ``escalations show`` report."""
    e = detail.escalation
    lines = [
        f"{e.reference}  {e.severity}  {e.state}",
        f"raised {_local(e.raised_at, zone)} by {e.reporter} in {e.channel_id or '-'}",
    ]
    if e.source_link:
        lines.append(f"source: {e.source_link}")
    if e.question_id is not None:
        lines.append(f"question: {e.question_id}")
    if e.state == "open" and e.next_reminder_at:
        lines.append(f"next reminder: {_local(e.next_reminder_at, zone)} "
                     f"({e.reminders_sent} sent)")  # fmt: skip
    if e.resolution:
        lines.append(f"resolution: {_one_line(e.resolution)}")
    lines += ["", textwrap.indent(textwrap.fill(e.text, 96), "  "), "", "TIMELINE"]
    for event in detail.events:
        line = f"  {_local(event.at, zone)}  {event.kind:<16} {event.actor}"
        lines.append(f"{line}  {_one_line(event.detail)}" if event.detail else line)
    lines += ["", "MESSAGES"]
    for copy in detail.copies:
        sent = _local(copy.sent_at, zone) if copy.sent_at else copy.state
        error = f"  ({_one_line(copy.last_error)})" if copy.last_error else ""
        lines.append(f"  {copy.to:<12} {copy.kind:<24} {sent}{error}")
    return "\n".join(lines)


@cli.group(
    epilog=_examples(
        "socialbot pilots list at-risk",
        'socialbot pilots show "TikTok recruitment"',
        "socialbot pilots export --format csv --output pilots/",
    ),
)
def pilots() -> None:
    """Pilot projects: list, show, remind, export.

    What `/pilot list` and `/pilot show` show in Slack, for people outside Slack; the
    reminders for cron; an export for managers' spreadsheets.
    """


@pilots.command(
    "list", epilog=_examples("socialbot pilots list", "socialbot pilots list at-risk --json")
)
@click.argument("which", type=click.Choice(["all", "flagship", "at-risk"]), default="all")
@click.option(
    "--owner", metavar="USER", help="Only the pilots of this Slack user id (owner or member)."
)
@_json_option
@click.pass_obj
def pilots_list(run: _Run, which: str, owner: str | None, as_json: bool) -> None:
    """Active pilots with their spend and hours against budget.

    WHICH is all (default), flagship or at-risk (amber or red); red first, then amber.
    Each line: status, name, owner, budget used, hours used and days since the last update.
    """
    with _services(run, seed=False, models=False) as services:
        listing = services.pilots.listing("mine" if owner else which, owner or "")
        now = services.pilots.clock()
    if as_json:
        for pilot in listing.pilots:
            print(json.dumps(pilot_json(pilot), ensure_ascii=False))
        return
    print(listing_text(listing, run.config.default_lang, now))


@pilots.command(
    "show",
    epilog=_examples(
        'socialbot pilots show "TikTok recruitment"', "socialbot pilots show tiktok --json"
    ),
)
@click.argument("name", nargs=-1, required=True)
@_json_option
@click.pass_obj
def pilots_show(run: _Run, name: tuple[str, ...], as_json: bool) -> None:
    """One pilot: history, budget and hours used, KPI progress, days since the last update.

    NAME is matched as /pilot matches it: a small typo still finds the pilot.
    """
    settings = run.config
    with _services(run, seed=False, models=False) as services:
        report = services.pilots.report(services.pilots.find(" ".join(name)).id, history=1000)
    if as_json:
        print(json.dumps(report_json(report), ensure_ascii=False))
        return
    print("\n".join(report_lines(report, settings.default_lang, settings.zone)))


@pilots.command(
    "remind",
    epilog=_examples("socialbot pilots remind", "crontab line: 0 9 * * * socialbot pilots remind"),
)
@click.pass_obj
def pilots_remind(run: _Run) -> None:
    """Chase quiet and blocked pilots now (the pilot-reminders job).

    Each pilot without an update for PILOT_UPDATE_DAYS days gets one reminder DM to its
    owner (never twice for the same quiet spell); each pilot blocked for more than 3 days
    is reported to the conversation manager. `socialbot serve` sends the messages. Runs
    under the same guard as `socialbot jobs run pilot-reminders`: never twice at once.
    """
    with _services(run, seed=False, models=False, slack=True) as services:
        try:
            summary = services.scheduler.run_now("pilot-reminders")
        except BotError:  # another process runs it: the message says so
            raise
        except Exception as exc:  # the job's own failure; the scheduler logged it
            raise BotError(f"job pilot-reminders failed: {type(exc).__name__}: {exc}") from None
    print(f"pilot-reminders: {summary}")


@pilots.command(
    "export",
    epilog=_examples(
        "socialbot pilots export --format csv --output pilots/",
        "socialbot pilots export --format json > pilots.json",
    ),
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), required=True, help="csv or json."
)
@click.option(
    "--output", metavar="PATH",
    help="csv: the folder for pilots.csv and pilot-updates.csv (default: the current folder); "
    "json: the file (default: standard output).",
)  # fmt: skip
@click.pass_obj
def pilots_export(run: _Run, fmt: str, output: str | None) -> None:
    """Every pilot and every update, for managers' spreadsheets.

    csv writes two files that Excel opens as they are in a Dutch or Belgian locale:
    UTF-8 with a byte-order mark, semicolons between fields, decimal commas. json writes
    one document: {"pilots": [... each with its "updates"]}.
    """
    settings = run.config
    with _services(run, seed=False, models=False) as services:
        every, updates = services.pilots.everything()
    try:
        if fmt == "json":
            document = export_json(every, updates, settings.zone)
            if output is None:
                print(document)
                return
            Path(output).write_text(document + "\n", encoding="utf-8")
            print(f"Exported {len(every)} pilots and {len(updates)} updates to {output}.")
            return
        folder = Path(output or ".")
        folder.mkdir(parents=True, exist_ok=True)
        pilots_csv, updates_csv = export_csv(every, updates, settings.zone)
        (folder / "pilots.csv").write_text(pilots_csv, encoding="utf-8", newline="")
        (folder / "pilot-updates.csv").write_text(updates_csv, encoding="utf-8", newline="")
    except OSError as exc:
        raise BotError(
            f"cannot write to {exc.filename or output}: {exc.strerror or exc}; "
            "choose a place you can write to"
        ) from None
    print(
        f"Exported {len(every)} pilots to {folder / 'pilots.csv'} and {len(updates)} updates "
        f"to {folder / 'pilot-updates.csv'}."
    )


def pilot_json(pilot: Pilot) -> dict[str, object]:
    """The ``pilots list --json`` object for one pilot."""
    return {
        "id": pilot.id,
        "name": pilot.name,
        "owner": pilot.owner,
        "status": pilot.status,
        "flagship": pilot.flagship,
        "budget_cents": pilot.budget_cents,
        "spent_cents": pilot.spent_cents,
        "hours_estimated": pilot.hours_estimated,
        "hours_spent": pilot.hours_spent,
        "last_update_at": pilot.last_activity.isoformat(),
    }


def report_json(report: Report) -> dict[str, object]:
    """The ``pilots show --json`` object."""
    return {
        **pilot_json(report.pilot),
        "state": report.pilot.state,
        "team": report.pilot.team,
        "goal": report.pilot.goal,
        "days_since_update": report.days_since_update,
        "kpis": [{"name": k.name, "target": k.target, "value": k.value} for k in report.kpis],
        "updates": [
            {"id": u.id, "kind": u.kind, "status": u.status, "text": u.text, "hours": u.hours,
             "spent_cents": u.spent_cents, "by": u.by_user, "at": u.created_at.isoformat()}
            for u in report.updates
        ],
    }  # fmt: skip


def entry_json(entry: Entry) -> dict[str, object]:
    """The ``kb list --json`` object for one entry."""
    return {
        "id": entry.id,
        "lang": entry.lang,
        "title": entry.title,
        "updated": entry.updated,
        "tags": list(entry.tags),
        "owner": entry.owner or None,
    }


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


def _reply(services: Services, question: str, as_json: bool, default_lang: str) -> str:
    """The answer to ``question``, or, for small talk ("bedankt", "help"), the reply Slack
    gives it: small talk is not looked up."""
    chat = small_talk(question)
    if chat is None:
        answer = services.kb.answer(question)
        if as_json:
            return json.dumps(answer_json(answer), ensure_ascii=False)
        return render_answer(answer)
    lang = chat.lang or default_lang
    reply = t(chat.reply, lang)
    if not as_json:
        return reply
    small = {
        "question": " ".join(question.split()),
        "answered": False,
        "id": None,
        "title": None,
        "score": 0.0,
        "lang": lang,
        "suggestions": [],
        "small_talk": reply,
    }
    return json.dumps(small, ensure_ascii=False)


def cluster_json(cluster: Cluster) -> dict[str, object]:
    """The ``questions unanswered --json`` object for one group of questions."""
    return {
        "count": cluster.count,
        "question": cluster.newest.question,
        "last_asked": cluster.newest.asked_at,
        "askers": list(cluster.askers),
        "best_guess": cluster.best_guess,
        "questions": [
            {
                "id": q.id,
                "question": q.question,
                "user_id": q.user_id,
                "asked_at": q.asked_at,
                "lang": q.lang,
                "not_helpful": q.id in cluster.not_helpful,
            }
            for q in cluster.questions
        ],
    }


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
