"""Hybrid search over the knowledge base, with one calibrated confidence.

1. The question is folded, stripped of stop words and stemmed in Dutch and English; unknown
   words are corrected against the index vocabulary (typos) or split into known parts
   (Dutch compounds).
2. Candidates come from SQLite FTS5 (BM25 with field weights) and, when a semantic layer is
   present, from the nearest sentence vectors.
3. Each candidate gets a few features: IDF-weighted coverage of the question's words (a
   glossary synonym earns half), fuzzy similarity to the title and alternative questions,
   the semantic similarity to its phrasings and to its body (from a second model too, when
   one is configured), and its reciprocal rank in the lexical and the semantic list. A
   softmax-fitted linear model ranks the candidates; a logistic model turns the best one's
   evidence (its score without the rank terms) and its margin over the runner-up into a
   confidence in [0, 1]. Below the threshold the engine abstains and offers suggestions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process, utils
from sqlite_utils import Database

from bot.db import SEARCH_COLUMNS, Lease, Store
from bot.errors import InvalidInput, NotFound
from bot.knowledge.entry import Entry
from bot.knowledge.semantic import Embedder, Vectors
from bot.knowledge.text import (
    content_words,
    detect_language,
    stem_terms,
    stems,
    synonym_stems,
)

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2_000
# A lone UTF-16 surrogate: what Python makes of bytes that are not UTF-8 (surrogateescape).
_SURROGATE = re.compile("[\ud800-\udfff]")
CANDIDATES = 40
# Candidate generation skips terms in more than this share of entries (and more than the
# minimum below), and sends at most this many terms to FTS5, rarest first.
COMMON_TERM_SHARE = 0.05
COMMON_TERM_MIN_DOCS = 200
MAX_QUERY_TERMS = 24
TYPO_CUTOFF = 80.0
TYPO_CUTOFF_SHORT = 85.0
BODY_CHARS_EMBEDDED = 600
# Entries less likely than this to be right are not worth offering as suggestions.
SUGGESTION_FLOOR = 0.05
# A question none of whose best entries is at least this likely to be answered by it is
# unrelated to the knowledge base: it gets no suggestions, only "I don't know" and the route
# to the conversation manager (docs/benchmarks.md).
UNRELATED_QUESTION = 0.15
# The most confidence an entry gets for a one-word question when another entry holds at least
# as much evidence for it ("posten": every entry with that word matches it fully, and only
# the rank terms chose among them). Below any sensible threshold: such a keyword gets
# suggestions, not an answer (docs/benchmarks.md).
AMBIGUOUS_KEYWORD_CONFIDENCE = 0.3
# Coverage credit for a question word found only through a glossary synonym.
SYNONYM_CREDIT = 0.5
# The most confidence an entry gets when the semantic layer finds it unrelated to the
# question (both its similarities at the model's level for unrelated texts, and the second
# model's too in accurate mode): the words they share are then most often a chance match
# ("vacation days" for an entry that mentions a vacation). Measured over the development,
# keyword, bundled and everyday off-topic sets: 3 of 15 such answers were right
# (docs/benchmarks.md).
UNRELATED_CONFIDENCE = 0.2
# The embedding lease (see embed_missing): its meta key, and how long it holds unrenewed.
_LEASE = "embedding_lease"
LEASE_SECONDS = 300
# How often an embedding that waits for another process's lease checks on it.
LEASE_CHECK_SECONDS = 15.0
# Entries whose terms are kept in memory at most (the cache starts over past this).
ENTRY_CACHE_LIMIT = 50_000
# Entries an import embeds at a time: the steps in which it reports progress.
IMPORT_BATCH = 100

T = TypeVar("T")


@dataclass(frozen=True)
class Weights:
    """The two logistic models behind ranking and confidence (see scripts/fit_weights.py).

    A candidate's *logit* is ``bias + Σ weight × feature``; it ranks the candidates. Two of
    the features only say where a candidate stands in the lexical and the semantic ranking
    (rank fusion): they help ordering, but every question has a first place, even one the
    knowledge base cannot answer. The confidence therefore reads the *evidence*, the logit
    without those rank terms: ``sigmoid(calibration_bias + calibration_logit × evidence +
    calibration_lead × lead)``, where *lead* is the candidate's evidence minus the best
    other candidate's: a clear winner is trusted more than one of two look-alikes.
    """

    calibration_bias: float
    calibration_logit: float
    calibration_lead: float
    bias: float
    coverage: float
    title_coverage: float
    fuzzy: float
    semantic_phrasings: float = 0.0
    semantic_body: float = 0.0
    coverage_gap: float = 0.0
    semantic_gap: float = 0.0
    lexical_rank: float = 0.0
    semantic_rank: float = 0.0
    rerank_phrasings: float = 0.0
    rerank_body: float = 0.0

    FEATURES = (
        "coverage",
        "title_coverage",
        "fuzzy",
        "semantic_phrasings",
        "semantic_body",
        "coverage_gap",
        "semantic_gap",
        "lexical_rank",
        "semantic_rank",
        "rerank_phrasings",
        "rerank_body",
    )
    # Features that order candidates but are no evidence that the best one is right.
    RANK_FEATURES = ("lexical_rank", "semantic_rank")


# Fitted with scripts/fit_weights.py on the development set (the calibration's slopes also
# on short keyword queries and everyday off-topic questions); see docs/benchmarks.md.
LEXICAL_WEIGHTS = Weights(
    calibration_bias=-3.37, calibration_logit=0.58, calibration_lead=0.11,
    bias=0.0, coverage=5.29, title_coverage=3.65, fuzzy=4.73, coverage_gap=1.15,
    lexical_rank=2.1,
)  # fmt: skip
HYBRID_WEIGHTS = Weights(
    calibration_bias=-2.51, calibration_logit=1.2, calibration_lead=-0.28,
    bias=0.0, coverage=3.66, title_coverage=0.0, fuzzy=0.1, semantic_phrasings=2.95,
    semantic_body=5.07, coverage_gap=2.42, semantic_gap=2.96, lexical_rank=2.01,
    semantic_rank=2.68,
)  # fmt: skip
ACCURATE_WEIGHTS = Weights(
    calibration_bias=-9.2, calibration_logit=1.12, calibration_lead=0.01,
    bias=0.0, coverage=2.83, title_coverage=0.0, fuzzy=0.0, semantic_phrasings=1.39,
    semantic_body=4.65, coverage_gap=1.91, semantic_gap=2.1, lexical_rank=2.1,
    semantic_rank=2.36, rerank_phrasings=7.52, rerank_body=5.32,
)  # fmt: skip
# The shipped weights by the layers that have vectors: (semantic, rerank).
SHIPPED_WEIGHTS = {
    (False, False): LEXICAL_WEIGHTS,
    (True, False): HYBRID_WEIGHTS,
    (True, True): ACCURATE_WEIGHTS,
}


@dataclass(frozen=True)
class _Concept:
    """One content word of a question: the index terms it stands for, and its IDF weight."""

    direct: frozenset[str]
    related: frozenset[str]
    idf: float


@dataclass(frozen=True)
class Hit:
    """One entry found for a question, with its confidence in [0, 1]."""

    entry: Entry
    score: float


@dataclass(frozen=True)
class Answer:
    """The engine's reply to one question."""

    question: str
    lang: str
    answered: bool
    score: float
    best: Hit | None
    suggestions: list[Hit] = field(default_factory=list)


@dataclass
class _Candidate:
    """One entry considered for a question, with what the models read and say about it."""

    entry_id: str
    # Position in the lexical (BM25) and semantic candidate lists; None when absent.
    lexical_position: int | None = None
    semantic_position: int | None = None
    coverage: float = 0.0
    title_coverage: float = 0.0
    fuzzy: float = 0.0
    semantic_phrasings: float = 0.0
    semantic_body: float = 0.0
    coverage_gap: float = 0.0
    semantic_gap: float = 0.0
    lexical_rank: float = 0.0
    semantic_rank: float = 0.0
    rerank_phrasings: float = 0.0
    rerank_body: float = 0.0
    logit: float = 0.0
    evidence: float = 0.0
    lead: float = 0.0
    confidence: float = 0.0

    def features(self) -> dict[str, float]:
        """The model's inputs for this candidate, by name."""
        return {name: getattr(self, name) for name in Weights.FEATURES}


@dataclass(frozen=True)
class _ModelVectors:
    """One embedding model's two vectors per entry, as matrices with one row per entry."""

    ids: list[str]
    row: dict[str, int]
    phrasings: Vectors
    body: Vectors
    # phrasings + body, for the candidate search: one pass over memory instead of two
    # (the search reads every vector of every entry; at 100,000 entries that is the cost).
    combined: Vectors


@dataclass
class _Index:
    """In-memory views of the database, rebuilt when the knowledge base changes."""

    version: str
    entries: int
    doc_freq: dict[str, int]
    vocabulary: list[str]
    semantic: _ModelVectors | None
    rerank: _ModelVectors | None
    entry_terms: dict[str, _EntryTerms] = field(default_factory=dict)


@dataclass(frozen=True)
class _EntryTerms:
    """What the lexical features need of one entry, kept in memory once read."""

    all_terms: frozenset[str]
    phrasing_terms: frozenset[str]
    phrasings: tuple[str, ...]  # the content words of the title and of each question


class KnowledgeBase:
    """Store, search and answer from the curated entries."""

    def __init__(
        self,
        store: Store,
        threshold: float = 0.5,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        default_lang: str = "nl",
        reranker: Embedder | None = None,
    ) -> None:
        if reranker is not None and embedder is None:
            raise ValueError("a reranker needs the semantic layer's embedder")
        self.store = store
        self.threshold = threshold
        self.embedder = embedder
        self.reranker = reranker
        self._layers = (embedder is not None, reranker is not None)
        # The weights for all configured layers; see _active_weights for a layer without vectors.
        self.weights = weights or SHIPPED_WEIGHTS[self._layers]
        self.default_lang = default_lang
        self._index: _Index | None = None
        self._index_lock = threading.Lock()
        # Called (it must not block) when the index loads and some entries lack vectors of a
        # configured model, e.g. after an import by a process with fewer models.
        self.on_missing_vectors: Callable[[], object] | None = None
        self._lease = Lease(store, _LEASE, LEASE_SECONDS)  # one process at a time embeds
        self._stopping = threading.Event()

    # -- content -------------------------------------------------------------------------

    def import_entries(
        self,
        entries: Sequence[Entry],
        replace: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Add or update ``entries`` in one transaction; with ``replace``, drop all others.

        The entries are embedded first (the slow part), IMPORT_BATCH at a time; after each
        batch ``progress``, when given, is called with how many entries it held. A text that
        already has a vector of a model (an unchanged entry imported again, or the same text
        in another entry) is not embedded again: vectors are found by a hash of their text.
        """
        models = self._models()
        vectors: list[dict[str, object]] = []
        made: dict[str, dict[str, bytes]] = {m.name: {} for m in models}
        # The models embed side by side, one thread each: on two cores, two models that use
        # one core each keep both busy (docs/benchmarks.md).
        with ThreadPoolExecutor(max(1, len(models)), thread_name_prefix="embed") as pool:
            for batch in _chunks(entries, IMPORT_BATCH):
                plans = [self._plan(m, batch, made[m.name]) for m in models]
                for plan, job in [(p, pool.submit(_embed_plan, p)) for p in plans]:
                    made[plan.model.name].update(job.result())
                    vectors.extend(plan.rows(made[plan.model.name]))
                if progress is not None:
                    progress(len(batch))
        with self.store.transaction() as db:
            if replace:
                for table in ("entries", "entry_search", "entry_vectors"):
                    db.execute(f"delete from {table}")
            else:
                ids = [e.id for e in entries]
                for table, key in (("entry_search", "entry_id"), ("entry_vectors", "entry_id")):
                    for chunk in _chunks(ids, 500):
                        marks = ",".join("?" * len(chunk))
                        db.execute(f"delete from {table} where {key} in ({marks})", chunk)
            db.table("entries").insert_all(
                (_entry_row(e) for e in entries), pk="id", replace=True, batch_size=500
            )
            db.table("entry_search").insert_all(
                (_search_row(e) for e in entries), pk="entry_id", batch_size=500
            )
            db.table("entry_vectors").insert_all(vectors, batch_size=500)
            _bump_version(db)
        return len(entries)

    def embed_missing(self, batch: int = 500, wait: bool = False) -> int:
        """Give every entry the vectors of the configured models that it lacks; return how
        many entries were embedded.

        Entries imported while a model was off or missing lack its vectors, and the model's
        layer stays out of the answers until they all have them. Safe to run beside answering
        and importing (e.g. in a background thread): each batch is its own transaction, an
        entry changed meanwhile is embedded again, and the answers take up the model once its
        last batch is in. One process at a time embeds (a lease in the database): when another
        holds it, this returns 0, or with ``wait`` checks every LEASE_CHECK_SECONDS until the
        work is done or the lease is free (a process that died leaves it for LEASE_SECONDS).
        """
        embedded, told = 0, False
        while not self._stopping.is_set():
            missing_by_model = [(m, self._missing_vectors(m)) for m in self._models()]
            if not any(missing for _, missing in missing_by_model):
                break
            if not self._lease.renew():
                if not told:
                    log.info(
                        "another process holds the embedding lease until %s (one that died "
                        "holds it until then): %s",
                        self._lease.expiry(),
                        "waiting for it" if wait else "leaving it the work",
                    )
                    told = True
                if wait and not self._stopping.wait(LEASE_CHECK_SECONDS):
                    continue
                break
            try:
                done = self._embed(missing_by_model, batch)
            finally:
                self._lease.give_back()
            if not done:
                break
            embedded += done  # and once more for entries imported or changed meanwhile
        return embedded

    def stop_embedding(self) -> None:
        """Stop embedding after the batch at work, and give the lease back to other processes
        at once if this instance holds it (call before closing the store; a process that
        never embedded writes nothing)."""
        self._stopping.set()
        if self._lease.held:
            log.info("embedding stopped; the entries left are embedded at the next start")
        self._lease.close()

    def _embed(self, missing_by_model: list[tuple[Embedder, list[str]]], batch: int) -> int:
        embedded: set[str] = set()
        for model, missing in missing_by_model:
            if not missing:
                continue
            log.info("embedding %d entries that lack vectors of %s", len(missing), model.name)
            for chunk in _chunks(missing, batch):
                if not self._lease.renew():  # stopping, or held up so long another took over
                    if not self._stopping.is_set():
                        log.warning("embedding handed over to another process")
                    return len(embedded)
                entries = self._entries(chunk)
                plan = self._plan(model, entries, {})
                rows = plan.rows(_embed_plan(plan))
                with self.store.transaction() as db:
                    # Only entries as they were embedded: one that an import changed or removed
                    # meanwhile has the import's vectors, or none and waits for the next round.
                    current = {e.id: e for e in self._entries(chunk)}
                    kept = {e.id for e in entries if current.get(e.id) == e}
                    db.table("entry_vectors").insert_all(
                        [r for r in rows if r["entry_id"] in kept], ignore=True
                    )
                embedded.update(kept)
            with self.store.transaction() as db:
                _bump_version(db)  # the answers take the model up from here
            if not self._missing_vectors(model):  # else an import added some meanwhile
                log.info("every entry now has vectors of %s: the answers use it", model.name)
        return len(embedded)

    def _plan(
        self, model: Embedder, entries: Sequence[Entry], made: dict[str, bytes]
    ) -> _EmbeddingPlan:
        """What ``model`` must embed of ``entries``: the texts neither in the database (by
        hash) nor in ``made`` (embedded earlier in the same import)."""
        wanted, texts = [], {}
        for entry in entries:
            for kind, text in _embedded_texts(model, entry).items():
                text_hash = _text_hash(model, kind, text)
                wanted.append((entry.id, kind, text_hash))
                texts[text_hash] = (kind, text)
        known: dict[str, bytes] = {}
        fresh = [h for h in texts if h not in made]
        for chunk in _chunks(fresh, 500):
            marks = ",".join("?" * len(chunk))
            known.update(
                self.store.db.execute(
                    "select text_hash, vector from entry_vectors "
                    f"where model = ? and text_hash in ({marks})",
                    [model.name, *chunk],
                ).fetchall()
            )
        missing: dict[str, dict[str, str]] = {}
        for text_hash in fresh:
            if text_hash not in known:
                kind, text = texts[text_hash]
                missing.setdefault(kind, {})[text_hash] = text
        return _EmbeddingPlan(model, wanted, known, missing)

    def _missing_vectors(self, model: Embedder) -> list[str]:
        """The ids of the entries that have no vectors of ``model``."""
        return [
            row[0]
            for row in self.store.db.execute(
                "select id from entries where id not in "
                "(select entry_id from entry_vectors where model = ? and kind = 'body') "
                "order by id",
                [model.name],
            )
        ]

    def entries(self) -> list[Entry]:
        """Every entry, ordered by id."""
        return [_row_entry(r) for r in self.store.db["entries"].rows_where(order_by="id")]

    def get(self, entry_id: str) -> Entry:
        """The entry with ``entry_id``; raise NotFound."""
        rows = list(self.store.db["entries"].rows_where("id = ?", [entry_id], limit=1))
        if not rows:
            raise NotFound(f"no knowledge-base entry with id {entry_id!r}")
        return _row_entry(rows[0])

    def count(self) -> int:
        """How many entries there are."""
        return int(self.store.db.execute("select count(*) from entries").fetchone()[0])

    # -- search --------------------------------------------------------------------------

    def search(self, question: str, limit: int = 3) -> list[Hit]:
        """The ``limit`` best entries for ``question``, best first, each with a confidence."""
        ranked = self._rank(_clean(question))
        return self._hits(ranked[:limit])

    def answer(self, question: str) -> Answer:
        """Answer ``question``, or abstain with up to 3 suggestions when unsure."""
        return self._answer(_clean(question))

    def answer_many(self, questions: Sequence[str]) -> list[Answer | InvalidInput]:
        """Answer each of ``questions`` as :meth:`answer` does, with the same answers and
        scores, for less: the second model (e5) embeds them in one call, ~1.5 ms less a
        question than one at a time (docs/benchmarks.md). An empty question gets its
        InvalidInput in its place.

        USE still embeds each question alone: its vectors of a batch differ from those made
        one at a time in the 7th decimal (numpy takes another path for a single row), which
        could move a score; e5's are the same to the bit.
        """
        texts: list[str | InvalidInput] = []
        for question in questions:
            try:
                texts.append(_clean(question))
            except InvalidInput as error:
                texts.append(error)
        distinct = list(dict.fromkeys(t for t in texts if isinstance(t, str)))
        reranked: dict[str, Vectors] = {}
        if self.reranker is not None and distinct and self._current_index().rerank is not None:
            reranked = dict(zip(distinct, self.reranker.queries(distinct), strict=True))
        return [
            t if isinstance(t, InvalidInput) else self._answer(t, reranked.get(t)) for t in texts
        ]

    def _answer(self, text: str, rerank_vector: Vectors | None = None) -> Answer:
        lang = detect_language(text, self.default_lang)
        ranked = self._rank(text, rerank_vector)
        hits = self._hits(ranked[:4])
        if not hits:
            return Answer(text, lang, False, 0.0, None, [])
        best = hits[0]
        if best.score >= self.threshold:
            return Answer(text, lang, True, best.score, best, _suggestions(hits[1:], 2))
        if max(h.score for h in hits) < UNRELATED_QUESTION:
            # Unrelated to every entry: "did you mean" would only offer chance matches.
            return Answer(text, lang, False, best.score, best, [])
        return Answer(text, lang, False, best.score, best, _suggestions(hits, 3))

    def _hits(self, chosen: list[_Candidate]) -> list[Hit]:
        if not chosen:
            return []
        entries = {e.id: e for e in self._entries([c.entry_id for c in chosen])}
        # An entry removed by an import while this question was being ranked is left out.
        return [Hit(entries[c.entry_id], c.confidence) for c in chosen if c.entry_id in entries]

    def _active_weights(self, index: _Index) -> Weights:
        """``self.weights`` while every configured model has vectors for every entry.

        A model's layer is left out while some entries lack its vectors (a knowledge base
        imported while the model was off, until ``embed_missing`` has run); the answers then
        use the shipped weights of the layers that remain, which were fitted without it.
        """
        layers = (index.semantic is not None, index.rerank is not None)
        return self.weights if layers == self._layers else SHIPPED_WEIGHTS[layers]

    def explain(self, question: str, limit: int = 10) -> list[dict[str, float | str]]:
        """The top candidates with their features and confidence, for tuning and debugging."""
        return [
            {
                "id": c.entry_id,
                **c.features(),
                "logit": c.logit,
                "evidence": c.evidence,
                "lead": c.lead,
                "score": c.confidence,
            }
            for c in self._rank(_clean(question))[:limit]
        ]

    def _rank(self, question: str, rerank_vector: Vectors | None = None) -> list[_Candidate]:
        """The candidates for ``question``, best first; ``rerank_vector``: the second model's
        vector of it, when made already (see answer_many)."""
        index = self._current_index()
        concepts = self._concepts(question, index)
        candidates = self._lexical_candidates(concepts, index)
        if self.embedder is not None and index.semantic is not None:
            self._add_semantic(candidates, self.embedder, question, index.semantic)
        if not candidates:
            return []
        if self.reranker is not None and index.rerank is not None:
            self._add_rerank(candidates, self.reranker, question, index.rerank, rerank_vector)
        self._score_lexical(candidates, concepts, question, index)
        for c in candidates.values():
            c.lexical_rank = _reciprocal_rank(c.lexical_position)
            c.semantic_rank = _reciprocal_rank(c.semantic_position)
        coverage_gap = _gaps({k: c.coverage for k, c in candidates.items()})
        semantic_gap = _gaps(
            {k: c.semantic_phrasings + c.semantic_body for k, c in candidates.items()}
        )
        w = self._active_weights(index)
        for c in candidates.values():
            c.coverage_gap = coverage_gap[c.entry_id]
            c.semantic_gap = semantic_gap[c.entry_id] / 2
            terms = {name: getattr(w, name) * value for name, value in c.features().items()}
            c.evidence = w.bias + sum(v for k, v in terms.items() if k not in w.RANK_FEATURES)
            c.logit = c.evidence + sum(terms[k] for k in w.RANK_FEATURES)
        ranked = sorted(candidates.values(), key=lambda c: (-c.logit, c.entry_id))
        lead = _gaps({c.entry_id: c.evidence for c in ranked})
        semantic = self.embedder is not None and index.semantic is not None
        rerank = self.reranker is not None and index.rerank is not None
        for c in ranked:
            c.lead = lead[c.entry_id]
            c.confidence = round(
                _sigmoid(
                    w.calibration_bias
                    + w.calibration_logit * c.evidence
                    + w.calibration_lead * c.lead
                ),
                4,
            )
            if (
                semantic
                and c.semantic_phrasings == c.semantic_body == 0
                and not (rerank and (c.rerank_phrasings or c.rerank_body))
            ):
                c.confidence = min(c.confidence, UNRELATED_CONFIDENCE)
            if len(concepts) == 1 and c.lead <= 0:
                c.confidence = min(c.confidence, AMBIGUOUS_KEYWORD_CONFIDENCE)
        return ranked

    # -- pieces of the ranking -----------------------------------------------------------

    def _concepts(self, question: str, index: _Index) -> list[_Concept]:
        """One concept per content word of the question: its index terms and their weight.

        Typos and compounds are fixed against the index vocabulary. A word the index does not
        know at all keeps no terms: it still counts against coverage.
        """
        concepts: dict[tuple[str, ...], _Concept] = {}
        for word in content_words(question)[:64]:
            known = tuple(s for s in stems(word) if s in index.doc_freq) or self._correct(
                word, index
            )
            synonyms = sorted(
                s for s in synonym_stems(word) if s in index.doc_freq and s not in known
            )
            key = (*known, *synonyms)
            if key not in concepts:
                concepts[key] = _Concept(
                    frozenset(known), frozenset(synonyms), _idf([*known, *synonyms], index)
                )
        return list(concepts.values())

    def _correct(self, word: str, index: _Index) -> tuple[str, ...]:
        if len(word) >= 8:
            for cut in range(len(word) - 4, 2, -1):
                head_terms = [s for s in stems(word[:cut]) if s in index.doc_freq]
                tail_terms = [s for s in stems(word[cut:]) if s in index.doc_freq]
                if head_terms and tail_terms:
                    return (*head_terms, *tail_terms)
        if len(word) < 5 or not index.vocabulary:
            return ()
        stem = stems(word)[0]
        matches = process.extract(
            stem,
            index.vocabulary,
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=TYPO_CUTOFF if len(word) >= 7 else TYPO_CUTOFF_SHORT,
            limit=5,
        )
        # A typo changes the length by a letter at most: "printer" is not a typo of "print".
        for term, _score, _ in matches:
            if abs(len(term) - len(stem)) <= 1:
                return (term,)
        return ()

    def _lexical_candidates(self, concepts: list[_Concept], index: _Index) -> dict[str, _Candidate]:
        terms = _query_terms(concepts, index)
        if not terms:
            return {}
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = self.store.db.execute(
            "select entry_search.entry_id, entry_search_fts.rank from entry_search_fts "
            "join entry_search on entry_search.rowid = entry_search_fts.rowid "
            "where entry_search_fts match ? order by entry_search_fts.rank limit ?",
            [match, CANDIDATES],
        ).fetchall()
        return {
            entry_id: _Candidate(entry_id, lexical_position=position)
            for position, (entry_id, _rank) in enumerate(rows)
        }

    def _add_semantic(
        self,
        candidates: dict[str, _Candidate],
        embedder: Embedder,
        question: str,
        vectors: _ModelVectors,
    ) -> None:
        """Add the semantically nearest entries; give every candidate its two similarities."""
        vector = embedder.queries([question])[0]
        combined = vectors.combined @ vector
        k = min(CANDIDATES, len(combined))
        top = np.argpartition(-combined, k - 1)[:k]
        top = top[np.argsort(-combined[top], kind="stable")]
        for position, row in enumerate(top.tolist()):
            entry_id = vectors.ids[row]
            candidates.setdefault(entry_id, _Candidate(entry_id)).semantic_position = position
        for candidate, phrasings, body in _similarities(candidates, vectors, vector, embedder):
            candidate.semantic_phrasings, candidate.semantic_body = phrasings, body

    def _add_rerank(
        self,
        candidates: dict[str, _Candidate],
        embedder: Embedder,
        question: str,
        vectors: _ModelVectors,
        vector: Vectors | None = None,
    ) -> None:
        """Give every candidate the second model's two similarities (it adds no candidates);
        ``vector``: the question's, when made already."""
        if vector is None:
            vector = embedder.queries([question])[0]
        for candidate, phrasings, body in _similarities(candidates, vectors, vector, embedder):
            candidate.rerank_phrasings, candidate.rerank_body = phrasings, body

    def _score_lexical(
        self,
        candidates: dict[str, _Candidate],
        concepts: list[_Concept],
        question: str,
        index: _Index,
    ) -> None:
        query_words = " ".join(content_words(question))
        for entry_id, terms in self._entry_terms(list(candidates), index).items():
            candidate = candidates[entry_id]
            candidate.coverage = _coverage(concepts, terms.all_terms)
            candidate.title_coverage = _coverage(concepts, terms.phrasing_terms)
            candidate.fuzzy = (
                max(
                    fuzz.token_sort_ratio(query_words, p, processor=utils.default_process)
                    for p in terms.phrasings
                )
                / 100.0
            )

    def _entry_terms(self, ids: list[str], index: _Index) -> dict[str, _EntryTerms]:
        """Each entry's index terms and phrasings, read once per knowledge-base version."""
        cache = index.entry_terms
        missing = [i for i in ids if i not in cache]
        if missing:
            if len(cache) > ENTRY_CACHE_LIMIT:
                cache.clear()
            marks = ",".join("?" * len(missing))
            rows = self.store.db.execute(
                f"select s.entry_id, {', '.join('s.' + c for c in SEARCH_COLUMNS)}, "
                f"e.title, e.questions from entry_search s join entries e on e.id = s.entry_id "
                f"where s.entry_id in ({marks})",
                missing,
            ).fetchall()
            for entry_id, titles, questions, tags, body, title, raw_questions in rows:
                cache[entry_id] = _EntryTerms(
                    all_terms=frozenset(f"{titles} {questions} {tags} {body}".split()),
                    phrasing_terms=frozenset(f"{titles} {questions}".split()),
                    phrasings=tuple(
                        " ".join(content_words(p)) for p in [title, *json.loads(raw_questions)]
                    ),
                )
        return {i: cache[i] for i in ids if i in cache}

    # -- caches --------------------------------------------------------------------------

    def _current_index(self) -> _Index:
        db = self.store.db
        row = db.execute("select value from meta where key = 'kb_version'").fetchone()
        version = row[0] if row else ""
        index = self._index
        if index is not None and index.version == version:
            return index
        with self._index_lock:
            if self._index is None or self._index.version != version:
                self._index = self._load_index(version)
            return self._index

    def _load_index(self, version: str) -> _Index:
        db = self.store.db
        db.execute(
            "create virtual table if not exists temp.entry_search_vocab "
            "using fts5vocab(main, entry_search_fts, 'row')"
        )
        doc_freq = dict(db.execute("select term, doc from temp.entry_search_vocab").fetchall())
        semantic = self._load_vectors(self.embedder)
        return _Index(
            version=version,
            entries=self.count(),
            doc_freq=doc_freq,
            vocabulary=[t for t in doc_freq if len(t) >= 4],
            semantic=semantic,
            # The second model re-scores the first one's candidates: it needs that layer.
            rerank=self._load_vectors(self.reranker) if semantic is not None else None,
        )

    def _load_vectors(self, model: Embedder | None) -> _ModelVectors | None:
        """``model``'s vectors, or None while some entry lacks them (see _active_weights)."""
        if model is None:
            return None
        missing = self._missing_vectors(model)
        if missing:
            log.warning(
                "%d entries have no vectors of %s yet: answering without it until "
                "they are embedded",
                len(missing),
                model.name,
            )
            if self.on_missing_vectors is not None:
                self.on_missing_vectors()
            return None
        by_kind: dict[str, dict[str, Vectors]] = {"phrasings": {}, "body": {}}
        for entry_id, kind, blob in self.store.db.execute(
            "select entry_id, kind, vector from entry_vectors where model = ? order by rowid",
            [model.name],
        ):
            if kind in by_kind:
                by_kind[kind][entry_id] = np.frombuffer(blob, dtype=np.float32)
        ids = sorted(by_kind["phrasings"])
        if not ids:
            return None
        phrasings = np.vstack([by_kind["phrasings"][i] for i in ids])
        body = np.vstack([by_kind["body"].get(i, by_kind["phrasings"][i]) for i in ids])
        return _ModelVectors(
            ids=ids,
            row={entry_id: row for row, entry_id in enumerate(ids)},
            phrasings=phrasings,
            body=body,
            combined=phrasings + body,
        )

    def _models(self) -> list[Embedder]:
        return [m for m in (self.embedder, self.reranker) if m is not None]

    def _entries(self, ids: list[str]) -> list[Entry]:
        marks = ",".join("?" * len(ids))
        return [_row_entry(r) for r in self.store.db["entries"].rows_where(f"id in ({marks})", ids)]


@dataclass(frozen=True)
class _EmbeddingPlan:
    """What one model must embed for some entries: the texts it has no vector of yet (by
    kind and hash), and the vector rows the entries get once they are embedded."""

    model: Embedder
    wanted: list[tuple[str, str, str]]  # (entry id, kind, text hash)
    known: dict[str, bytes]  # vectors already in the database, by text hash
    missing: dict[str, dict[str, str]]  # kind -> {text hash: text}

    def rows(self, made: dict[str, bytes]) -> list[dict[str, object]]:
        """The entry_vectors rows, from the known vectors and those ``made`` (by hash)."""
        return [
            {
                "entry_id": entry_id,
                "model": self.model.name,
                "kind": kind,
                "vector": self.known.get(text_hash) or made[text_hash],
                "text_hash": text_hash,
            }
            for entry_id, kind, text_hash in self.wanted
        ]


def _embedded_texts(model: Embedder, entry: Entry) -> dict[str, str]:
    """What ``model`` embeds of ``entry``, by kind: its phrasings (title and alternative
    questions, embedded as questions) and the start of its answer (as a passage)."""
    return {
        "phrasings": "\n".join([entry.title, *entry.questions]),
        "body": f"{entry.title}\n{entry.body[:BODY_CHARS_EMBEDDED]}",
    }


def _text_hash(model: Embedder, kind: str, text: str) -> str:
    return hashlib.blake2b(f"{model.name}\0{kind}\0{text}".encode(), digest_size=16).hexdigest()


def _embed_plan(plan: _EmbeddingPlan) -> dict[str, bytes]:
    """Embed the texts ``plan`` is missing; their vectors by text hash. Touches no database,
    so it may run in another thread."""
    made: dict[str, bytes] = {}
    for kind, texts in plan.missing.items():
        if not texts:
            continue
        encode = plan.model.queries if kind == "phrasings" else plan.model.passages
        matrix = encode(list(texts.values()))
        made.update((h, v.tobytes()) for h, v in zip(texts, matrix, strict=True))
    return made


def _suggestions(hits: list[Hit], limit: int) -> list[Hit]:
    """The first ``limit`` of ``hits`` (in ranking order) worth offering, most likely first.

    Chosen by the ranking, shown by confidence: choosing by confidence instead put a right
    entry among the suggestions less often (development set, docs/benchmarks.md)."""
    worth = [h for h in hits if h.score >= SUGGESTION_FLOOR][:limit]
    return sorted(worth, key=lambda h: -h.score)


def _similarities(
    candidates: dict[str, _Candidate], vectors: _ModelVectors, vector: Vectors, model: Embedder
) -> list[tuple[_Candidate, float, float]]:
    """Each candidate that has ``vectors``, with the rescaled similarity of ``vector`` (the
    question's) to its phrasings and to its body."""
    found = [(c, vectors.row[c.entry_id]) for c in candidates.values() if c.entry_id in vectors.row]
    if not found:
        return []
    rows = np.array([row for _, row in found])
    phrasings, body = vectors.phrasings[rows] @ vector, vectors.body[rows] @ vector
    return [
        (candidate, _rescaled(p, model), _rescaled(b, model))
        for (candidate, _), p, b in zip(found, phrasings, body, strict=True)
    ]


def _rescaled(similarity: float, model: Embedder) -> float:
    """A cosine similarity mapped to [0, 1], from the model's level for unrelated texts."""
    return max(0.0, float(similarity) - model.unrelated) / (1.0 - model.unrelated)


def _clean(question: str) -> str:
    # Lone surrogates (bytes that were not UTF-8, kept by Python's surrogateescape) become
    # U+FFFD: encoders and the embedding models accept only valid text.
    text = " ".join(_SURROGATE.sub("\ufffd", question).split())
    if not text:
        raise InvalidInput("the question is empty: type a question, e.g. 'Who may post for us?'")
    return text[:MAX_QUESTION_CHARS]


def _idf(terms: Iterable[str], index: _Index) -> float:
    """Inverse document frequency; a word the index does not know counts as the rarest."""
    df = max((index.doc_freq.get(t, 0) for t in terms), default=0)
    return math.log(1.0 + (index.entries - df + 0.5) / (df + 0.5))


def _coverage(concepts: Sequence[_Concept], terms: frozenset[str]) -> float:
    """IDF-weighted share of the question's concepts found in ``terms``.

    A concept found only through a glossary synonym earns partial credit: expansion finds
    paraphrases but also drifts in meaning.
    """
    total = sum(c.idf for c in concepts)
    if not total:
        return 0.0
    found = sum(
        c.idf * (1.0 if c.direct & terms else SYNONYM_CREDIT if c.related & terms else 0.0)
        for c in concepts
    )
    return found / total


def _query_terms(concepts: list[_Concept], index: _Index) -> list[str]:
    """The terms worth sending to FTS5: every word's terms and synonyms, rarest first, without
    terms so common they only slow the query down (they still count in coverage)."""
    terms = {t for concept in concepts for t in concept.direct | concept.related}
    by_rarity = sorted(terms, key=lambda t: (index.doc_freq.get(t, 0), t))
    common = max(COMMON_TERM_SHARE * index.entries, COMMON_TERM_MIN_DOCS)
    chosen = [t for t in by_rarity if index.doc_freq.get(t, 0) <= common][:MAX_QUERY_TERMS]
    return chosen or by_rarity[:3]


def _gaps(values: dict[str, float]) -> dict[str, float]:
    """Each value minus the best of the others: positive only for a clear leader."""
    top = sorted(values.values(), reverse=True)[:2] + [0.0, 0.0]
    return {k: v - (top[1] if v == top[0] else top[0]) for k, v in values.items()}


def _reciprocal_rank(position: int | None) -> float:
    """1 for the first place in a candidate list, 1/2 for the second, …; 0 when absent."""
    return 0.0 if position is None else 1.0 / (1.0 + position)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _entry_row(entry: Entry) -> dict[str, str]:
    return {
        "id": entry.id,
        "title": entry.title,
        "lang": entry.lang,
        "tags": json.dumps(list(entry.tags), ensure_ascii=False),
        "questions": json.dumps(list(entry.questions), ensure_ascii=False),
        "owner": entry.owner,
        "updated": entry.updated,
        "body": entry.body,
        "source": entry.source,
    }


def _search_row(entry: Entry) -> dict[str, str]:
    return {
        "entry_id": entry.id,
        "title_terms": " ".join(stem_terms(entry.title)),
        "question_terms": " ".join(stem_terms(" ".join(entry.questions))),
        "tag_terms": " ".join(stem_terms(" ".join(entry.tags))),
        "body_terms": " ".join(stem_terms(entry.body)),
    }


def _row_entry(row: dict[str, str]) -> Entry:
    return Entry(
        id=row["id"],
        title=row["title"],
        lang=row["lang"],
        body=row["body"],
        tags=tuple(json.loads(row["tags"])),
        questions=tuple(json.loads(row["questions"])),
        owner=row["owner"],
        updated=row["updated"],
        source=row["source"],
    )


def _bump_version(db: Database) -> None:
    """Mark the knowledge base changed: every process reloads its in-memory index."""
    db.table("meta").upsert({"key": "kb_version", "value": uuid.uuid4().hex}, pk="key")


def _chunks(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
