"""The replies the answering workers put in the outbox, rendered as Slack messages."""

from __future__ import annotations

from typing import Any

from bot.questions import Asked, ManagerRequest
from bot.teaching import TaughtNotice
from handlers import blocks as b
from handlers import teaching_blocks as tb


class SlackReplies:
    """:class:`bot.answering.Replies` in Block Kit."""

    def answer(self, asked: Asked, shareable: bool) -> dict[str, Any]:
        """An answer with its source and buttons, or "I don't know" with suggestions."""
        return b.message(
            b.fallback_text(asked.answer),
            b.answer_blocks(asked.answer, asked.question_id, shareable=shareable),
        )

    def text(self, text: str) -> dict[str, Any]:
        """A plain reply."""
        return b.message(text, b.text_blocks(text))


def manager_dm(request: ManagerRequest) -> dict[str, Any]:
    """The DM to the conversation manager about ``request``."""
    return b.message(
        b.manager_request_fallback(request),
        b.manager_request_blocks(request, request.question.lang),
    )


def taught_dm(notice: TaughtNotice) -> dict[str, Any]:
    """The DM telling an asker that their question was taught: the answer it has now."""
    return b.message(tb.taught_dm_text(notice), tb.taught_dm_blocks(notice))
