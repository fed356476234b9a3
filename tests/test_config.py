from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import VARIABLES, Settings, load_settings, settings_from_mapping
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_need_no_configuration() -> None:
    settings = settings_from_mapping({})
    assert settings.db_path == "socialbot.db"
    assert settings.default_lang == "nl"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.kb_dir.is_dir()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SOCIALBOT_LANG", "fr"),
        ("SOCIALBOT_ANSWER_THRESHOLD", "high"),
        ("SOCIALBOT_ANSWER_THRESHOLD", "1.5"),
        ("SOCIALBOT_SEMANTIC", "maybe"),
        ("SOCIALBOT_LOG_LEVEL", "LOUD"),
        ("SLACK_API_URL", "slack.com/api"),
        ("CONVERSATION_MANAGER", "alice"),
        ("SOCIALBOT_CHANNELS", "general"),
        ("SOCIALBOT_KB_DIR", "/no/such/folder"),
        ("SOCIALBOT_DB", "/"),
        ("SOCIALBOT_TIMEZONE", "Mars/Olympus"),
        ("SOCIALBOT_TIMEZONE", "../etc/passwd"),
        ("SOCIALBOT_WORKERS", "0"),
        ("SOCIALBOT_WORKERS", "two"),
        ("SOCIALBOT_SCHEDULER", "maybe"),
        ("SOCIALBOT_HEALTH_MAX_AGE", "5"),
        ("SOCIALBOT_HEALTH_MAX_AGE", "-1"),
    ],
)
def test_invalid_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings_from_mapping({variable: value})
    assert error.value.variable == variable
    assert str(error.value).startswith(variable)


def test_running_settings_have_defaults_and_are_read() -> None:
    assert settings_from_mapping({}).timezone == "Europe/Brussels"
    settings = settings_from_mapping(
        {
            "SOCIALBOT_TIMEZONE": "America/New_York",
            "SOCIALBOT_WORKERS": "4",
            "SOCIALBOT_SCHEDULER": "OFF",
            "SOCIALBOT_HEALTH_MAX_AGE": "60",
        }
    )
    assert (settings.zone.key, settings.workers, settings.scheduler) == (
        "America/New_York",
        4,
        False,
    )
    assert settings.health_max_age == 60


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = settings_from_mapping(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-secret-bot-token",
            "SLACK_SIGNING_SECRET": "a-secret-signing-secret",
            "SLACK_APP_TOKEN": "xapp-1-A-secret-app-token",
        }
    )
    for text in (repr(settings), str(settings), f"{settings!r}"):
        assert "secret" not in text
    assert set(settings.secrets) == {
        "xoxb-1-2-secret-bot-token",
        "a-secret-signing-secret",
        "xapp-1-A-secret-app-token",
    }


def test_lists_of_ids_are_split_on_commas_and_spaces() -> None:
    settings = settings_from_mapping({"CONVERSATION_MANAGER": "U0123ABCD, U0456EFGH"})
    assert settings.conversation_managers == ("U0123ABCD", "U0456EFGH")


def test_environment_wins_over_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SOCIALBOT_LANG=en\nSOCIALBOT_DB=from-file.db\n")
    settings = load_settings({"SOCIALBOT_DB": "from-env.db"}, env_file)
    assert settings.default_lang == "en"
    assert settings.db_path == "from-env.db"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().db_path = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("settings", "mode", "variable"),
    [
        (Settings(), "http", "SLACK_BOT_TOKEN"),
        (Settings(slack_bot_token="abc"), "http", "SLACK_BOT_TOKEN"),
        (Settings(slack_bot_token="xoxb-1"), "http", "SLACK_SIGNING_SECRET"),
        (Settings(slack_bot_token="xoxb-1"), "socket", "SLACK_APP_TOKEN"),
        (Settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-2"), "socket", "SLACK_APP_TOKEN"),
    ],
)
def test_slack_settings_are_checked_for_the_serve_mode(
    settings: Settings, mode: str, variable: str
) -> None:
    with pytest.raises(ConfigError) as error:
        settings.require_slack(mode)  # type: ignore[arg-type]
    assert error.value.variable == variable


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in VARIABLES:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), f"{name} not in .env.example"
        assert name in readme, f"{name} not in README.md"


@pytest.mark.parametrize("mode", ["auto", "on", "accurate", "fast", "off", "ACCURATE"])
def test_semantic_modes(mode: str) -> None:
    assert settings_from_mapping({"SOCIALBOT_SEMANTIC": mode}).semantic == mode.lower()


def test_a_dotenv_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"SOCIALBOT_LANG=\xff\xfe\n")
    with pytest.raises(ConfigError) as error:
        load_settings({}, env_file)
    assert error.value.variable == str(env_file)
    assert "save it as UTF-8" in str(error.value)


def test_a_home_folder_in_paths_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "kb").mkdir()
    settings = settings_from_mapping({"SOCIALBOT_DB": "~/x.db", "SOCIALBOT_KB_DIR": "~/kb"})
    assert (settings.db_path, settings.kb_dir) == (str(tmp_path / "x.db"), tmp_path / "kb")


def test_a_dotenv_file_that_cannot_be_read_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.config

    def refuse(*args: object, **kwargs: object) -> None:  # chmod 000 does not stop root
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(bot.config, "dotenv_values", refuse)
    env_file = tmp_path / ".env"
    env_file.write_text("SOCIALBOT_LANG=en\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read: Permission denied$"):
        load_settings({}, env_file)


def test_pilot_settings_have_defaults_and_are_checked() -> None:
    settings = settings_from_mapping({})
    assert (settings.pilots_channel, settings.pilot_update_days) == ("", 14)
    assert settings.pilot_reminder_cron == "0 9 * * *"
    settings = settings_from_mapping(
        {"PILOTS_CHANNEL": "C0PILOTS", "PILOT_UPDATE_DAYS": "7", "PILOT_REMINDER_TIME": "7:30"}
    )
    assert (settings.pilots_channel, settings.pilot_update_days) == ("C0PILOTS", 7)
    assert (settings.pilot_reminder_time, settings.pilot_reminder_cron) == ("07:30", "30 7 * * *")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PILOTS_CHANNEL", "social-pilots"),
        ("PILOTS_CHANNEL", "C1AAA C2BBB"),
        ("PILOT_UPDATE_DAYS", "0"),
        ("PILOT_UPDATE_DAYS", "two weeks"),
        ("PILOT_REMINDER_TIME", "25:00"),
        ("PILOT_REMINDER_TIME", "9am"),
    ],
)
def test_bad_pilot_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings_from_mapping({variable: value})
    assert error.value.variable == variable
