"""The weight-fitting script's calibration: extra examples shape its slopes, not the share of
answers it expects to be right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import KnowledgeBase
from scripts.fit_weights import fit, intercept, load_questions

DEVELOPMENT = [
    {"q": "Who is allowed to post for the brand?", "expect": "who-may-post"},
    {"q": "Wat doen we in het eerste uur van een crisis?", "expect": "crisis-first-hour"},
    {"q": "How do we look back on a crisis afterwards?", "expect": "crisis-review"},
    {"q": "Our brand account got hacked, what now?", "expect": "hacked-account"},
    {"q": "How does social listening work here?", "expect": "listening-process"},
    {"q": "How do I start a pilot?", "expect": "pilot-proposal"},
    {"q": "Welke opleiding geeft HR over social media?", "expect": "training-hr"},
    {"q": "Hoeveel budget heb ik nodig voor een project?", "expect": "budget-estimate"},
    {"q": "Who approves the budget for the crisis review?", "expect": None},
    {"q": "Can HR book a meeting room for the pilot?", "expect": None},
]
# Short queries that the development questions above lack, off topic and on.
EXTRA = [
    {"q": "crisis review", "expect": "crisis-review"},
    {"q": "hacked account", "expect": "hacked-account"},
    {"q": "pilot budget", "expect": None},
    {"q": "account", "expect": None},
    {"q": "brand", "expect": None},
    {"q": "process", "expect": None},
    {"q": "training", "expect": None},
    {"q": "project", "expect": None},
]


def test_the_intercept_makes_the_expected_positives_the_observed_ones() -> None:
    rng = np.random.default_rng(7)
    offsets = rng.normal(0.0, 2.0, 200)
    y = (rng.random(200) < 0.3).astype(float)
    bias = intercept(offsets, y)
    assert (1.0 / (1.0 + np.exp(-(bias + offsets)))).sum() == pytest.approx(y.sum(), abs=1e-6)


def test_extra_examples_leave_the_expected_share_of_right_answers_alone(
    kb: KnowledgeBase,
) -> None:
    kb.weights = fit(kb, DEVELOPMENT, EXTRA)
    tops = [kb.explain(q["q"], limit=1)[0] for q in DEVELOPMENT]
    right = [top["id"] == q["expect"] for top, q in zip(tops, DEVELOPMENT, strict=True)]
    mean_confidence = sum(float(top["score"]) for top in tops) / len(tops)
    assert 0 < sum(right) < len(right)  # a share to keep, not all or nothing
    assert mean_confidence == pytest.approx(sum(right) / len(right), abs=1e-3)


def test_a_question_set_for_another_knowledge_base_is_refused(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text('{"q": "x", "expect": "not-in-this-kb", "also": []}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="not-in-this-kb"):
        load_questions([other], kb)
