from __future__ import annotations

from typing import Any

import pytest

from bot.errors import NotFound
from bot.i18n import t
from handlers.lazy import after_ack


@pytest.mark.parametrize(
    ("error", "key"), [(RuntimeError("boom"), "action_failed"), (NotFound("gone"), "not_found")]
)
def test_a_failing_button_tells_the_clicker_without_claiming_anything_else(
    error: Exception, key: str
) -> None:
    said: list[dict[str, Any]] = []

    @after_ack("feedback", "en")
    def feedback(body: dict[str, Any]) -> None:
        raise error

    feedback(  # type: ignore[call-arg]
        body={"response_url": "https://hooks.example/1", "user": {"id": "U1"}},
        respond=lambda **kwargs: said.append(kwargs),
    )
    assert said == [{"text": t(key, "en"), "response_type": "ephemeral", "replace_original": False}]
    assert "saved" not in said[0]["text"]
