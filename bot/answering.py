"""Answer the questions waiting in the intake, and owe each asker a reply in the outbox.

One accepted question becomes, in one transaction, a stored question (or a small-talk
reply), an outbox row with its reply, and a done intake row. A question that fails
unexpectedly is tried again a few times, then its asker gets an apology instead of silence.

An answerer takes up to ``batch`` waiting questions at a time, so that the engine embeds
them together (cheaper a question), and stores each in its own transaction as it is
answered: a worker that dies halfway has stored those before, and the others are taken
over when their lease runs out.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any, Protocol

from bot import outbox
from bot.crisis import Crisis, CrisisCheck
from bot.errors import BotError, InvalidInput
from bot.i18n import t
from bot.intake import Intake, Request, Taken
from bot.knowledge import Answer
from bot.knowledge.text import detect_language
from bot.questions import Asked, QuestionService, small_talk

log = logging.getLogger(__name__)

# Times a question is tried before its asker gets an apology.
MAX_ATTEMPTS = 3


class Replies(Protocol):
    """Renders replies as Slack message content; implemented at the Slack edge."""

    def answer(self, asked: Asked, shareable: bool, crisis: Crisis | None = None) -> dict[str, Any]:
        """An answer (or "I don't know") with its buttons; for a question that reads like
        a live crisis, also the crisis playbook and a button to escalate it as one."""
        ...

    def text(self, text: str) -> dict[str, Any]:
        """A plain reply: small talk, an apology."""
        ...


class Answerer:
    """Takes questions from the intake and answers them into the outbox."""

    def __init__(
        self,
        intake: Intake,
        questions: QuestionService,
        replies: Replies,
        default_lang: str,
        retry_delay: float = 5.0,
        crisis: CrisisCheck | None = None,
        batch: int = 1,
    ) -> None:
        self.crisis = crisis
        self.batch = max(1, batch)
        self.retry_delay = retry_delay
        self.intake = intake
        self.questions = questions
        self.replies = replies
        self.default_lang = default_lang
        self.holder = uuid.uuid4().hex

    def answer_waiting(self) -> int:
        """Answer the oldest waiting questions, up to ``batch``; how many (0: none waited)."""
        batch = self.intake.claim_many(self.holder, self.batch)
        answers = self._answer_together(batch)
        for taken in batch:
            try:
                self._answer(taken, answers.get(taken.id))
            except Exception as error:  # noqa: BLE001 - retried, then the asker is told
                self._failed(taken, error)
        return len(batch)

    def _answer_together(self, batch: list[Taken]) -> dict[int, Answer | InvalidInput]:
        """The engine's answers to the questions in ``batch`` (small talk left out), from
        one call; empty when there are fewer than two, or when that call failed: each is
        then answered alone, so a question that breaks the engine fails alone."""
        asked = [taken for taken in batch if not small_talk(taken.request.text)]
        if len(asked) < 2:
            return {}
        try:
            answers = self.questions.kb.answer_many([taken.request.text for taken in asked])
        except Exception:  # noqa: BLE001 - answered one by one instead
            log.warning("answering %d questions together failed; one by one", len(asked),
                        exc_info=True)  # fmt: skip
            return {}
        return {taken.id: answer for taken, answer in zip(asked, answers, strict=True)}

    def _answer(self, taken: Taken, answered: Answer | InvalidInput | None = None) -> None:
        request = taken.request
        chat = small_talk(request.text)
        if chat:
            self._reply_text(taken, t(chat.reply, chat.lang or self.default_lang), chat.lang)
            return
        try:
            if isinstance(answered, InvalidInput):
                raise answered
            answer = answered if answered is not None else self.questions.kb.answer(request.text)
        except BotError as error:  # e.g. an empty question: the user is told why
            self._reply_text(taken, str(error), detect_language(request.text, self.default_lang))
            return
        with self.questions.store.transaction() as db:
            question_id = self.questions.record(
                db, answer, request.user_id, request.channel_id, request.surface
            )
            asked = Asked(question_id, answer)
            crisis = self.crisis.check(request.text) if self.crisis else None
            content = self.replies.answer(asked, request.surface == "command", crisis)
            message = _message(request, taken, "answer", content, answer.lang)
            outbox.enqueue(db, _reply_key(request), message, self.questions.clock())
            self.intake.finish(db, taken, question_id)

    def run(self, stop: threading.Event, idle: float = 0.05) -> None:
        """Answer until ``stop`` is set, checking every ``idle`` seconds when none waits."""
        while not stop.is_set():
            try:
                busy = self.answer_waiting() > 0
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unusable
                log.exception("answering failed; trying again in a second")
                busy = False
                stop.wait(1.0)
            if not busy:
                stop.wait(idle)

    def _reply_text(self, taken: Taken, text: str, lang: str | None) -> None:
        message = _message(
            taken.request, taken, "reply", self.replies.text(text), lang or self.default_lang
        )
        with self.questions.store.transaction() as db:
            outbox.enqueue(db, _reply_key(taken.request), message, self.questions.clock())
            self.intake.finish(db, taken, None)

    def _failed(self, taken: Taken, error: Exception) -> None:
        request = taken.request
        where = f"{request.surface} from {request.user_id} in {request.channel_id}"
        if taken.attempts < MAX_ATTEMPTS:
            log.error(
                "answering %s failed (attempt %d of %d): %s",
                where,
                taken.attempts,
                MAX_ATTEMPTS,
                error,
                exc_info=error,
            )
            self.intake.release(
                taken, f"{type(error).__name__}: {error}", self.retry_delay * taken.attempts
            )
            return
        log.error("answering %s failed %d times; the asker is told", where, taken.attempts,
                  exc_info=error)  # fmt: skip
        lang = detect_language(taken.request.text, self.default_lang)
        self._reply_text(taken, t("ask_failed", lang), lang)


def _reply_key(request: Request) -> str:
    return f"reply:{request.key}"


def _message(
    request: Request, taken: Taken, kind: str, content: dict[str, Any], lang: str
) -> outbox.Message:
    """Where the reply to ``request`` goes: ``/ask`` privately through its response_url,
    a mention in its thread, a DM in the DM (its thread, if any), the App Home in a DM."""
    about = f"{kind} to {request.surface} from {request.user_id} in {request.channel_id}"
    common: dict[str, Any] = {
        "kind": kind,
        "content": content,
        "lang": lang,
        "about": about,
        "user_id": request.user_id,
        "asked_at": taken.received_at,
    }
    if request.surface == "command" and request.response_url:
        return outbox.Message(
            route="response_url",
            channel=request.channel_id,
            response_url=request.response_url,
            **common,
        )
    if request.surface == "home":
        return outbox.Message(route="post", channel=request.user_id, **common)
    return outbox.Message(
        route="post", channel=request.channel_id, thread_ts=request.thread_ts, **common
    )
