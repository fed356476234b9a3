"""Fit the answer engine's two small logistic models on a development set (numpy only).

    python scripts/fit_weights.py [--kb ../shared/eval/kb] [--questions ...] [--semantic auto]

1. Ranking: each of a question's top candidates is one example, labelled 1 when it is an
   acceptable entry for that question, else 0 (out-of-scope questions give only 0s).
2. Calibration: each question's top candidate is one example, labelled 1 when it is right;
   its inputs are the ranking logit and its lead over the runner-up. The result is a
   confidence that reads as "the chance this answer is right".

Paste the printed ``Weights(...)`` into ``bot/knowledge/engine.py`` and check the effect with
``scripts/eval_answers.py``. Few inputs and an L2 penalty keep the models from memorising.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Store  # noqa: E402
from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.engine import HYBRID_WEIGHTS, LEXICAL_WEIGHTS, Weights  # noqa: E402
from bot.knowledge.entry import load_paths  # noqa: E402
from bot.knowledge.semantic import load_embedder  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
RANKING_DEPTH = 10


def logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 20_000) -> np.ndarray:
    """Weights (bias first) of an L2-penalised logistic regression, by gradient descent."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        w -= 0.5 * (design.T @ (p - y) / len(y) + l2 * np.r_[0.0, w[1:]])
    return w


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(SHARED / "kb"))
    parser.add_argument("--questions", default=str(SHARED / "questions-dev.jsonl"))
    parser.add_argument("--semantic", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--l2", type=float, default=0.001)
    args = parser.parse_args()
    with open(args.questions, encoding="utf-8") as lines:
        questions = [json.loads(line) for line in lines if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Store(Path(tmp) / "fit.db"), embedder=load_embedder(args.semantic))
        kb.import_entries(load_paths([args.kb]))
        accepted = [{q["expect"], *q.get("also", [])} - {None} for q in questions]

        rows, labels = [], []
        for q, ok in zip(questions, accepted, strict=True):
            for candidate in kb.explain(q["q"], limit=RANKING_DEPTH):
                rows.append([float(candidate[name]) for name in Weights.FEATURES])
                labels.append(float(candidate["id"] in ok))
        ranking = logistic(np.array(rows), np.array(labels), args.l2)
        base = HYBRID_WEIGHTS if kb.embedder else LEXICAL_WEIGHTS
        kb.weights = replace(
            base,
            bias=float(ranking[0]),
            **{n: float(v) for n, v in zip(Weights.FEATURES, ranking[1:], strict=True)},
        )

        tops, right = [], []
        for q, ok in zip(questions, accepted, strict=True):
            top = kb.explain(q["q"], limit=1)
            if top:
                tops.append([float(top[0]["logit"]), float(top[0]["lead"])])
                right.append(float(top[0]["id"] in ok))
        calibration = logistic(np.array(tops), np.array(right), l2=0.01)
        kb.store.close()
    fitted = replace(
        kb.weights,
        calibration_bias=float(calibration[0]),
        calibration_logit=float(calibration[1]),
        calibration_lead=float(calibration[2]),
    )
    print(f"{len(rows)} ranking examples ({int(sum(labels))} positive), {len(tops)} top answers")
    print(
        "Weights("
        + ", ".join(f"{k}={round(v, 2)}" for k, v in fitted.__dict__.items() if v != 0.0)
        + ")"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
