"""Measure answer quality on the shared development set, with two baselines in the same run.

    python scripts/eval_answers.py [--kb ../shared/eval/kb] [--questions ...] [--semantic auto]
                                   [--folds 2] [--dump answers.jsonl] [--batch 8]

With ``--folds K`` the engine is also measured out of sample: the questions are split into K
folds (every K-th question), the weights are refitted (scripts/fit_weights.py) on all folds
but one and the held-out fold is answered with them; the table pools the held-out answers.

Accuracy: the right entry at top-1 when answered, or an abstention when no entry answers.
hit@3: the right entry among the answer and the suggestions (in-scope questions only).
Confident-wrong: answered, but with a wrong entry or for an out-of-scope question.

``--dump PATH`` writes what the engine said to each question, one JSON line each (answered,
score, best entry, suggestions with their scores): two runs that should answer alike (e.g.
before and after a speed-up, or ``--batch 8`` against one at a time) are compared with
``diff``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import SEMANTIC_MODES  # noqa: E402
from bot.db import Store  # noqa: E402
from bot.knowledge import Entry, KnowledgeBase  # noqa: E402
from bot.knowledge.entry import load_paths  # noqa: E402
from bot.knowledge.semantic import load_models  # noqa: E402
from bot.knowledge.text import words  # noqa: E402
from scripts.fit_weights import (  # noqa: E402
    accepted,
    add_calibration_extra,
    fit,
    load_questions,
)

SHARED = ROOT.parent / "shared" / "eval"


@dataclass
class Outcome:
    """What one system did with one question."""

    kind: str
    expected: set[str]
    answered: bool
    top: str | None
    top3: list[str]


def metrics(outcomes: list[Outcome]) -> dict[str, float]:
    """Accuracy, top-1 in scope, hit@3, confident-wrong rate and out-of-scope abstention."""
    in_scope = [o for o in outcomes if o.expected]
    out_scope = [o for o in outcomes if not o.expected]

    def correct(o: Outcome) -> bool:
        return (o.answered and o.top in o.expected) if o.expected else not o.answered

    def share(items: list[Outcome], test: Callable[[Outcome], bool]) -> float:
        return sum(map(test, items)) / len(items) if items else float("nan")

    return {
        "n": len(outcomes),
        "accuracy": share(outcomes, correct),
        "top1_in_scope": share(in_scope, lambda o: o.answered and o.top in o.expected),
        "hit3_in_scope": share(in_scope, lambda o: bool(o.expected & set(o.top3))),
        "confident_wrong": share(outcomes, lambda o: o.answered and o.top not in o.expected),
        "oos_abstained": share(out_scope, lambda o: not o.answered),
    }


def run_engine(
    kb: KnowledgeBase, questions: list[dict], dump: list[dict] | None = None, batch: int = 1
) -> list[Outcome]:
    """What the engine did with each question; with ``batch`` > 1 it answers that many at
    a time (``KnowledgeBase.answer_many``, as a worker does), which must not change a thing."""
    answers = []
    for start in range(0, len(questions), batch):
        texts = [q["q"] for q in questions[start : start + batch]]
        answers += kb.answer_many(texts) if batch > 1 else [kb.answer(t) for t in texts]
    outcomes = []
    for q, answer in zip(questions, answers, strict=True):
        if isinstance(answer, Exception):
            raise answer
        if dump is not None:
            dump.append(
                {
                    "q": q["q"],
                    "lang": answer.lang,
                    "answered": answer.answered,
                    "score": answer.score,
                    "best": answer.best.entry.id if answer.best else None,
                    "suggestions": [[h.entry.id, h.score] for h in answer.suggestions],
                }
            )
        top3 = ([answer.best.entry.id] if answer.best else []) + [
            h.entry.id for h in answer.suggestions
        ]
        outcomes.append(
            Outcome(
                q["kind"],
                accepted(q),
                answer.answered,
                answer.best.entry.id if answer.best else None,
                top3[:3],
            )
        )
    return outcomes


def cross_validate(
    kb: KnowledgeBase, questions: list[dict], folds: int, calibration_extra: Sequence[dict] = ()
) -> list[Outcome]:
    """Answer each fold with weights fitted on the other folds (and the extra calibration
    examples, as scripts/fit_weights.py does); outcomes in question order."""
    shipped = kb.weights
    outcomes: dict[int, Outcome] = {}
    try:
        for fold in range(folds):
            train = [q for i, q in enumerate(questions) if i % folds != fold]
            test = [i for i in range(len(questions)) if i % folds == fold]
            kb.weights = fit(kb, train, calibration_extra)
            for i, outcome in zip(test, run_engine(kb, [questions[i] for i in test]), strict=True):
                outcomes[i] = outcome
    finally:
        kb.weights = shipped
    return [outcomes[i] for i in range(len(questions))]


def best_threshold(
    scored: list[tuple[dict, list[tuple[str, float]]]],
) -> tuple[float, list[Outcome]]:
    """Pick the abstain threshold that maximises accuracy for a baseline's raw scores."""
    best: tuple[float, float, list[Outcome]] = (-1.0, 0.0, [])
    cuts = sorted({s for _, ranked in scored for _, s in ranked[:1]} | {float("inf")})
    for cut in cuts:
        outcomes = [
            Outcome(
                q["kind"],
                accepted(q),
                bool(r) and r[0][1] >= cut,
                r[0][0] if r else None,
                [i for i, _ in r[:3]],
            )
            for q, r in scored
        ]
        accuracy = metrics(outcomes)["accuracy"]
        if accuracy > best[0]:
            best = (accuracy, cut, outcomes)
    return best[1], best[2]


def bm25_baseline(entries: list[Entry], questions: list[dict]) -> list[tuple[dict, list]]:
    """Plain FTS5 BM25 over lowercased words of all fields, OR-query, no stemming."""
    db = sqlite3.connect(":memory:")
    db.execute("create virtual table docs using fts5(id unindexed, text)")
    db.executemany(
        "insert into docs values (?, ?)",
        [(e.id, " ".join([e.title, *e.questions, *e.tags, e.body])) for e in entries],
    )
    scored = []
    for q in questions:
        terms = sorted(set(words(q["q"])))
        ranked: list[tuple[str, float]] = []
        if terms:
            query = " OR ".join(f'"{t}"' for t in terms)
            ranked = [
                (i, -r)
                for i, r in db.execute(
                    "select id, bm25(docs) from docs where docs match ? "
                    "order by bm25(docs) limit 3",
                    [query],
                )
            ]
        scored.append((q, ranked))
    return scored


def fuzzy_baseline(entries: list[Entry], questions: list[dict]) -> list[tuple[dict, list]]:
    """Plain rapidfuzz token_set_ratio of the question against titles and alternative questions."""
    scored = []
    for q in questions:
        best = {
            e.id: max(
                fuzz.token_set_ratio(q["q"], p, processor=utils.default_process)
                for p in (e.title, *e.questions)
            )
            for e in entries
        }
        scored.append((q, sorted(best.items(), key=lambda kv: -kv[1])[:3]))
    return scored


def table(rows: dict[str, dict[str, float]]) -> str:
    cols = ["accuracy", "top1_in_scope", "hit3_in_scope", "confident_wrong", "oos_abstained"]
    out = ["| system | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, m in rows.items():
        out.append(f"| {name} | " + " | ".join(_fmt(m[c]) for c in cols) + " |")
    return "\n".join(out)


def _fmt(value: float) -> str:
    return "–" if value != value else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(SHARED / "kb"))
    parser.add_argument("--questions", default=str(SHARED / "questions-dev.jsonl"))
    parser.add_argument("--semantic", default="auto", choices=SEMANTIC_MODES)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--folds", type=int, default=0, help="also report K-fold CV (K ≥ 2)")
    parser.add_argument("--dump", help="write the engine's answer to each question (JSON lines)")
    parser.add_argument(
        "--batch", type=int, default=1, help="answer this many questions at a time, as a worker"
    )
    add_calibration_extra(parser)  # used by --folds
    args = parser.parse_args()

    questions = load_questions([args.questions])
    entries = load_paths([args.kb])
    with tempfile.TemporaryDirectory() as tmp:
        embedder, reranker = load_models(args.semantic)
        kb = KnowledgeBase(Store(Path(tmp) / "eval.db"), embedder=embedder, reranker=reranker)
        if args.threshold is not None:
            kb.threshold = args.threshold
        kb.import_entries(entries)
        answers: list[dict] = []
        engine = run_engine(kb, questions, answers, args.batch)
        if args.dump:
            lines = (json.dumps(a, ensure_ascii=False) + "\n" for a in answers)
            Path(args.dump).write_text("".join(lines), encoding="utf-8")
        held_out = (
            cross_validate(kb, questions, args.folds, load_questions(args.calibration_extra, kb))
            if args.folds >= 2
            else []
        )
        kb.store.close()
    bm25_cut, bm25 = best_threshold(bm25_baseline(entries, questions))
    fuzzy_cut, fuzzy = best_threshold(fuzzy_baseline(entries, questions))

    semantic = ("USE + e5" if kb.reranker else "USE alone") if kb.embedder else "off"
    rows = {
        f"socialbot (semantic {semantic}, threshold {kb.threshold})": metrics(engine),
        **(
            {f"socialbot, {args.folds}-fold CV (refitted, held-out answers)": metrics(held_out)}
            if held_out
            else {}
        ),
        f"baseline: FTS5 BM25 (best threshold {bm25_cut:.2f})": metrics(bm25),
        f"baseline: rapidfuzz token_set_ratio (best threshold {fuzzy_cut:.0f})": metrics(fuzzy),
    }
    print(f"{len(questions)} questions, {len(entries)} entries\n")
    print(table(rows))
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in engine:
        by_kind[outcome.kind].append(outcome)
    print("\nsocialbot per kind:\n")
    print(table({f"{kind} (n={len(o)})": metrics(o) for kind, o in sorted(by_kind.items())}))
    if held_out:
        by_kind = defaultdict(list)
        for outcome in held_out:
            by_kind[outcome.kind].append(outcome)
        print(f"\nsocialbot per kind, {args.folds}-fold CV:\n")
        print(table({f"{k} (n={len(o)})": metrics(o) for k, o in sorted(by_kind.items())}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
