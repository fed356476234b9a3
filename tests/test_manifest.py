"""manifest.yml declares exactly what the app listens to."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.doctor import SCOPES

ROOT = Path(__file__).resolve().parent.parent


def test_manifest_matches_the_listeners() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert sorted(settings["event_subscriptions"]["bot_events"]) == [
        "app_home_opened",
        "app_mention",
        "message.im",
    ]
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/ask", "/escalate", "/pilot", "/lesson"]
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "escalate_message")
    # The scopes, in the manifest's order, are those `socialbot doctor` checks the token for.
    assert manifest["oauth_config"]["scopes"]["bot"] == list(SCOPES)
    assert {"chat:write", "commands", "im:history", "users:read", "files:write"} <= set(SCOPES)
    handlers = "".join(p.read_text() for p in (ROOT / "handlers").glob("*.py"))
    for event in ("app_home_opened", "app_mention", '"message"', '"/ask"', '"/escalate"',
                  '"escalate_message"', '"/pilot"', '"/lesson"'):  # fmt: skip
        assert event in handlers


def test_the_teaching_picker_options_url_is_documented_for_http_mode() -> None:
    raw = (ROOT / "manifest.yml").read_text()
    assert "# message_menu_options_url: https://YOUR-HOST/slack/events" in raw
    handlers = "".join(p.read_text() for p in (ROOT / "handlers").glob("*.py"))
    assert "app.options(" in handlers
