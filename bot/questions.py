"""Asking: answer a question and remember it, collect feedback.

Every question is stored with its answer and score before anything is sent to Slack, so
nothing is lost when Slack fails; the App Home statistics read it back.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from bot.db import Store
from bot.errors import NotFound
from bot.knowledge import Answer, Entry, Hit, KnowledgeBase

# How long a handled key (a Slack event id) is remembered.
HANDLED_KEYS_KEPT = dt.timedelta(days=1)

Clock = Callable[[], dt.datetime]


# Words of messages that hold no question, by what they do and their language (None: both).
# A message made of these words only gets a reply of its own, not a knowledge-base answer:
# "thanks!" must not be answered with the entry on responding to praise.
_HELP, _GREETING, _THANKS, _FILLER = "help", "greeting", "thanks", "filler"
SMALL_TALK_WORDS: dict[str, tuple[str, str | None]] = {
    **{w: (_HELP, "en") for w in ("help", "usage", "testing", "question")},
    **{w: (_HELP, "nl") for w in ("hulp", "uitleg", "testje", "vraag", "vraagje")},
    **{w: (_HELP, None) for w in ("test", "sorry")},  # "hallo, ik heb een vraag": how to ask
    **{w: (_GREETING, "en") for w in ("hi", "hello", "morning", "afternoon", "evening")},
    **{w: (_GREETING, "nl") for w in ("hoi", "hallo", "dag", "hoihoi", "goeiemorgen",
                                       "goedemorgen", "goeiemiddag", "goedemiddag",
                                       "goedenavond", "goeienavond", "morgen", "middag")},
    **{w: (_GREETING, None) for w in ("hey", "heey", "yo")},
    # "how are you (doing) today?", "hoe gaat het (met jou)?", "alles goed?"
    **{w: (_GREETING, "en") for w in ("how",)},
    **{w: (_GREETING, "nl") for w in ("hoe", "alles")},
    **{w: (_FILLER, "en") for w in ("are", "doing", "today")},
    **{w: (_FILLER, "nl") for w in ("gaat", "het", "met", "jou", "goed")},
    **{w: (_THANKS, "en") for w in ("thanks", "thank", "thx", "ty", "cheers")},
    **{w: (_THANKS, "nl") for w in ("bedankt", "dank", "dankjewel", "dankuwel", "dankje",
                                     "merci", "bedankd")},
    **{w: (_FILLER, "en") for w in ("you", "very", "much", "a", "lot", "good", "great", "nice",
                                     "all", "everyone", "there", "perfect", "it", "this",
                                     "that", "helps", "helped", "i", "have", "got")},
    **{w: (_FILLER, "nl") for w in ("je", "jullie", "u", "wel", "heel", "erg", "veel",
                                     "allemaal", "iedereen", "fijn", "prima", "mooi", "dat",
                                     "helpt", "geholpen", "echt", "ik", "heb", "een")},
    **{w: (_FILLER, None) for w in ("ok", "oke", "okay", "oké", "okido", "top", "super",
                                     "cool", "socialbot", "haha", "hahaha", "lol", "oh", "ah")},
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")
_SLACK_EMOJI = re.compile(r":[a-z0-9_+'-]+:")  # Slack writes emoji in text as :name:


@dataclass(frozen=True)
class SmallTalk:
    """A message that holds no question: the message key of its reply ('usage' for help or
    a greeting, 'welcome' for thanks or an acknowledgement) and the language it was in (None
    when its words do not tell)."""

    reply: str
    lang: str | None


def small_talk(text: str) -> SmallTalk | None:
    """``text`` (a command, mention or DM without the bot's name) as small talk, or None
    when it may be a question for the knowledge base."""
    rest = _SLACK_EMOJI.sub(" ", text.lower())
    words = _WORD.findall(rest)
    if not words:  # emoji alone are a reaction; digits, "???" or stray marks: how to ask
        reaction = rest != text.lower() or any(unicodedata.category(c) == "So" for c in rest)
        plain = not any(c.isalnum() or c == "?" for c in rest)
        return SmallTalk("welcome" if reaction and plain else "usage", None)
    known = [SMALL_TALK_WORDS[w] for w in words if w in SMALL_TALK_WORDS]
    if len(known) < len(words):
        return None
    kinds = {kind for kind, _ in known}
    lang = next((lang for _, lang in known if lang), None)
    return SmallTalk("usage" if kinds & {_HELP, _GREETING} else "welcome", lang)


def utc_now() -> dt.datetime:
    """The current time in UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Asked:
    """An answered (or abstained) question with the id it was stored under."""

    question_id: int
    answer: Answer


@dataclass(frozen=True)
class StoredQuestion:
    """A question as stored."""

    id: int
    asked_at: str
    user_id: str
    channel_id: str
    question: str
    lang: str
    answered: bool
    entry_id: str | None
    score: float


@dataclass(frozen=True)
class WeeklyStats:
    """What happened in the last 7 days, for the conversation manager."""

    asked: int
    answered: int
    helpful: int
    not_helpful: int
    unanswered: list[StoredQuestion]

    @property
    def answered_share(self) -> float:
        """Share of questions answered, 0 when nothing was asked."""
        return self.answered / self.asked if self.asked else 0.0


class QuestionService:
    """Answers questions from the knowledge base and keeps the record of them."""

    def __init__(self, store: Store, kb: KnowledgeBase, clock: Clock = utc_now) -> None:
        self.store = store
        self.kb = kb
        self.clock = clock

    def ask(self, question: str, user_id: str, channel_id: str, surface: str) -> Asked:
        """Answer ``question`` and store it; raise InvalidInput for an empty question."""
        answer = self.kb.answer(question)
        with self.store.transaction() as db:
            return Asked(self.record(db, answer, user_id, channel_id, surface), answer)

    def record(
        self, db: Database, answer: Answer, user_id: str, channel_id: str, surface: str
    ) -> int:
        """Store ``answer`` to ``user_id``'s question inside the caller's transaction; its id."""
        cursor = db.execute(
            "insert into questions (asked_at, user_id, channel_id, surface, question, lang, "
            "answered, entry_id, score) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self._now(),
                user_id,
                channel_id,
                surface,
                answer.question,
                answer.lang,
                int(answer.answered),
                answer.best.entry.id if answer.best else None,
                answer.score,
            ],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def get(self, question_id: int) -> StoredQuestion:
        """The stored question; raise NotFound."""
        rows = self.store.db.execute(
            f"select {_COLUMNS} from questions where id = ?", [question_id]
        ).fetchall()
        if not rows:
            raise NotFound(f"no question with id {question_id}")
        return _stored(rows[0])

    def stored_answer(self, question_id: int) -> Asked:
        """The answer as it was given to ``question_id`` (its entry as it is now)."""
        question = self.get(question_id)
        best = self._entry_or_none(question.entry_id)
        hit = Hit(best, question.score) if best else None
        answer = Answer(
            question.question,
            question.lang,
            question.answered and hit is not None,
            question.score,
            hit,
            [],
        )
        return Asked(question_id, answer)

    def entry(self, entry_id: str) -> Entry:
        """A knowledge-base entry, e.g. for a suggestion the user clicked; raise NotFound."""
        return self.kb.get(entry_id)

    def feedback(self, question_id: int, user_id: str, helpful: bool) -> StoredQuestion:
        """Record (or change) ``user_id``'s verdict on the answer to ``question_id``."""
        question = self.get(question_id)
        with self.store.transaction() as db:
            db.table("feedback").upsert(
                {
                    "question_id": question_id,
                    "user_id": user_id,
                    "helpful": int(helpful),
                    "given_at": self._now(),
                },
                pk=("question_id", "user_id"),
            )
        return question

    def recent(self, user_id: str, limit: int = 5) -> list[StoredQuestion]:
        """``user_id``'s latest questions, newest first."""
        rows = self.store.db.execute(
            f"select {_COLUMNS} from questions where user_id = ? order by id desc limit ?",
            [user_id, limit],
        ).fetchall()
        return [_stored(r) for r in rows]

    def weekly_stats(self, unanswered_limit: int = 10) -> WeeklyStats:
        """Counts over the last 7 days and the latest unanswered questions, newest first."""
        since = (self.clock() - dt.timedelta(days=7)).isoformat()
        db = self.store.db
        asked, answered = db.execute(
            "select count(*), coalesce(sum(answered), 0) from questions where asked_at >= ?",
            [since],
        ).fetchone()
        helpful, not_helpful = db.execute(
            "select coalesce(sum(helpful), 0), coalesce(sum(1 - helpful), 0) from feedback "
            "where given_at >= ?",
            [since],
        ).fetchone()
        rows = db.execute(
            f"select {_COLUMNS} from questions where asked_at >= ? and answered = 0 "
            "order by id desc limit ?",
            [since, unanswered_limit],
        ).fetchall()
        return WeeklyStats(asked, answered, helpful, not_helpful, [_stored(r) for r in rows])

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` (e.g. a Slack event id) is seen, False after that
        for at least a day (Slack's retries come within the hour); older keys are dropped."""
        now = self.clock().astimezone(dt.UTC)
        with self.store.transaction() as db:
            db.execute(
                "delete from handled_events where handled_at < ?",
                [(now - HANDLED_KEYS_KEPT).isoformat()],
            )
            cursor = db.execute(
                "insert or ignore into handled_events (key, handled_at) values (?, ?)",
                [key, now.isoformat()],
            )
            return cursor.rowcount == 1

    def forget(self, key: str) -> None:
        """Make ``key`` new again, e.g. for an event whose handling failed."""
        with self.store.transaction() as db:
            db.execute("delete from handled_events where key = ?", [key])

    def _entry_or_none(self, entry_id: str | None) -> Entry | None:
        if entry_id is None:
            return None
        try:
            return self.kb.get(entry_id)
        except NotFound:
            return None

    def _now(self) -> str:
        return self.clock().astimezone(dt.UTC).isoformat()


_COLUMNS = "id, asked_at, user_id, channel_id, question, lang, answered, entry_id, score"


def _stored(row: tuple[object, ...]) -> StoredQuestion:
    qid, asked_at, user_id, channel_id, question, lang, answered, entry_id, score = row
    return StoredQuestion(
        id=int(str(qid)),
        asked_at=str(asked_at),
        user_id=str(user_id),
        channel_id=str(channel_id),
        question=str(question),
        lang=str(lang),
        answered=bool(answered),
        entry_id=None if entry_id is None else str(entry_id),
        score=float(str(score)),
    )


# For modules that read the questions table themselves (bot/teaching.py).
QUESTION_COLUMNS = _COLUMNS
stored_question = _stored
