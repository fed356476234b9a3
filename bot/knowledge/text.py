"""Text normalisation for Dutch and English: folding, tokens, stop words, stems, language.

Every text is indexed and queried with both the Dutch and the English Snowball stem of each
word, so mixed-language text needs no language detection to be searched.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")

# Function words only: they carry no topic. Domain words are never listed here.
STOP_WORDS_NL = frozenset(
    """
    aan af al alle alles als altijd andere ben bij daar dan dat de der deze die dit doch doe
    doen door dus een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij
    hoe hun iemand iets ik in is ja je jij jou jouw jullie kan kun kunnen kon maar me meer men
    met mij mijn moet moeten mag mogen na naar niet niets nog nu of om omdat onder ons onze ook
    op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel werd
    wezen wie wij wil willen worden wordt zal ze zei zelf zich zij zijn zo zonder zou zouden
    waar wanneer welke welk hoeveel waarom eigenlijk even dus dan daarna erg heel zeer best
    iets ergens iemand elk elke ieder iedere zoals tussen tijdens sinds via per binnen buiten
    ga gaat gaan ging komt komen kom krijg krijgen krijgt word zit zitten staat staan
    mogelijk graag ofwel hierover daarover erover welke deze dezelfde die dat hen wordt ben
    """.split()
)
STOP_WORDS_EN = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves get got gets getting may might must shall let lets also anyone someone
    something anything everything ever there's it's i'm we're you're what's who's how's can't
    don't doesn't isn't need needs want wants like please tell know really actually okay ok
    much many do does go going goes one ones thing things way us via per within
    """.split()
)
STOP_WORDS = STOP_WORDS_NL | STOP_WORDS_EN

_STEMMERS = {
    "nl": snowballstemmer.stemmer("dutch"),
    "en": snowballstemmer.stemmer("english"),
}


def fold(text: str) -> str:
    """Lowercase ``text`` and strip accents (``één`` → ``een``)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text``, stop words included."""
    return _WORD.findall(fold(text).replace("'", ""))


def content_words(text: str) -> list[str]:
    """The folded words of ``text`` that carry meaning (no stop words, no single letters)."""
    return [w for w in words(text) if w not in STOP_WORDS and len(w) > 1]


@functools.lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """The distinct Dutch and English stems of one folded word."""
    nl = _STEMMERS["nl"].stemWord(word)
    en = _STEMMERS["en"].stemWord(word)
    return (nl,) if nl == en else (nl, en)


def stem_terms(text: str) -> list[str]:
    """Index terms for ``text``: both stems of every content word, in order."""
    return [s for w in content_words(text) for s in stems(w)]


@functools.lru_cache(maxsize=1)
def _synonym_stems() -> dict[str, frozenset[str]]:
    from bot.knowledge.glossary import SYNONYM_GROUPS

    mapping: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        group_stems = {s for word in group for s in stems(word)}
        for word in group:
            for stem in stems(word):
                mapping.setdefault(stem, set()).update(group_stems)
    return {stem: frozenset(others) for stem, others in mapping.items()}


def synonym_stems(word: str) -> frozenset[str]:
    """Stems of the glossary's translations and synonyms of one folded word (itself included)."""
    table = _synonym_stems()
    return frozenset().union(*(table.get(s, frozenset()) for s in stems(word)))


@functools.lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid import langid

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(["nl", "en"])
    return identifier


def detect_language(text: str, default: str = "nl") -> str:
    """Guess whether ``text`` is Dutch or English; ``default`` when there is nothing to go on."""
    tokens = words(text)
    if not tokens:
        return default
    nl_hits = sum(t in STOP_WORDS_NL and t not in STOP_WORDS_EN for t in tokens)
    en_hits = sum(t in STOP_WORDS_EN and t not in STOP_WORDS_NL for t in tokens)
    if abs(nl_hits - en_hits) >= 2:
        return "nl" if nl_hits > en_hits else "en"
    label, probability = _identifier().classify(text[:2000])
    if probability < 0.6 and nl_hits == en_hits:
        return default
    return str(label)
