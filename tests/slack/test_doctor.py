"""`socialbot doctor` against the fake Slack: a healthy set-up passes; a wrong token, a
missing scope, a channel socialbot is not in and an unknown manager are each named."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.doctor import SCOPES
from tests.conftest import FIXTURE_KB
from tests.slack.conftest import BOT_TOKEN, MANAGER, SECRET
from tests.slack.fake_slack import FakeSlack


@pytest.fixture
def set_up(clean_env: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    """Settings for `socialbot serve --http` against the fake Slack, a database made."""
    for name, value in {
        "SOCIALBOT_KB_DIR": str(FIXTURE_KB),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "CONVERSATION_MANAGER": MANAGER,
        "SOCIALBOT_CHANNELS": "C0HULP",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["kb", "list"], stdin=io.StringIO()) == 0  # makes the database
    slack.scopes = list(SCOPES)
    return slack


def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["doctor", "--http"], stdin=io.StringIO())
    return code, capsys.readouterr().out.splitlines()


def failed(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("✗")]


def test_a_healthy_set_up_passes(set_up: FakeSlack, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(capsys)
    assert code == 0, lines
    assert lines[-1] == "All checks passed."
    assert "✓ slack: token of socialbot in workspace Test" in lines
    assert f"✓ slack: all {len(SCOPES)} scopes of manifest.yml granted" in lines
    assert "✓ slack: channel #c0hulp (C0HULP): member, can post" in lines
    assert any(
        line.startswith(f"✓ slack: conversation manager {MANAGER.lower()}") for line in lines
    )
    assert "✓ database: migrated" in lines
    assert [c.method for c in set_up.calls] == ["auth.test", "conversations.info", "users.info"]


def test_a_wrong_token_is_named_with_the_fix(
    set_up: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    set_up.fail("auth.test", error="invalid_auth")
    code, lines = doctor(capsys)
    assert code == 1
    (problem,) = failed(lines)
    assert problem == "✗ slack: Slack refused SLACK_BOT_TOKEN: invalid_auth"
    assert "Bot User OAuth Token" in lines[lines.index(problem) + 1]
    assert lines[-1] == "1 problem(s) found."


def test_a_missing_scope_is_named(set_up: FakeSlack, capsys: pytest.CaptureFixture[str]) -> None:
    set_up.scopes = [s for s in SCOPES if s not in ("users:read", "chat:write.public")]
    code, lines = doctor(capsys)
    assert code == 1
    assert failed(lines) == ["✗ slack: scopes missing: chat:write.public, users:read"]
    assert "reinstall the app" in lines[lines.index(failed(lines)[0]) + 1]


def test_a_channel_without_socialbot_and_an_unknown_manager_are_named(
    set_up: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    set_up.set_response(
        "conversations.info",
        {"ok": True, "channel": {"id": "C0HULP", "name": "social-hulp", "is_member": False}},
    )
    set_up.fail("users.info", error="user_not_found")
    code, lines = doctor(capsys)
    assert code == 1
    assert failed(lines) == [
        "✗ slack: channel #social-hulp (C0HULP): socialbot is not a member, so it sees no mentions "
        "there",
        f"✗ slack: conversation manager {MANAGER}: user_not_found",
    ]
    assert "    → type `/invite @socialbot` in #social-hulp" in lines
    assert "    → correct the id in CONVERSATION_MANAGER" in "\n".join(lines)


def test_a_missing_database_and_settings_are_named_and_nothing_is_created(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = doctor(capsys)
    assert code == 1
    assert failed(lines)[0].startswith("✗ settings: SLACK_BOT_TOKEN")
    assert f"✗ database: {clean_env / 'socialbot.db'} does not exist" in lines
    assert not (clean_env / "socialbot.db").exists()
