"""Run a listener's slow part after the ack, with errors logged in context.

Bolt's lazy listeners run on a worker pool once the request has been acknowledged, so a
slow Web API or a busy engine never delays another request's 3-second ack. Bolt logs a
failing lazy function in one line without context; :func:`after_ack` logs it with the
request kind, user and channel, and tells the user where Slack allows.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack

from handlers.failures import log_failure, user_message

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., None])


def ack_only(ack: Ack) -> None:
    """The whole synchronous part of most listeners: acknowledge at once."""
    ack()


def after_ack(kind: str, lang: str) -> Callable[[F], F]:
    """Wrap a lazy listener: on failure, log with context and send a short, friendly error."""

    def decorate(function: F) -> F:
        own = list(inspect.signature(function).parameters)

        def run(**kwargs: Any) -> None:
            try:
                function(**{name: kwargs[name] for name in own})
            except Exception as error:  # noqa: BLE001 - logged with context, user told below
                user, channel = _who_and_where(kwargs.get("body") or {})
                log_failure(f"{kind} from {user} in {channel}", error)
                _tell_user(kwargs, user_message(error, lang))

        # Bolt passes a listener the arguments its signature names: the function's own, plus
        # the body and respond that the error report needs even when the function does not.
        run.__name__, run.__doc__ = function.__name__, function.__doc__
        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                for name in [*own, *(n for n in ("body", "respond") if n not in own)]
            ]
        )
        return run  # type: ignore[return-value]

    return decorate


def _who_and_where(body: dict[str, Any]) -> tuple[str, str]:
    event = body.get("event") or {}
    user = body.get("user_id") or (body.get("user") or {}).get("id") or event.get("user")
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or event.get("channel")
        or "-"
    )
    return str(user), str(channel)


def _tell_user(kwargs: dict[str, Any], text: str) -> None:
    body: dict[str, Any] = kwargs.get("body") or {}
    respond = kwargs.get("respond")
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # noqa: BLE001 - Slack itself is failing; the error is logged above
        log.warning("could not tell the user about the error either")
