"""manifest.yml declares exactly what the app listens to."""

from __future__ import annotations

from pathlib import Path

import yaml

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
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask", "/pilot"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read",
        "chat:write",
        "chat:write.public",
        "commands",
        "im:history",
        "channels:history",
        "groups:history",
        "mpim:history",
    }
    handlers = "".join(p.read_text() for p in (ROOT / "handlers").glob("*.py"))
    for event in ("app_home_opened", "app_mention", '"message"', '"/ask"', '"/pilot"'):
        assert event in handlers
