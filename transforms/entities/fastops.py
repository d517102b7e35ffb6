"""Faster CPU inference for spaCy's CNN pipelines: the faster of blis and numpy's BLAS for thinc's matrix products.

thinc's ``NumpyOps`` multiplies matrices with blis.  How fast that is depends on the CPU: on the x86-64 machines
this project runs on (AVX-512) the OpenBLAS that numpy wheels ship is several times faster than blis's sgemm on the
tok2vec's shapes (README, Entities, has the figures), and the matrix products are most of the NER model's time.
``NumpyOps(use_blis=False)`` is thinc's own switch to numpy's ``dot``; the model, its weights and its outputs are
unchanged (the same entities on the benchmark's 160 stories and on CoNLL, see ``benchmarks/bench_entities.py``).

Which library is faster is measured once per worker at load, not assumed: ``choose_ops("auto")``.
``choose_ops("blis"|"numpy")`` forces one (for a comparison, or a machine where the measurement misleads); the CLI
takes the policy from ``WIREBEAM_GEMM``.

numpy's BLAS is kept to one thread while the model runs (``one_blas_thread``): the pipeline scales with worker
processes, one per core, and OpenBLAS threads would both compete with them and spin-wait on CPU between calls.

Freed memory is kept for the next batch (``retain_freed_memory``): by default glibc hands large freed blocks back
to the kernel (munmap, heap trimming) and the model's next batch faults them back in, zeroed page by page: on the
pipeline benchmark a fifth of the run, varying with the allocator's state (README, Entities, has the figures).
``retain_freed_memory("default")`` keeps glibc's behaviour; the CLI takes the policy from ``WIREBEAM_MALLOC``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import platform
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

LOGGER = logging.getLogger(__name__)

POLICIES = ("auto", "blis", "numpy")
# A maxout layer of the tok2vec on a batch of stories: (tokens × 3·96) · (3·96 × 3·96).
_PROBE_SHAPE = (1024, 288, 288)
# numpy must be clearly faster to be chosen: blis is thinc's default and what spaCy's own figures use.
_MARGIN = 1.15


MALLOC_POLICIES = ("retain", "default")
# glibc mallopt parameters (malloc.h) and the values set: blocks under 64 MiB come from the heap rather than their
# own mmap; the heap is trimmed only when 512 MiB lie free at its top, and grows 64 MiB at a time.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_MALLOC_SETTINGS = ((_M_MMAP_THRESHOLD, 64 << 20), (_M_TRIM_THRESHOLD, 512 << 20), (_M_TOP_PAD, 64 << 20))
_RETAINED: bool | None = None

_CONTROLLER: Any = None


def _policy(name: str, choices: tuple[str, ...], given: str | None) -> str:
    policy = (given or choices[0]).strip().lower()
    if policy not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {policy!r}")
    return policy


def gemm_policy(given: str | None = None, name: str = "gemm policy") -> str:
    """`given` normalized, else "auto"; ValueError naming `name` (the caller's word for it) when not a policy."""
    return _policy(name, POLICIES, given)


def malloc_policy(given: str | None = None, name: str = "malloc policy") -> str:
    """`given` normalized, else "retain"; ValueError naming `name` (the caller's word for it) when not a policy."""
    return _policy(name, MALLOC_POLICIES, given)


def retain_freed_memory(policy: str | None = None) -> bool:
    """Keep freed memory in the process for reuse instead of returning it to the kernel (glibc's mallopt), once
    per process. `policy` "retain" (default) or "default"; True when the settings apply.

    The cost is resident memory: the process keeps its high-water mark (README, Entities, has the figure).
    Elsewhere than Linux with glibc nothing changes."""
    global _RETAINED
    if malloc_policy(policy) == "default":
        return False
    if _RETAINED is not None:
        return _RETAINED
    _RETAINED = False
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _RETAINED = all(libc.mallopt(param, value) == 1 for param, value in _MALLOC_SETTINGS)
        except (OSError, AttributeError):
            _RETAINED = False
    LOGGER.info("freed memory kept for reuse: %s", _RETAINED)
    return _RETAINED


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread inside the block (threadpoolctl), restored afterwards.

    The libraries are looked up once per process (a `ThreadpoolController` scans every loaded library, which costs
    far more than its `limit`): numpy's BLAS is loaded with numpy, before any model runs."""
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
    """thinc Ops for inference: `policy` "blis", "numpy", or "auto" (the faster here; default)."""
    from thinc.api import NumpyOps

    policy = gemm_policy(policy)
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
