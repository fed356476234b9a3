"""Wire the domain core together from settings: one place that opens everything."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.db import Store
from bot.knowledge import KnowledgeBase
from bot.knowledge.entry import load_paths
from bot.knowledge.pool import AnswerPool, open_knowledge_base
from bot.questions import Clock, QuestionService, utc_now

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The long-lived objects a CLI command or the Slack app works with."""

    settings: Settings
    store: Store
    kb: KnowledgeBase
    questions: QuestionService
    pool: AnswerPool | None = None

    def close(self) -> None:
        """Stop the answer workers and release the database connections."""
        if self.pool is not None:
            self.pool.close()
        self.store.close()


def build_services(
    settings: Settings, seed: bool = True, clock: Clock = utc_now, answer_workers: int = 0
) -> Services:
    """Open the store and knowledge base; on an empty database, import the bundled entries.

    With ``answer_workers`` > 0, questions are answered in that many worker processes (what
    the Slack server does, so search never competes with its acks for the interpreter).
    """
    store = Store(settings.db_path)
    kb = open_knowledge_base(settings, store)
    if seed and kb.count() == 0:
        entries = load_paths([settings.kb_dir])
        log.info("empty database: importing %d entries from %s", len(entries), settings.kb_dir)
        kb.import_entries(entries)
    pool = AnswerPool(settings, kb, answer_workers) if answer_workers > 0 else None
    questions = QuestionService(store, kb, clock, answerer=pool.answer if pool else None)
    return Services(settings=settings, store=store, kb=kb, questions=questions, pool=pool)
