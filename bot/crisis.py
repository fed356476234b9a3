"""Crisis detection: does a question read like a live crisis?

The configured phrases (Dutch and English) are matched as whole words, ignoring case,
accents and punctuation. A match never escalates anything: the answer offers the crisis
playbook and a button, and a person decides.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import NotFound

if TYPE_CHECKING:  # bot.config reads the defaults below; the knowledge base imports it
    from bot.knowledge import Entry, KnowledgeBase

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """``text`` as lower-case words without accents, one space between them."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    return " ".join(_WORD.findall(stripped.casefold()))


def crisis_phrases(text: str, phrases: Sequence[str]) -> list[str]:
    """The ``phrases`` that occur in ``text`` as whole words (case, accents and punctuation
    ignored), in the order given."""
    words = f" {normalise(text)} "
    found = [p for p in phrases if (n := normalise(p)) and f" {n} " in words]
    return list(dict.fromkeys(found))  # a phrase in both languages' lists once


@dataclass(frozen=True)
class Crisis:
    """A question that reads like a live crisis: the phrases found, and the knowledge base's
    crisis playbook entry (None when it is missing)."""

    phrases: tuple[str, ...]
    playbook: Entry | None


class CrisisCheck:
    """Checks questions against ``phrases``; ``playbook_id`` is the first-hour entry."""

    def __init__(self, phrases: Sequence[str], kb: KnowledgeBase, playbook_id: str) -> None:
        self.phrases = tuple(phrases)
        self.kb = kb
        self.playbook_id = playbook_id

    def check(self, text: str) -> Crisis | None:
        """A :class:`Crisis` when ``text`` reads like one, else None."""
        found = crisis_phrases(text, self.phrases)
        if not found:
            return None
        try:
            playbook: Entry | None = self.kb.get(self.playbook_id)
        except NotFound:
            log.warning(
                "the crisis playbook entry %r is not in the knowledge base "
                "(SOCIALBOT_CRISIS_PLAYBOOK)",
                self.playbook_id,
            )
            playbook = None
        return Crisis(tuple(found), playbook)
