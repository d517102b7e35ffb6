# The two commands of the quick start: `make run` and `make test`. Each creates ./.venv on first use and
# installs the project with everything it needs (only the package registries are contacted).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: run test bench lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the main job on the bundled sample feeds; enriched JSONL lands in ./out/<run-id>/.
run: $(STAMP)
	$(VENV)/bin/wirebeam run --output out

## The test suite (unit, pipeline and end-to-end tests), then every benchmark once in quick mode.
test: $(STAMP)
	$(PY) -m pytest
	WIREBEAM_BENCH_QUICK=1 $(PY) -m pytest benchmarks --benchmark-disable -q

## Full benchmarks with timings (see README "Performance").
bench: $(STAMP)
	$(PY) -m pytest benchmarks --benchmark-only --benchmark-columns=median,ops,rounds

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy pipeline transforms schemas

clean:
	rm -rf $(VENV) out build *.egg-info
