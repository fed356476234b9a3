"""The message catalogue: every text socialbot writes, in Dutch and English."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "source": {
        "nl": "Bron: {title} ({id}) · eigenaar: {owner} · laatst nagekeken: {updated}",
        "en": "Source: {title} ({id}) · owner: {owner} · last verified: {updated}",
    },
    "owner_unknown": {"nl": "het social media team", "en": "the social media team"},
    "confidence": {
        "nl": "Zekerheid: {score:.2f} ({level})",
        "en": "Confidence: {score:.2f} ({level})",
    },
    "level_high": {"nl": "hoog", "en": "high"},
    "level_medium": {"nl": "gemiddeld", "en": "medium"},
    "level_low": {"nl": "laag", "en": "low"},
    "dont_know": {
        "nl": "Daar heb ik geen betrouwbaar antwoord op.",
        "en": "I don't have a reliable answer to that.",
    },
    "did_you_mean": {"nl": "Bedoelde je misschien:", "en": "Did you mean:"},
    "ask_cm_hint": {
        "nl": "Stel je vraag aan de conversatiemanager: in Slack met de knop "
        "'Vraag het de conversatiemanager'.",
        "en": "Ask the conversation manager: in Slack, use the 'Ask the conversation manager' "
        "button.",
    },
    "also_see": {"nl": "Zie ook:", "en": "See also:"},
    "empty_question": {
        "nl": "De vraag is leeg. Typ een vraag, bv. 'Wie mag er namens het merk posten?'",
        "en": "The question is empty. Type a question, e.g. 'Who may post for the brand?'",
    },
}


def t(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (falling back to English), filled with ``values``."""
    texts = MESSAGES[key]
    return texts.get(lang, texts["en"]).format(**values)


def confidence_level(score: float) -> str:
    """'high', 'medium' or 'low' for a confidence score."""
    if score >= 0.75:
        return "high"
    if score >= 0.5:
        return "medium"
    return "low"
