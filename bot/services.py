"""Wire the domain core together from settings: one place that opens everything."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.db import Store
from bot.knowledge import KnowledgeBase
from bot.knowledge.entry import load_paths
from bot.knowledge.semantic import load_models
from bot.questions import Clock, QuestionService, utc_now

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The long-lived objects a CLI command or the Slack app works with."""

    settings: Settings
    store: Store
    kb: KnowledgeBase
    questions: QuestionService

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()


def build_services(
    settings: Settings, seed: bool = True, clock: Clock = utc_now, models: bool = True
) -> Services:
    """Open the store and knowledge base; on an empty database, import the bundled entries.

    With ``models=False`` no semantic model is loaded and no vectors are made, for commands
    that only read entries; the next command that answers embeds what is missing.
    """
    store = Store(settings.db_path)
    embedder, reranker = load_models(settings.semantic if models else "off")
    kb = KnowledgeBase(
        store,
        threshold=settings.answer_threshold,
        embedder=embedder,
        reranker=reranker,
        default_lang=settings.default_lang,
    )
    if seed and kb.count() == 0:
        entries = load_paths([settings.kb_dir])
        log.info("empty database: importing %d entries from %s", len(entries), settings.kb_dir)
        kb.import_entries(entries)
    elif seed:
        embedded = kb.embed_missing()
        if embedded:
            log.info("embedded %d entries that had no vectors for the semantic models", embedded)
    return Services(
        settings=settings, store=store, kb=kb, questions=QuestionService(store, kb, clock)
    )
