"""Measure what teaching does: teach one half's in-scope questions to their entries, and
answer the other half before and after; both ways round.

    python scripts/eval_teach.py [--semantic auto] [--set dev|real ...]

The questions of a set are split in two halves (every other question). For each half, a
fresh knowledge base answers the *other* half, then is taught this half's in-scope
questions (``Teaching.teach``: each becomes an alternative phrasing of its expected entry,
re-indexed and re-embedded as in production) and answers the other half again. The table
pools both directions, so every question is answered once before and once after. Out-of-
scope questions are never taught; they measure whether teaching makes socialbot confident
where it should not be. Metrics as in scripts/eval_answers.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import SEMANTIC_MODES  # noqa: E402
from bot.db import Store  # noqa: E402
from bot.errors import BotError  # noqa: E402
from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.entry import load_paths  # noqa: E402
from bot.knowledge.semantic import load_models  # noqa: E402
from bot.teaching import Teaching  # noqa: E402
from scripts.eval_answers import SHARED, Outcome, metrics, run_engine, table  # noqa: E402
from scripts.fit_weights import accepted, load_questions  # noqa: E402

SETS = {
    "dev": (SHARED / "kb", SHARED / "questions-dev.jsonl"),
    "real": (SHARED / "kb-real", SHARED / "questions-real.jsonl"),
}
COLUMNS = ["accuracy", "hit3_in_scope", "confident_wrong", "oos_abstained"]


def halves(questions: list[dict]) -> tuple[list[dict], list[dict]]:
    """Every other question: the first, third, … and the second, fourth, …"""
    return questions[0::2], questions[1::2]


def experiment(
    kb_dir: Path, questions: list[dict], semantic: str
) -> tuple[list[Outcome], list[Outcome], int, int]:
    """Outcomes before and after teaching, pooled over both directions; how many questions
    were taught and how many could not be (e.g. small talk)."""
    entries = load_paths([kb_dir])
    embedder, reranker = load_models(semantic)
    before: list[Outcome] = []
    after: list[Outcome] = []
    taught = refused = 0
    first, second = halves(questions)
    for teach, test in ((first, second), (second, first)):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "teach.db")
            try:
                kb = KnowledgeBase(store, embedder=embedder, reranker=reranker)
                kb.import_entries(entries)
                before += run_engine(kb, test)
                teaching = Teaching(store, kb, lambda: dt.datetime.now(dt.UTC))
                for q in teach:
                    expected = accepted(q)
                    if not expected:
                        continue
                    try:
                        teaching.teach(q["expect"], "eval", lambda _: {}, phrasings=[q["q"]])
                        taught += 1
                    except BotError:
                        refused += 1
                after += run_engine(kb, test)
            finally:
                store.close()
    return before, after, taught, refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--semantic", default="auto", choices=SEMANTIC_MODES)
    parser.add_argument("--set", action="append", choices=sorted(SETS), dest="sets")
    args = parser.parse_args()
    for name in args.sets or ["dev", "real"]:
        kb_dir, path = SETS[name]
        questions = load_questions([path])
        before, after, taught, refused = experiment(kb_dir, questions, args.semantic)
        print(
            f"\n{name}: {len(questions)} questions, {len(load_paths([kb_dir]))} entries; "
            f"{taught} phrasings taught ({refused} refused), semantic {args.semantic}\n"
        )
        rows = {"before teaching": metrics(before), "after teaching": metrics(after)}
        print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
