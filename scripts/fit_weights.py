"""Fit the confidence model's weights on a development set (logistic regression, numpy).

    python scripts/fit_weights.py [--kb ../shared/eval/kb] [--questions ...] [--semantic auto]

Every candidate the engine considers for every question is one example: label 1 when it is
an acceptable entry for that question, else 0 (out-of-scope questions give only 0s). The
printed weights go into ``bot.knowledge.engine.Weights``; the result must then be checked
with ``scripts/eval_answers.py``. Few features and an L2 penalty keep it from memorising.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Store  # noqa: E402
from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.engine import Weights  # noqa: E402
from bot.knowledge.entry import load_paths  # noqa: E402
from bot.knowledge.semantic import load_embedder  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 20_000) -> np.ndarray:
    """Weights (bias first) of an L2-penalised logistic regression, by gradient descent."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (p - y) / len(y) + l2 * np.r_[0.0, w[1:]]
        w -= 0.5 * gradient
    return w


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(SHARED / "kb"))
    parser.add_argument("--questions", default=str(SHARED / "questions-dev.jsonl"))
    parser.add_argument("--semantic", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--l2", type=float, default=0.001)
    args = parser.parse_args()
    questions = [
        json.loads(line) for line in open(args.questions, encoding="utf-8") if line.strip()
    ]
    rows, labels = [], []
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Store(Path(tmp) / "fit.db"), embedder=load_embedder(args.semantic))
        kb.import_entries(load_paths([args.kb]))
        for q in questions:
            accepted = {q["expect"], *q.get("also", [])} if q["expect"] else set()
            for candidate in kb.explain(q["q"], limit=100):
                rows.append([float(candidate[name]) for name in Weights.FEATURES])
                labels.append(1.0 if candidate["id"] in accepted else 0.0)
        kb.store.close()
    w = fit(np.array(rows), np.array(labels), args.l2)
    print(f"{len(rows)} candidates, {int(sum(labels))} positive")
    print(
        f"bias={w[0]:.2f}, "
        + ", ".join(
            f"{name}={value:.2f}" for name, value in zip(Weights.FEATURES, w[1:], strict=True)
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
