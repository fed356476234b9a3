"""Wire the domain core together from settings: one place that opens everything."""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import weakref
from dataclasses import dataclass

from bot.config import Settings
from bot.crisis import CrisisCheck
from bot.db import Store
from bot.digest import DigestMessages, DigestService, MarkdownDigest
from bot.errors import ConfigError
from bot.escalations import EscalationService, Routing
from bot.intake import Intake
from bot.knowledge import KnowledgeBase
from bot.knowledge.entry import Entry, EntryErrors, load_paths
from bot.knowledge.semantic import load_models
from bot.lessons import LessonMessages, Lessons, TextMessages
from bot.outbox import Outbox
from bot.pilot_report import TextRender
from bot.pilots import PilotRender, PilotService
from bot.privacy import Privacy
from bot.questions import Clock, QuestionService, utc_now
from bot.scheduled import scheduled_jobs
from bot.scheduler import Scheduler
from bot.teaching import Teaching

log = logging.getLogger(__name__)

# Entries per batch in the background: a model is held for one batch at a time, and
# questions answered in the same process wait for it (e5: ~3 s for 20 entries).
BACKFILL_BATCH = 20

# The background embedding of each knowledge base, while it runs (one at a time), and the
# ones asked for again meanwhile: that one runs another round before it ends.
_backfills: weakref.WeakKeyDictionary[KnowledgeBase, threading.Thread] = weakref.WeakKeyDictionary()
_asked_again: weakref.WeakSet[KnowledgeBase] = weakref.WeakSet()
_backfills_lock = threading.Lock()


@dataclass
class Services:
    """The long-lived objects a CLI command or the Slack app works with."""

    settings: Settings
    store: Store
    kb: KnowledgeBase
    questions: QuestionService
    intake: Intake
    outbox: Outbox
    scheduler: Scheduler
    teaching: Teaching
    privacy: Privacy
    escalations: EscalationService
    crisis: CrisisCheck
    pilots: PilotService
    lessons: Lessons
    digest: DigestService

    def close(self) -> None:
        """Stop embedding in the background (its lease goes back to other processes at once)
        and release the database connections."""
        try:
            self.kb.stop_embedding()
        finally:
            self.store.close()


def build_services(
    settings: Settings,
    seed: bool = True,
    clock: Clock = utc_now,
    models: bool = True,
    backfill: bool = True,
    pilot_render: PilotRender | None = None,
    lesson_messages: LessonMessages | None = None,
    digest_messages: DigestMessages | None = None,
) -> Services:
    """Open the store and knowledge base; on an empty database, import the bundled entries.

    With ``models=False`` no semantic model is loaded and no vectors are made, for commands
    that only read entries; the next command that answers embeds what is missing. With
    ``backfill=False`` missing vectors are left for :func:`start_backfill`. The messages
    about pilots, lessons and the digest are rendered by ``pilot_render``,
    ``lesson_messages`` and ``digest_messages`` (the Slack edge's Block Kit); without them,
    as plain text.
    """
    store = Store(settings.db_path, settings.db_source)
    embedder, reranker = load_models(settings.semantic if models else "off")
    kb = KnowledgeBase(
        store,
        threshold=settings.answer_threshold,
        embedder=embedder,
        reranker=reranker,
        default_lang=settings.default_lang,
    )
    try:
        if seed and kb.count() == 0:
            entries = _first_entries(settings)
            log.info("empty database: importing %d entries from %s", len(entries), settings.kb_dir)
            kb.import_entries(entries)
        elif seed and backfill:
            _embed_missing(kb)
    except BaseException:
        store.close()
        raise
    intake, outbox = Intake(store, clock), Outbox(store, clock)
    privacy = Privacy(store, clock, settings.retention_days)
    questions = QuestionService(store, kb, clock)
    escalations = EscalationService(
        store, questions, routing(settings), settings.default_lang, clock
    )
    pilots = PilotService(
        store,
        clock,
        pilot_render or TextRender(),
        managers=settings.conversation_managers,
        lang=settings.default_lang,
        update_days=settings.pilot_update_days,
        pilots_channel=settings.pilots_channel,
    )
    teaching = Teaching(store, kb, clock)
    lessons = Lessons(
        store,
        kb,
        teaching,
        settings.conversation_managers,
        clock,
        lesson_messages or TextMessages(),
        settings.kb_stale_days,
        settings.zone,
    )
    digest = DigestService(
        store,
        teaching,
        clock,
        settings.zone,
        settings.digest_channel,
        settings.digest_schedule,
        settings.digest_lang,
        settings.kb_stale_days,
        digest_messages or MarkdownDigest(),
    )
    jobs = scheduled_jobs(
        outbox,
        intake,
        privacy,
        escalations,
        pilots,
        lessons,
        digest,
        settings.digest_lang,
        settings.pilot_reminder_cron,
    )
    return Services(
        settings=settings,
        store=store,
        kb=kb,
        questions=questions,
        intake=intake,
        outbox=outbox,
        scheduler=Scheduler(store, jobs, settings.zone, clock),
        teaching=teaching,
        privacy=privacy,
        escalations=escalations,
        crisis=CrisisCheck(settings.crisis_words, kb, settings.crisis_playbook),
        pilots=pilots,
        lessons=lessons,
        digest=digest,
    )


def routing(settings: Settings) -> Routing:
    """Where escalations go and when they are due, from the settings."""
    return Routing(
        managers=settings.conversation_managers,
        backups=settings.escalation_backup,
        channel=settings.escalation_channel,
        deadlines=settings.deadlines,
        work_time=settings.work_time,
    )


def _first_entries(settings: Settings) -> list[Entry]:
    """The entries a new database starts with: those in ``SOCIALBOT_KB_DIR``."""
    try:
        entries = load_paths([settings.kb_dir])
    except EntryErrors as exc:
        problems = "".join(f"\n  {error}" for error in exc.errors)
        raise ConfigError(
            "SOCIALBOT_KB_DIR",
            f"the new database starts with the entries in {settings.kb_dir}, but "
            f"{len(exc.errors)} problem(s) stop their import; fix them, or set it to another "
            f"folder:{problems}",
        ) from None
    if not entries:
        raise ConfigError(
            "SOCIALBOT_KB_DIR",
            f"{settings.kb_dir} holds no entries (.md or .csv files) for the new database; "
            "set it to the folder of your knowledge base, or leave it unset for the bundled one",
        )
    return entries


def start_backfill(kb: KnowledgeBase) -> threading.Thread:
    """Embed the entries that lack vectors in a background thread, so a server can answer
    meanwhile (without the model concerned, until its last entry is embedded). When another
    process holds the embedding lease, the thread waits for it to finish or to run out. One
    thread at a time per knowledge base: while one runs, that one is returned, and runs
    another round before it ends."""
    with _backfills_lock:
        running = _backfills.get(kb)
        if running is not None and running.is_alive():
            _asked_again.add(kb)
            return running
        thread = threading.Thread(target=_backfill, args=(kb,), name="backfill", daemon=True)
        _backfills[kb] = thread
        thread.start()
    return thread


def keep_vectors_complete(kb: KnowledgeBase) -> None:
    """From now on, when ``kb``'s answers find entries without vectors of one of its models
    (imported by a process that had fewer models, e.g. a CLI beside an accurate-mode
    server), embed them in the background."""
    kb.on_missing_vectors = functools.partial(start_backfill, kb)


def _backfill(kb: KnowledgeBase) -> None:
    try:
        while True:
            _embed_missing(kb, BACKFILL_BATCH, wait=True)
            with _backfills_lock:
                if kb not in _asked_again:
                    _backfills.pop(kb, None)
                    return
                _asked_again.discard(kb)
    finally:
        kb.store.close_thread_connection()


def _embed_missing(kb: KnowledgeBase, batch: int = 500, wait: bool = False) -> None:
    try:
        embedded = kb.embed_missing(batch, wait)
    except sqlite3.ProgrammingError:  # the store was closed under it: the process is stopping
        log.info("embedding stopped with the process; it goes on at the next start")
        return
    except Exception:
        log.exception("embedding the entries that lack vectors failed; retried at next start")
        return
    if embedded:
        log.info("embedded %d entries that had no vectors for the semantic models", embedded)
