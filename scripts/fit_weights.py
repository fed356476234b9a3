"""Fit the answer engine's two small models on a development set (numpy only).

    python scripts/fit_weights.py [--kb ../shared/eval/kb] [--questions ...] [--semantic auto]

1. Ranking: a softmax over each question's candidates (conditional logit), fitted so that
   the acceptable entries get the probability mass; out-of-scope questions have no right
   candidate and do not take part. It gives the weights of ``Weights.FEATURES``.
2. Calibration: each question's top candidate is one example, labelled 1 when it is right;
   its inputs are the evidence (the logit without the rank terms) and its lead over the
   runner-up. The result is a confidence that reads as "the chance this answer is right".
   The development set has few short queries and few everyday off-topic questions, so the
   calibration also learns from two extra sets (``--calibration-extra``): short keyword
   queries for the same knowledge base and everyday out-of-scope questions. They shape the
   slopes only: the intercept is refitted on the development questions alone, so the
   confidence keeps their mix of answerable and unanswerable questions (a prior-shift
   correction); without it, the extra out-of-scope questions would make every answer
   less likely.

Paste the printed ``Weights(...)`` into ``bot/knowledge/engine.py`` and check the effect with
``scripts/eval_answers.py`` (``--folds 2`` shows the same fit on held-out questions). Few
inputs and an L2 penalty keep the models from memorising.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import SEMANTIC_MODES  # noqa: E402
from bot.db import Store  # noqa: E402
from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.engine import Weights  # noqa: E402
from bot.knowledge.entry import load_paths  # noqa: E402
from bot.knowledge.semantic import load_models  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
DATA = ROOT / "scripts" / "data"
# Extra calibration examples for the shared development knowledge base (see above). (The
# near-domain set in scripts/data was tried as a third and left out: docs/benchmarks.md.)
CALIBRATION_EXTRA = [DATA / "keyword-questions.jsonl", DATA / "outofscope-fit.jsonl"]
ALL_CANDIDATES = 1_000_000
RANKING_L2 = 0.001
CALIBRATION_L2 = 0.01


def logistic(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Weights (bias first) of an L2-penalised logistic regression, by Newton's method."""
    design = np.hstack([np.ones((len(x), 1)), x])
    penalty = l2 * np.diag(np.r_[0.0, np.ones(design.shape[1] - 1)])
    w = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -30, 30)))
        gradient = design.T @ (p - y) / len(y) + penalty @ w
        hessian = (design * (p * (1 - p))[:, None]).T @ design / len(y) + penalty
        w -= np.linalg.solve(hessian + 1e-9 * np.eye(len(w)), gradient)
    return w


def nonnegative_ranking(groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float) -> np.ndarray:
    """:func:`softmax_ranking` with every weight ≥ 0: each feature is "more is better", so a
    negative weight only fits an accident of the development set (e.g. two overlapping
    features). Features that come out negative are dropped and the rest refitted."""
    dims = groups[0][0].shape[1]
    active = np.ones(dims, dtype=bool)
    while True:
        w = np.zeros(dims)
        w[active] = softmax_ranking([(x[:, active], y) for x, y in groups], l2)
        if (w >= 0).all():
            return w
        active &= w > 0


def softmax_ranking(groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float) -> np.ndarray:
    """Weights of an L2-penalised conditional logit: per group, P(candidate) ∝ exp(x·w).

    The loss is −log of the probability mass on a group's acceptable candidates (``y`` = 1).
    Newton steps with a backtracking line search.
    """
    groups = [(x, y) for x, y in groups if len(x) and y.any()]
    if not groups:
        raise ValueError("no question with an acceptable candidate to fit on")
    dims = groups[0][0].shape[1]

    def loss(w: np.ndarray) -> float:
        total = 0.0
        for x, y in groups:
            z = x @ w
            total += _logsumexp(z) - _logsumexp(z[y > 0])
        return total / len(groups) + 0.5 * l2 * float(w @ w)

    w = np.zeros(dims)
    for _ in range(40):
        gradient, hessian = l2 * w, l2 * np.eye(dims)
        for x, y in groups:
            z = x @ w
            p = np.exp(z - _logsumexp(z))
            q = np.where(y > 0, np.exp(z - _logsumexp(z[y > 0])), 0.0)
            mean = p @ x
            gradient = gradient + (x.T @ (p - q)) / len(groups)
            hessian = hessian + ((x * p[:, None]).T @ x - np.outer(mean, mean)) / len(groups)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(dims), gradient)
        before, size = loss(w), 1.0
        while loss(w - size * step) > before - 1e-4 * size * float(gradient @ step):
            size /= 2
            if size < 1e-6:
                return w
        w = w - size * step
    return w


def _logsumexp(z: np.ndarray) -> float:
    top = float(z.max())
    return top + float(np.log(np.exp(z - top).sum()))


def intercept(offsets: np.ndarray, y: np.ndarray) -> float:
    """The bias of a logistic regression whose other terms are fixed at ``offsets``: where the
    predicted number of positives equals the observed one (found by bisection)."""
    low, high = -50.0, 50.0
    for _ in range(100):
        middle = (low + high) / 2
        predicted = (1.0 / (1.0 + np.exp(-np.clip(middle + offsets, -30, 30)))).sum()
        low, high = (middle, high) if predicted < y.sum() else (low, middle)
    return (low + high) / 2


def load_questions(paths: Sequence[str | Path], kb: KnowledgeBase | None = None) -> list[dict]:
    """The questions in the JSONL files at ``paths``; with ``kb``, check that every entry
    they expect is in it (a set written for another knowledge base would teach nonsense)."""
    questions = []
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            questions += [json.loads(line) for line in lines if line.strip()]
    if kb is not None:
        known = {e.id for e in kb.entries()}
        unknown = sorted({i for q in questions for i in accepted(q)} - known)
        if unknown:
            raise SystemExit(
                f"{', '.join(map(str, paths))}: expects entries this knowledge base lacks "
                f"({', '.join(unknown[:5])}); pass --calibration-extra for this knowledge base"
            )
    return questions


def accepted(question: dict) -> set[str]:
    """The entry ids that answer ``question`` (empty for an out-of-scope question)."""
    return {question["expect"], *question.get("also", [])} - {None}


def fit(
    kb: KnowledgeBase,
    questions: Sequence[dict],
    calibration_extra: Sequence[dict] = (),
    l2: float = RANKING_L2,
    calibration_l2: float = CALIBRATION_L2,
) -> Weights:
    """Both models fitted on ``questions`` against the entries in ``kb``; the calibration's
    slopes also on ``calibration_extra``, its intercept on ``questions`` alone."""
    groups = []
    for q in questions:
        candidates = kb.explain(q["q"], limit=ALL_CANDIDATES)
        x = np.array([[float(c[name]) for name in Weights.FEATURES] for c in candidates])
        y = np.array([float(c["id"] in accepted(q)) for c in candidates])
        groups.append((x.reshape(len(candidates), len(Weights.FEATURES)), y))
    ranking = nonnegative_ranking(groups, l2)
    old = kb.weights
    kb.weights = replace(
        old,
        bias=0.0,
        **{n: float(v) for n, v in zip(Weights.FEATURES, ranking, strict=True)},
    )
    try:
        x, y = _top_candidates(kb, questions)
        extra_x, extra_y = _top_candidates(kb, calibration_extra)
        calibration = logistic(np.vstack([x, extra_x]), np.r_[y, extra_y], calibration_l2)
        if len(extra_y):
            calibration[0] = intercept(x @ calibration[1:], y)
        return replace(
            kb.weights,
            calibration_bias=float(calibration[0]),
            calibration_logit=float(calibration[1]),
            calibration_lead=float(calibration[2]),
        )
    finally:
        kb.weights = old


def _top_candidates(kb: KnowledgeBase, questions: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """The calibration's inputs (evidence, lead) for each question's top candidate, and
    whether that candidate is right."""
    rows, right = [], []
    for q in questions:
        top = kb.explain(q["q"], limit=1)
        if top:
            rows.append([float(top[0]["evidence"]), float(top[0]["lead"])])
            right.append(float(top[0]["id"] in accepted(q)))
    return np.array(rows).reshape(len(rows), 2), np.array(right)


def add_calibration_extra(parser: argparse.ArgumentParser) -> None:
    """The ``--calibration-extra`` option, shared with scripts/eval_answers.py."""
    parser.add_argument(
        "--calibration-extra",
        nargs="*",
        default=[str(p) for p in CALIBRATION_EXTRA],
        help="question sets that teach the calibration's slopes (default: the keyword and "
        "out-of-scope sets written for the shared knowledge base; the flag alone: none)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(SHARED / "kb"))
    parser.add_argument("--questions", default=str(SHARED / "questions-dev.jsonl"))
    parser.add_argument("--semantic", default="auto", choices=SEMANTIC_MODES)
    parser.add_argument("--l2", type=float, default=RANKING_L2)
    add_calibration_extra(parser)
    args = parser.parse_args()
    questions = load_questions([args.questions])
    with tempfile.TemporaryDirectory() as tmp:
        embedder, reranker = load_models(args.semantic)
        kb = KnowledgeBase(Store(Path(tmp) / "fit.db"), embedder=embedder, reranker=reranker)
        kb.import_entries(load_paths([args.kb]))
        fitted = fit(kb, questions, load_questions(args.calibration_extra, kb), args.l2)
        kb.store.close()
    in_scope = sum(bool(accepted(q)) for q in questions)
    print(f"{len(questions)} questions ({in_scope} in scope), semantic {kb.embedder is not None}")
    print(
        "Weights("
        + ", ".join(f"{k}={round(v, 2)}" for k, v in fitted.__dict__.items() if v != 0.0)
        + ")"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
