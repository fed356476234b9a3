"""Error types whose message is safe to show to a user."""

from __future__ import annotations


class BotError(Exception):
    """An expected failure with a message a user or operator can act on."""


class ConfigError(BotError):
    """A setting is missing or invalid; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class InvalidInput(BotError):
    """The user's input cannot be used as given."""


class NotFound(BotError):
    """The thing asked for does not exist."""
