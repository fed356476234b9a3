"""Teaching: socialbot learns from the questions it could not answer.

Every question it abstained on, and every answer that got 👎, lands on the *to-teach list*,
grouped into clusters of similar questions. The conversation manager teaches a cluster (or
one question) to an entry, an existing one or a new one: the questions become alternative
phrasings of that entry at once (stored, re-indexed and re-embedded in one transaction),
so the next person who asks gets the answer, and everyone who asked one of them gets a DM
with the answer through the outbox, once per person and question.

Taught phrasings are kept in ``taught_phrasings`` too: ``socialbot kb export`` writes them
as the entry's ``questions:``, an import with ``--replace`` keeps them (merged into the
imported entries), and :meth:`Teaching.untaught` removes one again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlite_utils import Database

from bot import outbox
from bot.config import LANGUAGES
from bot.db import Store
from bot.errors import InvalidInput, NotFound
from bot.i18n import t
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.entry import ID_PATTERN
from bot.knowledge.text import content_words, words
from bot.questions import QUESTION_COLUMNS, Clock, StoredQuestion, small_talk, stored_question

# Two questions whose content words are at least this similar (rapidfuzz token_sort_ratio,
# 0-100) share a cluster: reordered words and typos do, "hacked account" and "open account"
# do not.
CLUSTER_CUTOFF = 80.0
# The newest questions the to-teach list is built from.
TO_TEACH_WINDOW = 500
# The longest phrasing that can be taught (the longest question socialbot reads is 2,000).
MAX_PHRASING_CHARS = 2_000
# The entries the picker offers at most (Slack shows up to 100 options), and how alike
# (rapidfuzz partial_token_set_ratio, 0-100) a title must be to what was typed.
PICKER_OPTIONS = 50
PICKER_CUTOFF = 75.0
# Longest title, and most tags, of an entry written in the new-entry modal.
MAX_TITLE_CHARS = 200
MAX_TAGS = 10


@dataclass(frozen=True)
class Cluster:
    """Similar questions on the to-teach list, newest first; ``not_helpful`` holds the ids
    of those whose answer got 👎 (the others were abstained on)."""

    questions: tuple[StoredQuestion, ...]
    not_helpful: frozenset[int] = frozenset()

    @property
    def newest(self) -> StoredQuestion:
        """The newest question: the cluster's face."""
        return self.questions[0]

    @property
    def count(self) -> int:
        """How often it was asked."""
        return len(self.questions)

    @property
    def ids(self) -> tuple[int, ...]:
        """The stored questions' ids, newest first."""
        return tuple(q.id for q in self.questions)

    @property
    def askers(self) -> tuple[str, ...]:
        """Who asked, each once, in order of their newest question."""
        return tuple(dict.fromkeys(q.user_id for q in self.questions))

    @property
    def best_guess(self) -> str | None:
        """The entry socialbot most often thought of for these questions, if any."""
        guesses = Counter(q.entry_id for q in self.questions if q.entry_id)
        return guesses.most_common(1)[0][0] if guesses else None


@dataclass(frozen=True)
class TaughtNotice:
    """What an asker is told: the question they asked, and the entry that answers it now."""

    question: StoredQuestion
    entry: Entry


Render = Callable[[TaughtNotice], dict[str, Any]]


@dataclass(frozen=True)
class Taught:
    """The outcome of teaching: the entry as it is now, the phrasings it gained, the stored
    questions taught, and how many askers will get a DM (each once, ever)."""

    entry: Entry
    added: tuple[str, ...]
    questions: tuple[StoredQuestion, ...]
    notified: int


@dataclass(frozen=True)
class Lesson:
    """One phrasing to teach an entry, and where it came from (a file's line) for errors."""

    entry_id: str
    question: str
    where: str = ""


@dataclass(frozen=True)
class TaughtPhrasing:
    """A phrasing taught to an entry, by whom and when."""

    entry_id: str
    question: str
    taught_by: str
    taught_at: str


@dataclass(frozen=True)
class NewEntry:
    """An entry as written in the new-entry modal; :meth:`Teaching.create_entry` checks it."""

    title: str
    body: str
    lang: str
    tags: tuple[str, ...] = ()


class NewEntryErrors(InvalidInput):
    """What is wrong with a new entry: by field (``title``, ``body``, ``lang``, ``tags``),
    the key of its message in bot/i18n.py and the values the message names."""

    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(
            "; ".join(
                f"{field}: {t(key, 'en', **values)}" for field, (key, values) in errors.items()
            )
        )
        self.errors = errors


@dataclass(frozen=True)
class Imported:
    """An import: entries imported, taught phrasings merged back into them (not in the
    files), and taught phrasings kept for entries that are not in the knowledge base now."""

    count: int
    kept: int
    orphaned: int


class Teaching:
    """The to-teach list, teaching and untaught, over the store and knowledge base."""

    def __init__(self, store: Store, kb: KnowledgeBase, clock: Clock) -> None:
        self.store = store
        self.kb = kb
        self.clock = clock

    # -- the to-teach list --------------------------------------------------------------

    def to_teach(self, limit: int = 20) -> list[Cluster]:
        """The clusters of questions to teach, the one asked most recently first."""
        rows = self.store.db.execute(
            f"select {QUESTION_COLUMNS} from questions q where q.id not in "
            "(select question_id from taught_questions) and (q.answered = 0 or exists "
            "(select 1 from feedback f where f.question_id = q.id and f.helpful = 0)) "
            "order by q.id desc limit ?",
            [TO_TEACH_WINDOW],
        ).fetchall()
        questions = [stored_question(r) for r in rows]
        not_helpful = self._not_helpful([q.id for q in questions if q.answered])
        clusters = [
            Cluster(tuple(group), frozenset(q.id for q in group if q.id in not_helpful))
            for group in cluster(questions)
        ]
        return clusters[:limit]

    def dismiss(self, question_ids: Sequence[int], by: str) -> int:
        """Take questions off the to-teach list without teaching them (out of scope, spam);
        how many were on it."""
        stored = self._stored(question_ids)
        with self.store.transaction() as db:
            return sum(
                db.execute(
                    "insert or ignore into taught_questions (question_id, entry_id, taught_by, "
                    "taught_at) values (?, null, ?, ?)",
                    [q.id, by, self._now()],
                ).rowcount
                for q in stored
            )

    # -- teaching -----------------------------------------------------------------------

    def teach(
        self,
        entry_id: str,
        by: str,
        render: Render,
        phrasings: Sequence[str] = (),
        question_ids: Sequence[int] = (),
    ) -> Taught:
        """Teach ``entry_id`` the ``phrasings`` and the stored questions ``question_ids``: in
        one transaction they become its alternative phrasings (an exact duplicate is added
        once), the stored questions with the same words leave the to-teach list, and each
        of their askers gets a DM (``render`` makes it) with the answer. Raise NotFound for
        an unknown entry or question id, InvalidInput for a phrasing that cannot be taught
        (blank, small talk, or a phrasing of another entry); nothing is changed then."""
        with self.store.transaction() as db:
            return self._teach(db, entry_id, by, render, phrasings, question_ids)

    def teach_all(self, lessons: Sequence[Lesson], by: str, render: Render) -> list[Taught]:
        """Teach every lesson, all or nothing: an error names the lesson's ``where``."""
        if not lessons:
            raise InvalidInput("nothing to teach: give at least one question and entry id")
        done: list[Taught] = []
        with self.store.transaction() as db:
            for lesson in lessons:
                try:
                    done.append(self._teach(db, lesson.entry_id, by, render, [lesson.question]))
                except (InvalidInput, NotFound) as error:
                    where = f"{lesson.where}: " if lesson.where else ""
                    raise type(error)(f"{where}{error}; nothing was taught") from None
        return done

    def create_entry(
        self, draft: NewEntry, by: str, render: Render, question_ids: Sequence[int] = ()
    ) -> Taught:
        """Add a new entry written by ``by`` and teach it ``question_ids``, in one
        transaction. Raise NewEntryErrors naming each field that is wrong."""
        entry = self._new_entry(draft, by)
        with self.store.transaction() as db:
            self.kb.import_entries([entry])
            if not question_ids:
                return Taught(entry, (), (), 0)
            return self._teach(db, entry.id, by, render, (), question_ids)

    def untaught(self, entry_id: str, question: str) -> Entry:
        """Remove the taught phrasing ``question`` from ``entry_id`` again (it is re-indexed
        at once); the entry as it is now. Raise NotFound when it is no taught phrasing."""
        key = phrasing_key(question)
        with self.store.transaction() as db:
            entry = self.kb.get(entry_id)
            taught = [
                text
                for (text,) in db.execute(
                    "select question from taught_phrasings where entry_id = ?", [entry_id]
                )
                if phrasing_key(text) == key
            ]
            if not key or not taught:
                raise NotFound(
                    f"{question!r} is not a taught phrasing of {entry_id!r} "
                    f"(`socialbot kb taught {entry_id}` lists them)"
                )
            db.execute(
                f"delete from taught_phrasings where entry_id = ? and question in "
                f"({','.join('?' * len(taught))})",
                [entry_id, *taught],
            )
            kept = tuple(q for q in entry.questions if phrasing_key(q) != key)
            updated = replace(entry, questions=kept)
            self.kb.import_entries([updated])
        return updated

    def taught(self, entry_id: str | None = None) -> list[TaughtPhrasing]:
        """The taught phrasings (of ``entry_id``), newest first."""
        where, params = ("where entry_id = ?", [entry_id]) if entry_id else ("", [])
        rows = self.store.db.execute(
            "select entry_id, question, taught_by, taught_at from taught_phrasings "
            f"{where} order by taught_at desc, entry_id, question",
            params,
        ).fetchall()
        return [TaughtPhrasing(*map(str, row)) for row in rows]

    def find_entries(self, query: str, limit: int = PICKER_OPTIONS) -> list[Entry]:
        """Entries whose title or id matches ``query`` (typed in the picker), best first;
        for an empty query, the first ``limit`` by title."""
        entries = self.kb.entries()
        if not query.strip():
            return sorted(entries, key=lambda e: e.title.casefold())[:limit]
        found = process.extract(
            query,
            {e.id: f"{e.title} {e.id}" for e in entries},
            scorer=fuzz.partial_token_set_ratio,
            processor=utils.default_process,
            score_cutoff=PICKER_CUTOFF,
            limit=None,
        )
        by_id = {e.id: e for e in entries}
        ranked = sorted(found, key=lambda m: (-m[1], by_id[m[2]].title.casefold()))
        return [by_id[m[2]] for m in ranked[:limit]]

    # -- importing ----------------------------------------------------------------------

    def import_entries(
        self,
        entries: Sequence[Entry],
        replace_all: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Imported:
        """Import ``entries`` (see KnowledgeBase.import_entries, which reports ``progress``),
        keeping what was taught: each entry's taught phrasings that its file lacks are
        merged into it."""
        taught: dict[str, list[str]] = {}
        for phrasing in reversed(self.taught()):  # oldest first, as they were added
            taught.setdefault(phrasing.entry_id, []).append(phrasing.question)
        merged, kept = [], 0
        for entry in entries:
            have = {phrasing_key(q) for q in (entry.title, *entry.questions)}
            extra = [q for q in taught.get(entry.id, []) if phrasing_key(q) not in have]
            kept += len(extra)
            merged.append(replace(entry, questions=(*entry.questions, *extra)) if extra else entry)
        # Not inside a transaction of ours: the import embeds its entries before it takes
        # the write lock, which a large import would otherwise hold for minutes.
        count = self.kb.import_entries(merged, replace=replace_all, progress=progress)
        present = {e.id for e in self.kb.entries()}
        orphaned = sum(len(v) for k, v in taught.items() if k not in present)
        return Imported(count, kept, orphaned)

    # -- the parts ----------------------------------------------------------------------

    def _teach(
        self,
        db: Database,
        entry_id: str,
        by: str,
        render: Render,
        phrasings: Sequence[str],
        question_ids: Sequence[int] = (),
    ) -> Taught:
        entry = self.kb.get(entry_id)
        stored = self._stored(question_ids)
        texts = [*phrasings, *(q.question for q in stored)]
        if not texts:
            raise InvalidInput("nothing to teach: give a question")
        wanted: dict[str, str] = {}
        for text in texts:
            key = self._check(text)
            wanted.setdefault(key, " ".join(text.split()))
        self._check_not_elsewhere(entry_id, wanted)
        have = {phrasing_key(q) for q in (entry.title, *entry.questions)}
        added = tuple(text for key, text in wanted.items() if key not in have)
        if added:
            entry = replace(entry, questions=(*entry.questions, *added))
            self.kb.import_entries([entry])
            db.table("taught_phrasings").insert_all(
                (
                    {"entry_id": entry_id, "question": q, "taught_by": by, "taught_at": self._now()}
                    for q in added
                ),
                ignore=True,
            )
        # Everyone on the to-teach list who asked one of these, in these words, is taught.
        keys = set(wanted)
        taught = {q.id: q for q in stored}
        for question in self._open_questions():
            if phrasing_key(question.question) in keys:
                taught.setdefault(question.id, question)
        notified = 0
        now = self.clock()
        for question in taught.values():
            db.execute(
                "insert or replace into taught_questions (question_id, entry_id, taught_by, "
                "taught_at) values (?, ?, ?, ?)",
                [question.id, entry_id, by, self._now()],
            )
            message = outbox.Message(
                kind="taught_dm",
                route="post",
                channel=question.user_id,
                content=render(TaughtNotice(question, entry)),
                lang=question.lang,
                about=f"taught answer ({entry_id}) to question {question.id}",
                user_id=question.user_id,
            )
            notified += outbox.enqueue(db, taught_dm_key(question), message, now)
        return Taught(entry, added, tuple(taught.values()), notified)

    def _check(self, text: str) -> str:
        """The phrasing's key; raise InvalidInput for one that cannot be taught."""
        key = phrasing_key(text)
        if not key:
            raise InvalidInput("the question is blank: give the words of a question")
        if len(text) > MAX_PHRASING_CHARS:
            raise InvalidInput(f"the question is longer than {MAX_PHRASING_CHARS} characters")
        if small_talk(text) is not None:
            raise InvalidInput(
                f"{_short(text)!r} is small talk (a greeting, thanks, 'help'): socialbot "
                "never looks it up, so it cannot be taught"
            )
        if not content_words(text):
            raise InvalidInput(f"{_short(text)!r} has no words to find it by")
        return key

    def _check_not_elsewhere(self, entry_id: str, wanted: dict[str, str]) -> None:
        """A phrasing of another entry is not taught to this one: the two would tie."""
        for other in self.kb.entries():
            if other.id == entry_id:
                continue
            for phrasing in (other.title, *other.questions):
                key = phrasing_key(phrasing)
                if key in wanted:
                    raise InvalidInput(
                        f"{_short(wanted[key])!r} is already a phrasing of {other.id!r}; "
                        f"untaught it there first (`socialbot kb untaught {other.id} ...`)"
                    )

    def _new_entry(self, draft: NewEntry, by: str) -> Entry:
        errors: dict[str, tuple[str, dict[str, Any]]] = {}
        title, body = " ".join(draft.title.split()), draft.body.strip()
        tags = tuple(dict.fromkeys(tag.strip().lower() for tag in draft.tags if tag.strip()))
        if not title:
            errors["title"] = ("entry_required", {})
        elif len(title) > MAX_TITLE_CHARS:
            errors["title"] = ("entry_too_long", {"limit": MAX_TITLE_CHARS})
        elif not content_words(title):
            errors["title"] = ("entry_no_words", {})
        else:
            key = phrasing_key(title)
            for other in self.kb.entries():
                if key in {phrasing_key(p) for p in (other.title, *other.questions)}:
                    errors["title"] = ("entry_title_taken", {"id": other.id})
                    break
        if not body:
            errors["body"] = ("entry_required", {})
        if draft.lang not in LANGUAGES:
            errors["lang"] = ("entry_lang", {"languages": ", ".join(LANGUAGES)})
        if len(tags) > MAX_TAGS:
            errors["tags"] = ("entry_too_many_tags", {"limit": MAX_TAGS})
        if errors:
            raise NewEntryErrors(errors)
        return Entry(
            id=new_entry_id(title, {e.id for e in self.kb.entries()}),
            title=title,
            lang=draft.lang,
            body=body,
            tags=tags,
            owner=by,
            updated=self.clock().date().isoformat(),
        )

    def _stored(self, question_ids: Sequence[int]) -> list[StoredQuestion]:
        ids = list(dict.fromkeys(question_ids))
        found: list[StoredQuestion] = []
        for question_id in ids:
            row = self.store.db.execute(
                f"select {QUESTION_COLUMNS} from questions where id = ?", [question_id]
            ).fetchone()
            if row is None:
                raise NotFound(f"no question with id {question_id}")
            found.append(stored_question(row))
        return found

    def _open_questions(self) -> list[StoredQuestion]:
        return [q for c in self.to_teach(limit=TO_TEACH_WINDOW) for q in c.questions]

    def _not_helpful(self, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        rows = self.store.db.execute(
            "select distinct question_id from feedback where helpful = 0 and question_id in "
            "(select value from json_each(?))",
            [json.dumps(ids)],
        ).fetchall()
        return {int(r[0]) for r in rows}

    def _now(self) -> str:
        return self.clock().astimezone(dt.UTC).isoformat()


def cluster(questions: Sequence[StoredQuestion]) -> list[list[StoredQuestion]]:
    """``questions`` (newest first) grouped by similarity: each joins the first group whose
    newest question's content words are at least CLUSTER_CUTOFF alike, or starts one."""
    groups: list[list[StoredQuestion]] = []
    faces: list[str] = []
    for question in questions:
        text = " ".join(content_words(question.question)) or question.question
        match = process.extractOne(
            text,
            faces,
            scorer=fuzz.token_sort_ratio,
            processor=utils.default_process,
            score_cutoff=CLUSTER_CUTOFF,
        )
        if match is None:
            groups.append([question])
            faces.append(text)
        else:
            groups[match[2]].append(question)
    return groups


def phrasing_key(text: str) -> str:
    """What makes two phrasings the same: their folded words (case, accents, punctuation
    and spacing aside)."""
    return " ".join(words(text))


def taught_dm_key(question: StoredQuestion) -> str:
    """The outbox key of the DM telling ``question``'s asker it was taught: once per person
    and question (in the same words), however often it is taught."""
    digest = hashlib.sha256(phrasing_key(question.question).encode()).hexdigest()[:16]
    return f"taught-dm:{question.user_id}:{digest}"


def new_entry_id(title: str, taken: set[str]) -> str:
    """A kebab-case id from ``title``'s first content words, not in ``taken``."""
    base = "-".join(re.sub(r"[^a-z0-9]+", "", w) for w in content_words(title)[:6])
    base = re.sub(r"-+", "-", base).strip("-")[:60].strip("-") or "entry"
    candidate, number = base, 2
    while candidate in taken or not ID_PATTERN.match(candidate) or candidate == "readme":
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def parse_lessons(text: str, source: str) -> list[Lesson]:
    """The lessons of a JSON Lines file: one ``{"question": ..., "id": ...}`` per line
    (blank lines skipped). Raise InvalidInput naming the first bad line."""
    lessons: list[Lesson] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            item = json.loads(line)
        except ValueError as error:
            raise InvalidInput(f"{where}: not JSON ({error}); nothing was taught") from None
        if not isinstance(item, dict):
            raise InvalidInput(
                f'{where}: expected {{"question": ..., "id": ...}}; nothing was taught'
            )
        question, entry_id = item.get("question"), item.get("id")
        if not isinstance(question, str) or not question.strip():
            raise InvalidInput(f"{where}: the question is missing or blank; nothing was taught")
        if not isinstance(entry_id, str) or not entry_id.strip():
            raise InvalidInput(f"{where}: the entry id is missing or blank; nothing was taught")
        lessons.append(Lesson(entry_id.strip(), question, where))
    return lessons


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
