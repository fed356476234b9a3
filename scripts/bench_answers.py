"""Benchmark import time, database size, answer latency and memory on synthetic knowledge bases.

    python scripts/bench_answers.py [--sizes 1000 10000 100000] [--queries 300]
        [--fast-sizes 1000 10000] [--default-sizes 1000 10000] [--query-only-sizes 100000]
        [--seed 7] [--out FILE]

For every size a synthetic Dutch/English knowledge base is generated reproducibly from the
seed: entries assembled from a built-in social-media/company vocabulary (Zipf-sampled) plus
rarer invented tokens whose vocabulary keeps growing with the corpus (a Pitman-Yor-like
process, so the number of distinct words follows Heaps' law as in a real corpus).

Each engine runs in its own temporary folder, in this process, on the same entries and the
same questions:

* ``bm25``: the baseline, plain SQLite FTS5 BM25 over all text of an entry, an OR query of
  the lowercased question words, ``order by bm25 limit 3``;
* ``lexical``: ``KnowledgeBase(store, embedder=None)``;
* ``fast``: ``SOCIALBOT_SEMANTIC=fast``, the lexical engine and USE, only for the sizes in
  ``--fast-sizes`` (embedding every entry makes its import slow);
* ``default``: the configuration socialbot ships with, ``load_models("auto")``: USE and the
  e5 re-scoring model, only for the sizes in ``--default-sizes``. It runs after every other
  engine (it limits numpy's BLAS to one thread for the whole process), each size beside a
  second BM25 baseline run just before it, against which its ratios are computed. Its rows
  also give the CPU time of the import (all threads) and the time of a second import of the
  same, unchanged entries (which finds every vector by its text's hash). For the sizes in
  ``--query-only-sizes`` its import is skipped: the entries are imported by the lexical
  engine and every vector is a random unit vector, so only the answer path (embedding the
  question with both models, the vector search, the scoring) is measured, not the import
  and not what the vectors find.

Latency is the wall time of one ``answer()`` (or one BM25 query), warm: 20 other questions
are answered first. Progress goes to stderr; the Markdown report goes to stdout (and --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.db import Store  # noqa: E402
from bot.knowledge import Entry, KnowledgeBase  # noqa: E402
from bot.knowledge.semantic import Embedder, load_models  # noqa: E402

WARMUP_QUERIES = 20
OOV_SHARE = 0.2  # share of the measured questions that are out of vocabulary
TYPO_SHARE = 0.2  # share of the paraphrase questions that get one typo
DUTCH_SHARE = 0.6  # share of Dutch entries (the rest are English)
RARE_SHARE = 0.12  # share of content-word slots filled with a rare, invented token
ZIPF_EXPONENT = 0.8
# Pitman-Yor-like growth of the rare vocabulary: distinct tokens grow about as n ** DISCOUNT.
DISCOUNT = 0.6
CONCENTRATION = 50.0

ENGINE_BM25 = "bm25 (baseline)"
ENGINE_LEXICAL = "lexical"
ENGINE_SEMANTIC = "fast (USE)"
ENGINE_BM25_BESIDE = "bm25 (baseline, beside default)"
ENGINE_ACCURATE = "default (USE + e5)"
ENGINE_QUERY_ONLY = "default (USE + e5), random vectors"
ENGINES = (
    ENGINE_BM25,
    ENGINE_LEXICAL,
    ENGINE_SEMANTIC,
    ENGINE_BM25_BESIDE,
    ENGINE_ACCURATE,
    ENGINE_QUERY_ONLY,
)

# --- vocabulary -----------------------------------------------------------------------------
# Content words, roughly from common to rare: the Zipf sampling follows this order.

CONTENT_NL = """
bericht post plaatsen delen linkedin instagram reactie account bedrijf collega klant
website foto video logo huisstijl merk beleid nieuwsbrief campagne volgers pagina profiel
facebook tiktok youtube whatsapp teams vraag antwoord hulp communicatie marketing afdeling
team manager medewerker medewerkers klanten collega's berichten reacties advertentie budget
doelgroep bereik statistieken rapportage dashboard planning kalender contentkalender
redactie redacteur woordvoerder pers persbericht journalist interview crisis incident
klacht klachten klantenservice werknemer ambassadeur influencer partner leverancier
sollicitant vacature vacatures werving evenement webinar congres beurs lancering product
producten dienst diensten prijs korting actie winactie wedstrijd hashtag hashtags tag
vermelding link bio beschrijving tekst kop titel onderschrift ondertiteling toegankelijkheid
alttekst privacy avg toestemming portretrecht auteursrecht licentie beeldbank rechten
wachtwoord inloggen beheerder beheer rol rollen toegang goedkeuring goedkeuren controleren
publiceren inplannen verwijderen bewerken aanpassen melden rapporteren blokkeren modereren
beantwoorden doorsturen schrijfwijzer richtlijn richtlijnen socialemediabeleid gedragscode
regels protocol procedure stappenplan handleiding training cursus workshop tips advies
contact telefoon mail adres vestiging kantoor directie directeur bestuur jaarverslag
resultaten cijfers omzet groei strategie doel doelen kpi succes feedback enquete poll
verhaal stories reel reels livestream story carrousel thumbnail formaat afmeting resolutie
kwaliteit tijdstip moment dag week maand kwartaal jaar deadline weekend feestdag vakantie
zomer kerst nieuwjaar schrijven maken sturen vinden zoeken gebruiken aanvragen instellen
koppelen volgen ontvolgen liken taggen noemen vermelden opslaan downloaden uploaden
vertalen checken officieel zakelijk persoonlijk openbaar intern extern negatief positief
kritisch gevoelig vertrouwelijk snel duidelijk kort lang nieuw oud juist fout actueel
belangrijk verplicht toegestaan afbeelding beeld kleuren lettertype sjabloon advertenties
impressies klikken analyse rapport bedrijfspagina twitter slack vlog blog recruitment
intranet nieuws update aankondiging jubileum personeel stagiair vrijwilliger sponsor
sponsoring subsidie project klantcase testimonial review beoordeling sterren reputatie
imago zichtbaarheid betrokkenheid interactie algoritme tijdlijn feed tijdzone reactietijd
""".split()

CONTENT_EN = """
post share linkedin instagram comment account company colleague customer website photo
video logo brand policy newsletter campaign followers page profile facebook tiktok youtube
whatsapp teams question answer help communications marketing department team manager
employee employees customers posts comments advert budget audience reach analytics
reporting dashboard planning calendar editorial editor spokesperson press release
journalist interview crisis incident complaint complaints support staff ambassador
influencer partner supplier candidate vacancy vacancies hiring event webinar conference
fair launch product products service services price discount promotion giveaway contest
hashtag hashtags tag mention link bio description text headline title caption subtitles
accessibility alt privacy gdpr consent permission copyright licence library rights
password login admin administrator role roles access approval approve review publish
schedule delete edit adjust report block moderate reply forward tone voice style guide
guideline guidelines rules protocol procedure checklist manual training course workshop
tips advice contact phone email address office management director board annual results
figures revenue growth strategy goal goals kpi success feedback survey poll story stories
reel reels livestream carousel thumbnail format size resolution quality moment day week
month quarter year deadline weekend holiday vacation summer christmas write create send
find search request setup connect follow unfollow save download upload translate check
official business personal private public internal external negative positive critical
sensitive confidential quick clear short long new old correct wrong current important
mandatory allowed image picture colours font template ads impressions clicks statistics
twitter slack vlog blog recruitment intranet news update announcement anniversary intern
volunteer sponsor sponsorship grant project testimonial rating stars reputation image
visibility engagement interaction algorithm timeline feed timezone response
""".split()

FILLER_NL = """
de het een van voor op met in aan bij als dat die is zijn wordt kan moet mag we je onze
ook niet wel nog naar over door om te en of maar dan altijd graag eerst daarna
""".split()
FILLER_EN = """
the a an of for on with in at by as that which is are be can should may we you our also
not still to about through and or but then always first after
""".split()
QUESTION_START_NL = (
    "hoe", "wanneer", "mag ik", "kan ik", "wie", "waar", "wat is", "welke", "moet ik",
    "hoe kan ik", "wat doe ik met",
)  # fmt: skip
QUESTION_START_EN = (
    "how do i", "when", "can i", "may i", "who", "where", "what is", "which", "should i",
    "how can we", "what do i do with",
)  # fmt: skip

# Out-of-domain words for out-of-vocabulary questions (checked against the corpus at runtime).
OUT_OF_DOMAIN_NL = """
appeltaart recept kaneel fietsband plakken aquarium schildpad vulkaan sterrenstelsel
belastingaangifte hypotheek tandarts griepprik voetbaluitslag schaakopening breipatroon
moestuin tomatenplant snoeischaar caravan camping
""".split()
OUT_OF_DOMAIN_EN = """
applepie recipe cinnamon puncture aquarium tortoise volcano galaxy mortgage dentist
vaccine football scoreline chess opening knitting vegetable garden tomato pruning caravan
camping
""".split()

_CONSONANTS = "bdfghklmnprstvwz"
_VOWELS_NL = ("a", "e", "i", "o", "u", "aa", "ee", "oo", "ij", "oe", "ui")
_VOWELS_EN = ("a", "e", "i", "o", "u", "ea", "ou", "ai", "ee", "oo")
_TOKEN = re.compile(r"\w+")


# --- synthetic corpus -----------------------------------------------------------------------


class ZipfVocabulary:
    """Samples built-in words with Zipf weights and invents rare tokens as the corpus grows."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng = rng
        self.lang = lang
        words = CONTENT_NL if lang == "nl" else CONTENT_EN
        self.common = list(dict.fromkeys(words))
        ranks = range(1, len(self.common) + 1)
        self._cum = list(accumulate(1.0 / r**ZIPF_EXPONENT for r in ranks))
        self.filler = FILLER_NL if lang == "nl" else FILLER_EN
        self.starts = QUESTION_START_NL if lang == "nl" else QUESTION_START_EN
        self._vowels = _VOWELS_NL if lang == "nl" else _VOWELS_EN
        self.rare: list[str] = []
        self._rare_seen: set[str] = set(self.common)
        self._urn: list[int] = []  # one index into self.rare per rare-token occurrence

    def common_word(self) -> str:
        """One built-in word, Zipf-distributed by its position in the list."""
        return self.rng.choices(self.common, cum_weights=self._cum)[0]

    def rare_word(self) -> str:
        """A rare token: a new one with a probability that shrinks as the corpus grows."""
        n, k = len(self._urn), len(self.rare)
        if not self.rare or self.rng.random() < (CONCENTRATION + DISCOUNT * k) / (
            CONCENTRATION + n
        ):
            self.rare.append(self._invent())
            index = len(self.rare) - 1
        else:
            index = self._urn[self.rng.randrange(n)]
        self._urn.append(index)
        return self.rare[index]

    def content_word(self) -> str:
        """A content word: mostly built-in, sometimes rare."""
        return self.rare_word() if self.rng.random() < RARE_SHARE else self.common_word()

    def _invent(self) -> str:
        """A new pseudo-word of 2-4 syllables (never containing q, x or y)."""
        for attempt in range(100):
            syllables = self.rng.randint(2, 4)
            word = "".join(
                self.rng.choice(_CONSONANTS) + self.rng.choice(self._vowels)
                for _ in range(syllables)
            )
            if self.rng.random() < 0.4:
                word += self.rng.choice("nrstlk")
            if attempt > 50:
                word += str(attempt)
            if word not in self._rare_seen:
                self._rare_seen.add(word)
                return word
        raise RuntimeError("could not invent a new token")  # pragma: no cover - bounded loop


@dataclass(frozen=True)
class Question:
    """One benchmark question; ``source`` is the entry it paraphrases ('' when out of scope)."""

    text: str
    source: str
    typo: bool = False


def build_entries(size: int, seed: int) -> tuple[list[Entry], dict[str, list[str]]]:
    """``size`` reproducible synthetic entries, and each entry's key words by id."""
    rng = random.Random(f"{seed}:{size}:entries")
    vocab = {lang: ZipfVocabulary(rng, lang) for lang in ("nl", "en")}
    entries: list[Entry] = []
    keys: dict[str, list[str]] = {}
    for i in range(size):
        lang = "nl" if rng.random() < DUTCH_SHARE else "en"
        v = vocab[lang]
        topic = list(dict.fromkeys([v.common_word(), v.common_word(), v.rare_word()]))
        if rng.random() < 0.5:
            topic.append(v.rare_word())
        entry_id = f"entry-{i:06d}"
        entries.append(
            Entry(
                id=entry_id,
                title=_question(v, topic, rng),
                lang=lang,
                body=_body(v, topic, rng),
                tags=tuple(dict.fromkeys(_tags(v, topic, rng))),
                questions=(_question(v, topic, rng), _question(v, topic, rng)),
                owner="communicatie@example.com",
                updated="2026-01-01",
            )
        )
        keys[entry_id] = topic
    return entries, keys


def _question(v: ZipfVocabulary, topic: list[str], rng: random.Random) -> str:
    """A question of 6-12 words mentioning most of the entry's topic words."""
    length = rng.randint(6, 12)
    start = rng.choice(v.starts).split()
    wanted = [w for w in topic if rng.random() < 0.85] or topic[:1]
    rest: list[str] = []
    while len(start) + len(wanted) + len(rest) < length:
        rest.append(rng.choice(v.filler) if rng.random() < 0.4 else v.content_word())
    middle = wanted + rest
    rng.shuffle(middle)
    words = (start + middle)[:length]
    return " ".join(words).capitalize() + "?"


def _body(v: ZipfVocabulary, topic: list[str], rng: random.Random) -> str:
    """An answer of 60-150 words in sentences, with the topic words recurring."""
    target = rng.randint(60, 150)
    sentences: list[str] = []
    count = 0
    while count < target:
        length = min(rng.randint(8, 16), target - count)
        words: list[str] = []
        for _ in range(length):
            roll = rng.random()
            if roll < 0.4:
                words.append(rng.choice(v.filler))
            elif roll < 0.48:
                words.append(rng.choice(topic))
            else:
                words.append(v.content_word())
        sentences.append(" ".join(words).capitalize() + ".")
        count += length
    return " ".join(sentences)


def _tags(v: ZipfVocabulary, topic: list[str], rng: random.Random) -> list[str]:
    """2-4 tags: the first topic word and common words."""
    tags = [topic[0]]
    while len(tags) < rng.randint(2, 4):
        tags.append(v.common_word())
    return tags


def corpus_words(entries: Sequence[Entry]) -> set[str]:
    """The distinct lowercased words of all entries."""
    return {w for e in entries for w in _TOKEN.findall(_all_text(e).lower())}


def build_questions(
    entries: Sequence[Entry],
    keys: dict[str, list[str]],
    known: set[str],
    count: int,
    seed: int,
) -> list[Question]:
    """``count`` questions: paraphrases of random entries (some with a typo) and OOV ones.

    ``known`` is the corpus vocabulary: out-of-vocabulary questions avoid all of it.
    """
    rng = random.Random(f"{seed}:{len(entries)}:questions")
    oov = {
        lang: [w for w in words if w not in known]
        for lang, words in (("nl", OUT_OF_DOMAIN_NL), ("en", OUT_OF_DOMAIN_EN))
    }
    questions: list[Question] = []
    for _ in range(count):
        if rng.random() < OOV_SHARE:
            questions.append(_oov_question(rng, oov, known))
        else:
            entry = entries[rng.randrange(len(entries))]
            questions.append(_paraphrase(entry, keys[entry.id], rng))
    return questions


def _all_text(entry: Entry) -> str:
    return " ".join([entry.title, *entry.questions, *entry.tags, entry.body])


def _paraphrase(entry: Entry, topic: list[str], rng: random.Random) -> Question:
    """Words of the entry's title and one alternative question: shuffled, some dropped."""
    starts = QUESTION_START_NL if entry.lang == "nl" else QUESTION_START_EN
    filler = {*(FILLER_NL if entry.lang == "nl" else FILLER_EN), *" ".join(starts).split()}
    source = f"{entry.title} {rng.choice(entry.questions)}".lower()
    pool = list(dict.fromkeys(w for w in _TOKEN.findall(source) if w not in filler))
    pool = list(dict.fromkeys([*pool, *topic]))
    rng.shuffle(pool)
    kept = [w for w in pool if rng.random() >= 0.35][:8]
    if len(kept) < 2:
        kept = pool[:2]
    typo = rng.random() < TYPO_SHARE
    if typo:
        long_words = [i for i, w in enumerate(kept) if len(w) >= 5]
        if long_words:
            i = rng.choice(long_words)
            kept[i] = _typo(kept[i], rng)
        else:
            typo = False
    prefix = [rng.choice(starts)] if rng.random() < 0.5 else []
    return Question(" ".join([*prefix, *kept]) + "?", entry.id, typo)


def _typo(word: str, rng: random.Random) -> str:
    """``word`` with one edit (swap, deletion, insertion or substitution), not on letter one."""
    for _ in range(10):
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("swap", "delete", "insert", "substitute"))
        letter = rng.choice("abcdefghijklmnoprstuvwz")
        if kind == "swap":
            new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "delete":
            new = word[:i] + word[i + 1 :]
        elif kind == "insert":
            new = word[:i] + letter + word[i:]
        else:
            new = word[:i] + letter + word[i + 1 :]
        if new != word:
            return new
    return word[:-1]


def _oov_question(rng: random.Random, oov: dict[str, list[str]], known: set[str]) -> Question:
    """A question whose content words the corpus does not contain."""
    lang = "nl" if rng.random() < DUTCH_SHARE else "en"
    words = rng.sample(oov[lang], k=min(2, len(oov[lang])))
    for _ in range(100):
        invented = "".join(
            rng.choice("bdfgklmnprstvwz") + rng.choice("aeiou") for _ in range(rng.randint(2, 3))
        )
        invented = rng.choice("qxy") + invented
        if invented not in known:
            words.append(invented)
            break
    rng.shuffle(words)
    starts = QUESTION_START_NL if lang == "nl" else QUESTION_START_EN
    return Question(f"{rng.choice(starts)} {' '.join(words)}?", "")


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Row:
    """The measurements of one engine on one size."""

    size: int
    engine: str
    entries: int
    import_s: float
    db_mb: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    rss_mb: float
    extra_import_s: float | None = None
    import_cpu_s: float | None = None
    reimport_s: float | None = None
    first_query_ms: float = 0.0
    top1_paraphrase: float = float("nan")
    answered: float = float("nan")
    p50_ratio: float = float("nan")
    p99_ratio: float = float("nan")


@dataclass
class Timings:
    """Latencies of the measured questions, and what came back for each."""

    first_ms: float
    latencies_ms: list[float]
    tops: list[str | None]
    answered: list[bool]


_T0 = time.perf_counter()


def log(message: str) -> None:
    """Progress line on stderr, with the seconds since start."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (a high-water mark), in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def db_mb(path: Path) -> float:
    """Size of the database file plus its write-ahead log, in MB."""
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_queries(
    ask: Callable[[str], tuple[str | None, bool]],
    warmup: Sequence[Question],
    questions: Sequence[Question],
    label: str,
) -> Timings:
    """Answer the warm-up questions, then time every measured question one by one."""
    start = time.perf_counter()
    ask(warmup[0].text)
    first_ms = (time.perf_counter() - start) * 1000
    for q in warmup[1:]:
        ask(q.text)
    latencies: list[float] = []
    tops: list[str | None] = []
    answered: list[bool] = []
    step = max(1, len(questions) // 4)
    for n, q in enumerate(questions, start=1):
        start = time.perf_counter()
        top, ok = ask(q.text)
        latencies.append((time.perf_counter() - start) * 1000)
        tops.append(top)
        answered.append(ok)
        if n % step == 0 and n < len(questions):
            log(f"  {label}: {n}/{len(questions)} questions")
    return Timings(first_ms, latencies, tops, answered)


def make_row(
    size: int,
    engine: str,
    entries: int,
    import_s: float,
    size_mb: float,
    timings: Timings,
    questions: Sequence[Question],
) -> Row:
    """Summarise one engine's timings (ratios against BM25 are filled in later)."""
    lat = timings.latencies_ms
    in_scope = [(q, t) for q, t in zip(questions, timings.tops, strict=True) if q.source]
    return Row(
        size=size,
        engine=engine,
        entries=entries,
        import_s=import_s,
        db_mb=size_mb,
        p50_ms=statistics.median(lat),
        p90_ms=percentile(lat, 90),
        p99_ms=percentile(lat, 99),
        rss_mb=peak_rss_mb(),
        first_query_ms=timings.first_ms,
        top1_paraphrase=(
            sum(t == q.source for q, t in in_scope) / len(in_scope) if in_scope else float("nan")
        ),
        answered=sum(timings.answered) / len(timings.answered),
    )


def run_bm25(
    folder: Path,
    entries: Sequence[Entry],
    warmup: Sequence[Question],
    questions: Sequence[Question],
) -> Row:
    """The baseline: one FTS5 table with all text, OR query of the lowercased words, BM25."""
    path = folder / "bm25.sqlite"
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        start = time.perf_counter()
        with db:
            db.execute("create virtual table docs using fts5(id unindexed, text)")
            db.executemany(
                "insert into docs values (?, ?)", ((e.id, _all_text(e)) for e in entries)
            )
        import_s = time.perf_counter() - start
        size_mb = db_mb(path)
        log(f"  bm25: imported in {import_s:.2f} s, {size_mb:.1f} MB")

        def ask(text: str) -> tuple[str | None, bool]:
            terms = list(dict.fromkeys(_TOKEN.findall(text.lower())))
            if not terms:
                return None, False
            query = " OR ".join(f'"{t}"' for t in terms)
            rows = db.execute(
                "select id, text from docs where docs match ? order by bm25(docs) limit 3",
                [query],
            ).fetchall()
            return (rows[0][0] if rows else None), bool(rows)

        timings = time_queries(ask, warmup, questions, "bm25")
    finally:
        db.close()
    return make_row(len(entries), ENGINE_BM25, len(entries), import_s, size_mb, timings, questions)


def run_engine(
    folder: Path,
    entries: Sequence[Entry],
    warmup: Sequence[Question],
    questions: Sequence[Question],
    embedder: Embedder | None,
    reranker: Embedder | None = None,
    query_only: bool = False,
) -> Row:
    """The socialbot engine: lexical (``embedder=None``), fast (USE alone) or the default
    configuration (with a ``reranker``); with ``query_only``, random vectors (see above)."""
    engine = (
        (ENGINE_QUERY_ONLY if query_only else ENGINE_ACCURATE)
        if reranker
        else ENGINE_SEMANTIC
        if embedder is not None
        else ENGINE_LEXICAL
    )
    path = folder / "kb.sqlite"
    store = Store(path)
    cpu_s = reimport_s = None
    try:
        kb = KnowledgeBase(store, embedder=embedder, reranker=reranker)
        if embedder is not None and not query_only:
            log(f"  {engine}: embedding {2 * len(entries)} texts per model (the slow part)")
        start, cpu = time.perf_counter(), time.process_time()
        if query_only:
            KnowledgeBase(store).import_entries(entries)
            random_vectors(store, entries, [m for m in (embedder, reranker) if m is not None])
        else:
            progress = import_progress(engine, len(entries)) if embedder is not None else None
            kb.import_entries(entries, progress=progress)
        import_s = time.perf_counter() - start
        if embedder is not None and not query_only:
            cpu_s = time.process_time() - cpu
            start = time.perf_counter()
            kb.import_entries(entries)
            reimport_s = time.perf_counter() - start
        size_mb = db_mb(path)
        took = f" (CPU {cpu_s:.1f} s, again {reimport_s:.2f} s)" if cpu_s is not None else ""
        log(f"  {engine}: imported in {import_s:.2f} s{took}, {size_mb:.1f} MB")

        def ask(text: str) -> tuple[str | None, bool]:
            answer = kb.answer(text)
            return (answer.best.entry.id if answer.best else None), answer.answered

        timings = time_queries(ask, warmup, questions, engine)
    finally:
        store.close()
    row = make_row(len(entries), engine, len(entries), import_s, size_mb, timings, questions)
    row.import_cpu_s, row.reimport_s = cpu_s, reimport_s
    return row


def import_progress(engine: str, total: int) -> Callable[[int], None]:
    """A progress callback for ``import_entries`` that logs about every tenth of the way."""
    done, step = [0, 0], max(1, total // 10)

    def progress(count: int) -> None:
        done[0] += count
        if done[0] >= done[1] + step or done[0] == total:
            done[1] = done[0]
            log(f"  {engine}: embedded {done[0]}/{total} entries")

    return progress


def random_vectors(store: Store, entries: Sequence[Entry], models: Sequence[Embedder]) -> None:
    """Give every entry random unit vectors of each model, as if they had been embedded."""
    rng = np.random.default_rng(len(entries))
    dims = {m.name: m.queries(["dimension"]).shape[1] for m in models}
    with store.transaction() as db:
        for model in models:
            for kind in ("phrasings", "body"):
                matrix = rng.standard_normal((len(entries), dims[model.name]), dtype=np.float32)
                matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
                db.table("entry_vectors").insert_all(
                    (
                        {"entry_id": e.id, "model": model.name, "kind": kind, "vector": v.tobytes()}
                        for e, v in zip(entries, matrix, strict=True)
                    ),
                    batch_size=1000,
                )
        db.table("meta").upsert({"key": "kb_version", "value": f"random-{len(entries)}"}, pk="key")


def bench_size(
    size: int,
    args: argparse.Namespace,
    engines: Sequence[str],
    get_models: Callable[[str], tuple[Embedder, Embedder | None]],
) -> list[Row]:
    """Generate one knowledge base and measure ``engines`` on it."""
    log(f"size {size}: generating entries and questions (seed {args.seed})")
    entries, keys = build_entries(size, args.seed)
    known = corpus_words(entries)
    all_questions = build_questions(entries, keys, known, WARMUP_QUERIES + args.queries, args.seed)
    warmup, questions = all_questions[:WARMUP_QUERIES], all_questions[WARMUP_QUERIES:]
    vocabulary = len(known)
    del known
    log(
        f"size {size}: {len(entries)} entries, {vocabulary} distinct words, "
        f"{len(questions)} questions ({sum(not q.source for q in questions)} out of vocabulary, "
        f"{sum(q.typo for q in questions)} with a typo); peak RSS {peak_rss_mb():.0f} MB"
    )
    rows: list[Row] = []
    phases: dict[str, Callable[[Path], Row]] = {
        ENGINE_BM25: lambda folder: run_bm25(folder, entries, warmup, questions),
        ENGINE_LEXICAL: lambda folder: run_engine(folder, entries, warmup, questions, None),
        ENGINE_SEMANTIC: lambda folder: run_engine(
            folder, entries, warmup, questions, get_models("fast")[0]
        ),
        ENGINE_BM25_BESIDE: lambda folder: run_bm25(folder, entries, warmup, questions),
        ENGINE_ACCURATE: lambda folder: run_engine(
            folder, entries, warmup, questions, *get_models("auto")
        ),
        ENGINE_QUERY_ONLY: lambda folder: run_engine(
            folder, entries, warmup, questions, *get_models("auto"), query_only=True
        ),
    }
    for engine in engines:
        run = phases[engine]
        log(f"size {size}: {engine}")
        with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as folder:
            row = run(Path(folder))
        row.engine = engine
        gc.collect()
        log(
            f"size {size}: {engine}: p50 {row.p50_ms:.2f} ms, p99 {row.p99_ms:.2f} ms, "
            f"peak RSS {row.rss_mb:.0f} MB"
        )
        rows.append(row)
    return rows


def compare(rows: list[Row]) -> None:
    """Fill in each row's ratios to the BM25 baseline and its import time over the lexical
    engine's, both of the same size (measured in the same process)."""
    by_engine = {(r.size, r.engine): r for r in rows}
    for row in rows:
        beside = row.engine in (ENGINE_ACCURATE, ENGINE_QUERY_ONLY, ENGINE_BM25_BESIDE)
        baseline = by_engine.get((row.size, ENGINE_BM25_BESIDE if beside else ENGINE_BM25))
        if baseline is None:
            baseline = by_engine[(row.size, ENGINE_BM25)]
        lexical = by_engine[(row.size, ENGINE_LEXICAL)]
        row.p50_ratio = row.p50_ms / baseline.p50_ms if baseline.p50_ms else float("nan")
        row.p99_ratio = row.p99_ms / baseline.p99_ms if baseline.p99_ms else float("nan")
        if row.engine in (ENGINE_SEMANTIC, ENGINE_ACCURATE):
            row.extra_import_s = row.import_s - lexical.import_s


# --- report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    model = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 0
    return {
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "processor": platform.processor() or "?",
        "CPU model": model or "?",
        "nproc": str(cpus),
        "RAM": memory or "?",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }


def report(rows: Sequence[Row], args: argparse.Namespace, elapsed_s: float) -> str:
    """The Markdown report: machine, run settings, the table and notes."""
    info = machine()
    now = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    lines = [
        "## Answer benchmark (synthetic knowledge bases)",
        "",
        f"- date: {now}",
        *(f"- {key}: {value}" for key, value in info.items()),
        f"- command: `python scripts/bench_answers.py {' '.join(sys.argv[1:])}`".rstrip(),
        f"- seed {args.seed}; {args.queries} measured questions per size after "
        f"{WARMUP_QUERIES} warm-up ones; {int(OOV_SHARE * 100)}% out of vocabulary, "
        f"{int(TYPO_SHARE * 100)}% of the paraphrases with one typo; total run "
        f"{elapsed_s / 60:.1f} min",
        "",
        "| size | engine | entries | import s | DB MB | p50 ms | p90 ms | p99 ms "
        "| p50 vs BM25 | p99 vs BM25 | peak RSS MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        imported = f"{r.import_s:.2f}"
        if r.extra_import_s is not None:
            imported += f" (+{r.extra_import_s:.2f} semantic extra)"
        if r.import_cpu_s is not None:
            imported += f"; CPU {r.import_cpu_s:.1f}"
        if r.reimport_s is not None:
            imported += f"; again {r.reimport_s:.2f}"
        lines.append(
            f"| {r.size:,} | {r.engine} | {r.entries:,} | {imported} | {r.db_mb:.1f} "
            f"| {r.p50_ms:.2f} | {r.p90_ms:.2f} | {r.p99_ms:.2f} | {r.p50_ratio:.1f}x "
            f"| {r.p99_ratio:.1f}x | {r.rss_mb:.0f} |"
        )
    lines += [
        "",
        "Sanity (not a quality measure: the data are synthetic): first (cold) query, share of "
        "paraphrase questions whose top hit is their source entry, share answered. The first "
        "query loads the engine's in-memory index; the first engine to run also pays one-off "
        "process-wide loads (language identifier, glossary).",
        "",
        "| size | engine | first query ms | top-1 = source | answered |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.size:,} | {r.engine} | {r.first_query_ms:.1f} | {r.top1_paraphrase:.0%} "
            f"| {r.answered:.0%} |"
        )
    lines += [
        "",
        "Notes:",
        "- Latency: wall time of one `answer()` (BM25: one query and fetch of the top 3), "
        "in-process, warm; percentiles interpolate between ranks, so with few questions "
        "p99 is close to the maximum.",
        "- import s: wall time of `import_entries` (BM25: create and fill the FTS5 table). "
        "For the default configuration it is its whole import; `+x semantic extra` is how much "
        "longer than the lexical import it took (embedding the entries).",
        "- DB MB: the database file plus its `-wal` file right after the import.",
        "- peak RSS MB: `ru_maxrss` read after each phase. It is a process-wide high-water "
        "mark: it includes the generated corpus, earlier phases and earlier sizes, and once the "
        "semantic model is loaded every later row includes it. Only increases are informative.",
        "- Every engine runs on its own database in its own temporary folder, one after the "
        "other in this process; the semantic model is loaded once and shared across sizes.",
        "- Run on a quiet machine: the semantic layer uses two threads, so on a small machine "
        "any concurrent load shows up in its latencies.",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=300, help="measured questions per size")
    parser.add_argument(
        "--fast-sizes",
        type=int,
        nargs="*",
        default=[1000, 10000],
        help="sizes also measured with USE alone (SOCIALBOT_SEMANTIC=fast); none to skip",
    )
    parser.add_argument(
        "--default-sizes",
        type=int,
        nargs="*",
        default=[1000, 10000],
        help="sizes also measured in the default configuration (USE and e5); none to skip",
    )
    parser.add_argument(
        "--query-only-sizes",
        type=int,
        nargs="*",
        default=[],
        help="sizes measured in the default configuration on random vectors (answer path "
        "only, no embedding at import); none to skip",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    if any(s < 1 for s in args.sizes) or args.queries < 1:
        parser.error("sizes and --queries must be positive")
    for option, sizes in (
        ("--fast-sizes", args.fast_sizes),
        ("--default-sizes", args.default_sizes),
        ("--query-only-sizes", args.query_only_sizes),
    ):
        missing = sorted(set(sizes) - set(args.sizes))
        if missing:
            parser.error(f"{option} {missing} are not in --sizes")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    args = parse_args(argv)
    loaded: dict[str, tuple[Embedder, Embedder | None]] = {}

    def get_models(mode: str) -> tuple[Embedder, Embedder | None]:
        if mode not in loaded:
            log(f"loading the models for SOCIALBOT_SEMANTIC={mode}")
            embedder, reranker = load_models(mode)
            assert embedder is not None
            loaded[mode] = (embedder, reranker)
        return loaded[mode]

    start = time.perf_counter()
    rows: list[Row] = []
    for size in args.sizes:
        engines = [ENGINE_BM25, ENGINE_LEXICAL]
        engines += [ENGINE_SEMANTIC] if size in args.fast_sizes else []
        rows.extend(bench_size(size, args, engines, get_models))
    # The default configuration last: loading e5 limits numpy's BLAS to one thread for the
    # whole process, which must not touch the measurements above. A BM25 baseline runs again
    # beside it, so that its ratios compare runs minutes apart, not an hour.
    for size in args.sizes:
        late = [ENGINE_ACCURATE] if size in args.default_sizes else []
        late += [ENGINE_QUERY_ONLY] if size in args.query_only_sizes else []
        if late:
            rows.extend(bench_size(size, args, [ENGINE_BM25_BESIDE, *late], get_models))
    rows.sort(key=lambda r: (r.size, ENGINES.index(r.engine)))
    compare(rows)
    text = report(rows, args, time.perf_counter() - start)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
