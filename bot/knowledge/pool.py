"""Answer questions in a worker process.

Search is CPU-bound Python. In the Slack server it would share one interpreter lock with
the threads that must acknowledge Slack's requests within 3 seconds, and under load it slows
every ack down (measured in docs/benchmarks.md). A worker process has its own interpreter:
the server process only waits for the result. The worker opens the same SQLite database
and notices knowledge-base changes by itself, as any KnowledgeBase does.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.config import Settings
from bot.db import Store
from bot.knowledge.engine import Answer, KnowledgeBase
from bot.knowledge.semantic import load_embedder

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 30.0
_worker_kb: KnowledgeBase | None = None


def open_knowledge_base(settings: Settings, store: Store) -> KnowledgeBase:
    """The knowledge base as configured by ``settings`` over ``store``."""
    return KnowledgeBase(
        store,
        threshold=settings.answer_threshold,
        embedder=load_embedder(settings.semantic),
        default_lang=settings.default_lang,
    )


class AnswerPool:
    """``answer(question)`` computed in worker processes, with in-process fallback."""

    def __init__(self, settings: Settings, fallback: KnowledgeBase, processes: int = 1) -> None:
        self._fallback = fallback
        self._pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(settings,),
        )
        self._pool.submit(_answer, "warm up").result(timeout=120)

    def answer(self, question: str) -> Answer:
        """Answer ``question`` in a worker; in this process if the worker is gone."""
        try:
            return self._pool.submit(_answer, question).result(timeout=ANSWER_TIMEOUT_S)
        except BrokenProcessPool:
            log.error("the answer worker process died; answering in the server process")
            return self._fallback.answer(question)

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(settings: Settings) -> None:
    global _worker_kb
    try:
        os.nice(10)  # the server's request threads come first; answers may wait a little
    except (AttributeError, OSError):
        pass
    _worker_kb = open_knowledge_base(settings, Store(settings.db_path))


def _answer(question: str) -> Answer:
    assert _worker_kb is not None, "worker not initialised"
    return _worker_kb.answer(question)
