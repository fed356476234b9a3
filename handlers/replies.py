"""The replies the answering workers put in the outbox, rendered as Slack messages."""

from __future__ import annotations

from typing import Any

from bot.crisis import Crisis
from bot.questions import Asked
from bot.teaching import TaughtNotice
from handlers import blocks as b
from handlers import teaching_blocks as tb
from handlers.escalation_blocks import crisis_blocks


class SlackReplies:
    """:class:`bot.answering.Replies` in Block Kit."""

    def answer(self, asked: Asked, shareable: bool, crisis: Crisis | None = None) -> dict[str, Any]:
        """An answer with its source and buttons, or "I don't know" with suggestions; for a
        question that reads like a live crisis, the crisis playbook and a button too."""
        answer = asked.answer
        blocks = b.answer_blocks(answer, asked.question_id, shareable=shareable)
        if crisis is not None:
            answered = answer.best.entry.id if answer.answered and answer.best else None
            blocks += crisis_blocks(crisis, asked.question_id, answer.lang, answered)
        return b.message(b.fallback_text(answer), blocks)

    def text(self, text: str) -> dict[str, Any]:
        """A plain reply."""
        return b.message(text, b.text_blocks(text))


def taught_dm(notice: TaughtNotice) -> dict[str, Any]:
    """The DM telling an asker that their question was taught: the answer it has now."""
    return b.message(tb.taught_dm_text(notice), tb.taught_dm_blocks(notice))
