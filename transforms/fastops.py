"""Faster CPU inference for spaCy's CNN pipelines: the faster of blis and numpy's BLAS for thinc's matrix products.

thinc's ``NumpyOps`` multiplies matrices with blis.  How fast that is depends on the CPU: on the x86-64 machines
this project runs on (AVX-512), blis's sgemm reaches ~33 GFLOP/s on the tok2vec's shapes while the OpenBLAS that
numpy wheels ship reaches ~95 on one thread, and the matrix products are most of the NER model's time.
``NumpyOps(use_blis=False)`` is thinc's own switch to numpy's ``dot``; the model, its weights and its outputs are
unchanged (the same entities on the benchmark's 160 stories and on CoNLL, see ``benchmarks/bench_entities.py``).

Which library is faster is measured once per worker (~50 ms at load), not assumed: ``choose_ops("auto")``.
``WIREBEAM_GEMM=blis|numpy`` forces one (for a comparison, or a machine where the measurement misleads).

numpy's BLAS is kept to one thread while the model runs (``one_blas_thread``): the pipeline scales with worker
processes, one per core, and OpenBLAS threads would both compete with them and spin-wait on CPU between calls.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

LOGGER = logging.getLogger(__name__)

GEMM_ENV = "WIREBEAM_GEMM"
POLICIES = ("auto", "blis", "numpy")
# A maxout layer of the tok2vec on a batch of stories: (tokens × 3·96) · (3·96 × 3·96).
_PROBE_SHAPE = (1024, 288, 288)
# numpy must be clearly faster to be chosen: blis is thinc's default and what spaCy's own figures use.
_MARGIN = 1.15


_CONTROLLER: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread inside the block (threadpoolctl), restored afterwards.

    The libraries are looked up once per process (a `ThreadpoolController` scans every loaded library, ~1 ms;
    its `limit` then costs ~10 µs): numpy's BLAS is loaded with numpy, before any model runs."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


def gemm_rates(shape: tuple[int, int, int] = _PROBE_SHAPE, repeats: int = 3) -> dict[str, float]:
    """GFLOP/s of blis (thinc's default) and of numpy's BLAS on one thread, best of `repeats`, on one shape."""
    from thinc.api import NumpyOps

    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    rates: dict[str, float] = {}
    with one_blas_thread():
        for name, ops in (("blis", NumpyOps(use_blis=True)), ("numpy", NumpyOps(use_blis=False))):
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                ops.gemm(a, b)
                best = min(best, time.perf_counter() - start)
            rates[name] = 2 * m * k * n / max(best, 1e-9) / 1e9
    return rates


def choose_ops(policy: str | None = None) -> Any:
    """thinc Ops for inference: `policy` "blis", "numpy", or "auto" (the faster here; default, or $WIREBEAM_GEMM)."""
    from thinc.api import NumpyOps

    policy = (policy or os.environ.get(GEMM_ENV) or "auto").strip().lower()
    if policy not in POLICIES:
        raise ValueError(f"{GEMM_ENV} must be one of {', '.join(POLICIES)}, got {policy!r}")
    if policy == "auto":
        rates = gemm_rates()
        policy = "numpy" if rates["numpy"] > _MARGIN * rates["blis"] else "blis"
        LOGGER.info("matrix products: blis %.1f GFLOP/s, numpy %.1f GFLOP/s → %s",
                    rates["blis"], rates["numpy"], policy)
    return NumpyOps(use_blis=policy == "blis")


def use_ops(nlp: Any, ops: Any) -> None:
    """Make every layer of every component of a loaded spaCy pipeline run on `ops`."""
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops
