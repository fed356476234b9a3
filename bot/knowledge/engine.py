"""Hybrid search over the knowledge base, with one calibrated confidence.

1. The question is folded, stripped of stop words and stemmed in Dutch and English; unknown
   words are corrected against the index vocabulary (typos) or split into known parts
   (Dutch compounds).
2. Candidates come from SQLite FTS5 (BM25 with field weights) and, when a semantic layer is
   present, from the nearest sentence vectors.
3. Each candidate gets a few features: IDF-weighted coverage of the question's words, fuzzy
   similarity to the title and alternative questions, semantic similarity. A logistic model
   turns them into a confidence in [0, 1]; the margin over the runner-up lowers it when two
   entries compete. Below the threshold the engine abstains and offers suggestions.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process, utils

from bot.db import SEARCH_COLUMNS, Store
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

MAX_QUESTION_CHARS = 2_000
CANDIDATES = 40
TYPO_CUTOFF = 80.0
TYPO_CUTOFF_SHORT = 85.0
BODY_CHARS_EMBEDDED = 600
# Entries less likely than this to be right are not worth offering as suggestions.
SUGGESTION_FLOOR = 0.05


@dataclass(frozen=True)
class Weights:
    """The two logistic models behind ranking and confidence (see scripts/fit_weights.py).

    A candidate's *logit* is ``bias + Σ weight × feature``; it ranks the candidates. Its
    confidence is ``sigmoid(calibration_bias + calibration_logit × logit + calibration_lead ×
    lead)``, where *lead* is its logit minus the best other candidate's: a clear winner is
    trusted more than one of two look-alikes.
    """

    calibration_bias: float
    calibration_logit: float
    calibration_lead: float
    bias: float
    coverage: float
    title_coverage: float
    fuzzy: float
    semantic: float = 0.0
    coverage_gap: float = 0.0
    semantic_gap: float = 0.0

    FEATURES = ("coverage", "title_coverage", "fuzzy", "semantic", "coverage_gap", "semantic_gap")


# Fitted with scripts/fit_weights.py on the development set; see docs/benchmarks.md.
LEXICAL_WEIGHTS = Weights(
    calibration_bias=-0.19, calibration_logit=0.7, calibration_lead=0.36,
    bias=-3.68, coverage=1.94, title_coverage=2.8, fuzzy=1.43, coverage_gap=4.15,
)  # fmt: skip
HYBRID_WEIGHTS = Weights(
    calibration_bias=0.05, calibration_logit=0.89, calibration_lead=0.65,
    bias=-3.04, coverage=2.05, title_coverage=1.19, fuzzy=0.45, semantic=3.0,
    coverage_gap=3.42, semantic_gap=4.28,
)  # fmt: skip


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
    entry_id: str
    bm25: float = 0.0
    coverage: float = 0.0
    title_coverage: float = 0.0
    fuzzy: float = 0.0
    semantic: float = 0.0
    coverage_gap: float = 0.0
    semantic_gap: float = 0.0
    logit: float = 0.0

    lead: float = 0.0

    def features(self) -> dict[str, float]:
        """The model's inputs for this candidate, by name."""
        return {name: getattr(self, name) for name in Weights.FEATURES}


@dataclass
class _Index:
    """In-memory views of the database, rebuilt when the knowledge base changes."""

    version: str
    entries: int
    doc_freq: dict[str, int]
    vocabulary: list[str]
    vector_owner: list[str]
    vectors: Vectors | None


class KnowledgeBase:
    """Store, search and answer from the curated entries."""

    def __init__(
        self,
        store: Store,
        threshold: float = 0.5,
        embedder: Embedder | None = None,
        weights: Weights | None = None,
        default_lang: str = "nl",
    ) -> None:
        self.store = store
        self.threshold = threshold
        self.embedder = embedder
        self.weights = weights or (HYBRID_WEIGHTS if embedder else LEXICAL_WEIGHTS)
        self.default_lang = default_lang
        self._index: _Index | None = None
        self._index_lock = threading.Lock()

    # -- content -------------------------------------------------------------------------

    def import_entries(self, entries: Sequence[Entry], replace: bool = False) -> int:
        """Add or update ``entries`` in one transaction; with ``replace``, drop all others."""
        vectors = self._embed_entries(entries)
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
            if vectors is not None and self.embedder is not None:
                db.table("entry_vectors").insert_all(
                    vectors, pk=("entry_id", "kind"), batch_size=500
                )
            db.table("meta").upsert({"key": "kb_version", "value": _new_version()}, pk="key")
        return len(entries)

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
        return self._hits(ranked[:limit], ranked)

    def answer(self, question: str) -> Answer:
        """Answer ``question``, or abstain with up to 3 suggestions when unsure."""
        text = _clean(question)
        lang = detect_language(text, self.default_lang)
        ranked = self._rank(text)
        hits = self._hits(ranked[:4], ranked)
        if not hits:
            return Answer(text, lang, False, 0.0, None, [])
        best = hits[0]
        related = [h for h in hits[1:] if h.score >= SUGGESTION_FLOOR]
        if best.score >= self.threshold:
            return Answer(text, lang, True, best.score, best, related[:2])
        near_misses = [h for h in hits if h.score >= SUGGESTION_FLOOR]
        return Answer(text, lang, False, best.score, best, near_misses[:3])

    def _hits(self, chosen: list[_Candidate], ranked: list[_Candidate]) -> list[Hit]:
        if not chosen:
            return []
        entries = {e.id: e for e in self._entries([c.entry_id for c in chosen])}
        return [Hit(entries[c.entry_id], self._confidence(c)) for c in chosen]

    def _confidence(self, candidate: _Candidate) -> float:
        w = self.weights
        return round(
            _sigmoid(
                w.calibration_bias
                + w.calibration_logit * candidate.logit
                + w.calibration_lead * candidate.lead
            ),
            4,
        )

    def explain(self, question: str, limit: int = 10) -> list[dict[str, float | str]]:
        """The top candidates with their features and confidence, for tuning and debugging."""
        return [
            {
                "id": c.entry_id,
                **c.features(),
                "logit": c.logit,
                "lead": c.lead,
                "score": self._confidence(c),
            }
            for c in self._rank(_clean(question))[:limit]
        ]

    def _rank(self, question: str) -> list[_Candidate]:
        index = self._current_index()
        concepts = self._concepts(question, index)
        candidates = self._lexical_candidates(concepts)
        question_vector = None
        if self.embedder is not None and index.vectors is not None and len(index.vector_owner):
            question_vector = self.embedder.queries([question])[0]
            self._add_semantic(candidates, question_vector, index)
        if not candidates:
            return []
        self._score_lexical(candidates, concepts, question, index)
        w = self.weights
        floor = self.embedder.unrelated if self.embedder else 0.0
        for c in candidates.values():
            c.semantic = max(0.0, c.semantic - floor) / (1.0 - floor) if c.semantic else 0.0
        coverage_gap = _gaps({k: c.coverage for k, c in candidates.items()})
        semantic_gap = _gaps({k: c.semantic for k, c in candidates.items()})
        for c in candidates.values():
            c.coverage_gap = coverage_gap[c.entry_id]
            c.semantic_gap = semantic_gap[c.entry_id]
            c.logit = w.bias + sum(getattr(w, name) * value for name, value in c.features().items())
        ranked = sorted(candidates.values(), key=lambda c: (-c.logit, c.entry_id))
        lead = _gaps({c.entry_id: c.logit for c in ranked})
        for c in ranked:
            c.lead = lead[c.entry_id]
        return ranked

    # -- pieces of the ranking -----------------------------------------------------------

    def _concepts(self, question: str, index: _Index) -> list[tuple[str, ...]]:
        """One tuple of index terms per content word of the question.

        Typos and compounds are fixed against the index vocabulary. A word the index does not
        know at all stays as an empty tuple: it still counts against coverage.
        """
        concepts: list[tuple[str, ...]] = []
        for word in content_words(question)[:64]:
            known = tuple(s for s in stems(word) if s in index.doc_freq) or self._correct(
                word, index
            )
            synonyms = sorted(s for s in synonym_stems(word) if s in index.doc_freq)
            concepts.append(tuple(dict.fromkeys([*known, *synonyms])))
        return list(dict.fromkeys(concepts))

    def _correct(self, word: str, index: _Index) -> tuple[str, ...]:
        if len(word) >= 8:
            for cut in range(len(word) - 4, 2, -1):
                head_terms = [s for s in stems(word[:cut]) if s in index.doc_freq]
                tail_terms = [s for s in stems(word[cut:]) if s in index.doc_freq]
                if head_terms and tail_terms:
                    return (*head_terms, *tail_terms)
        if len(word) < 5 or not index.vocabulary:
            return ()
        match = process.extractOne(
            stems(word)[0],
            index.vocabulary,
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=TYPO_CUTOFF if len(word) >= 7 else TYPO_CUTOFF_SHORT,
        )
        return (match[0],) if match else ()

    def _lexical_candidates(self, concepts: list[tuple[str, ...]]) -> dict[str, _Candidate]:
        terms = sorted({t for concept in concepts for t in concept})
        if not terms:
            return {}
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = self.store.db.execute(
            "select entry_search.entry_id, entry_search_fts.rank from entry_search_fts "
            "join entry_search on entry_search.rowid = entry_search_fts.rowid "
            "where entry_search_fts match ? order by entry_search_fts.rank limit ?",
            [match, CANDIDATES],
        ).fetchall()
        return {entry_id: _Candidate(entry_id, bm25=-rank) for entry_id, rank in rows}

    def _add_semantic(
        self, candidates: dict[str, _Candidate], vector: Vectors, index: _Index
    ) -> None:
        assert index.vectors is not None
        similarity = index.vectors @ vector
        best: dict[str, float] = {}
        order = np.argsort(-similarity)[: CANDIDATES * 4]
        for position in order:
            owner = index.vector_owner[int(position)]
            best.setdefault(owner, float(similarity[position]))
        for entry_id in list(best)[:CANDIDATES]:
            candidates.setdefault(entry_id, _Candidate(entry_id))
        for entry_id, candidate in candidates.items():
            if entry_id in best:
                candidate.semantic = best[entry_id]
            else:
                rows = [similarity[i] for i, o in enumerate(index.vector_owner) if o == entry_id]
                candidate.semantic = float(max(rows, default=0.0))

    def _score_lexical(
        self,
        candidates: dict[str, _Candidate],
        concepts: list[tuple[str, ...]],
        question: str,
        index: _Index,
    ) -> None:
        ids = list(candidates)
        marks = ",".join("?" * len(ids))
        rows = self.store.db.execute(
            f"select entry_id, {', '.join(SEARCH_COLUMNS)} from entry_search "
            f"where entry_id in ({marks})",
            ids,
        ).fetchall()
        rows += self.store.db.execute(
            f"select id, title, questions from entries where id in ({marks})", ids
        ).fetchall()
        idf = [_idf(concept, index) for concept in concepts]
        total = sum(idf) or 1.0
        query_words = " ".join(content_words(question))
        for row in rows:
            candidate = candidates[row[0]]
            if len(row) == 3:
                phrasings = [row[1], *json.loads(row[2])]
                candidate.fuzzy = (
                    max(
                        fuzz.token_sort_ratio(
                            query_words, " ".join(content_words(p)), processor=utils.default_process
                        )
                        for p in phrasings
                    )
                    / 100.0
                )
                continue
            all_terms = set(" ".join(row[1:]).split())
            title_terms = set(f"{row[1]} {row[2]}".split())
            candidate.coverage = (
                sum(w for concept, w in zip(concepts, idf, strict=True) if all_terms & set(concept))
                / total
            )
            candidate.title_coverage = (
                sum(
                    w
                    for concept, w in zip(concepts, idf, strict=True)
                    if title_terms & set(concept)
                )
                / total
            )

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
        owners: list[str] = []
        vectors: Vectors | None = None
        if self.embedder is not None:
            blobs = []
            for entry_id, blob in db.execute(
                "select entry_id, vector from entry_vectors where model = ? order by rowid",
                [self.embedder.name],
            ):
                owners.append(entry_id)
                blobs.append(np.frombuffer(blob, dtype=np.float32))
            vectors = np.vstack(blobs) if blobs else None
        return _Index(
            version=version,
            entries=self.count(),
            doc_freq=doc_freq,
            vocabulary=[t for t in doc_freq if len(t) >= 4],
            vector_owner=owners,
            vectors=vectors,
        )

    def _entries(self, ids: list[str]) -> list[Entry]:
        marks = ",".join("?" * len(ids))
        return [_row_entry(r) for r in self.store.db["entries"].rows_where(f"id in ({marks})", ids)]

    def _embed_entries(self, entries: Sequence[Entry]) -> list[dict[str, object]] | None:
        if self.embedder is None:
            return None
        texts: list[tuple[str, str, str]] = []
        for e in entries:
            texts.append((e.id, "phrasings", "\n".join([e.title, *e.questions])))
            texts.append((e.id, "body", f"{e.title}\n{e.body[:BODY_CHARS_EMBEDDED]}"))
        vectors = self.embedder.passages([t for _, _, t in texts]) if texts else None
        return [
            {"entry_id": eid, "kind": kind, "model": self.embedder.name, "vector": v.tobytes()}
            for (eid, kind, _), v in zip(texts, vectors if vectors is not None else [], strict=True)
        ]


def _clean(question: str) -> str:
    text = " ".join(question.split())
    if not text:
        raise InvalidInput("the question is empty: type a question, e.g. 'Who may post for us?'")
    return text[:MAX_QUESTION_CHARS]


def _idf(concept: tuple[str, ...], index: _Index) -> float:
    """Inverse document frequency; a word the index does not know counts as the rarest."""
    df = max((index.doc_freq.get(t, 0) for t in concept), default=0)
    return math.log(1.0 + (index.entries - df + 0.5) / (df + 0.5))


def _gaps(values: dict[str, float]) -> dict[str, float]:
    """Each value minus the best of the others: positive only for a clear leader."""
    top = sorted(values.values(), reverse=True)[:2] + [0.0, 0.0]
    return {k: v - (top[1] if v == top[0] else top[0]) for k, v in values.items()}


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


def _new_version() -> str:
    import uuid

    return uuid.uuid4().hex


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
