"""Crisis detection: configured phrases as whole words, any case, any accents."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_WORDS
from bot.crisis import CrisisCheck, crisis_phrases
from bot.knowledge import KnowledgeBase

PHRASES = DEFAULT_WORDS["nl"] + DEFAULT_WORDS["en"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ons filmpje gaat VIRAAL, wat nu?", ["viraal"]),
        ("Er is een shitstorm op Twitter", ["shitstorm"]),
        ("Ons account is gehackt!!", ["gehackt"]),
        ("Een journalist   belt over de ontslagen", ["journalist belt"]),
        ("Help, the press is calling about the recall", ["press is calling"]),
        ("our post is going viral for the wrong reasons", ["going viral"]),
        ("Oproep tot boycót van onze winkels", ["boycot"]),  # accents do not matter
        ("Our page was hacked.", ["hacked"]),
    ],
)
def test_crisis_phrases_are_found(text: str, found: list[str]) -> None:
    assert crisis_phrases(text, PHRASES) == found


@pytest.mark.parametrize(
    "text",
    [
        "Hoe plan ik de contentkalender?",
        "Hoe viraliseer ik een post?",  # not the word "viraal"
        "Who handles hackathons?",  # not "hacked"
        "Wat is een crisisplan?",  # preparing is no live crisis
        "The journalist called yesterday",  # not the phrase
    ],
)
def test_ordinary_questions_are_not_a_crisis(text: str) -> None:
    assert crisis_phrases(text, PHRASES) == []


def test_the_check_brings_the_playbook_entry(kb: KnowledgeBase) -> None:
    check = CrisisCheck(["gehackt"], kb, "crisis-first-hour")
    crisis = check.check("Ons account is gehackt")
    assert crisis is not None and crisis.phrases == ("gehackt",)
    assert crisis.playbook is not None and crisis.playbook.id == "crisis-first-hour"
    assert check.check("Hoe maak ik een post?") is None


def test_a_missing_playbook_entry_still_flags_the_crisis(kb: KnowledgeBase) -> None:
    crisis = CrisisCheck(["gehackt"], kb, "no-such-entry").check("gehackt")
    assert crisis is not None and crisis.playbook is None
