# The two commands of the quick start: `make run` and `make test`. Each creates ./.venv on first use and
# installs the project with everything it needs (only the package registries are contacted).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: run test test-slow bench lint install clean browser

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
test: $(STAMP) browser
	$(PY) -m pytest
	WIREBEAM_BENCH_QUICK=1 $(PY) -m pytest benchmarks --benchmark-disable -q

## The slow suites: 20 kill -9 trials and a 10-round schedule on real feeds, the multi-process progress tap.
test-slow: $(STAMP)
	$(PY) -m pytest -m slow -s

## Headless Chromium (Debian's package) for the test that opens `wirebeam report`'s page in a real browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
		|| echo "note: chromium could not be installed (needs apt and root): the report's browser test will skip"; }

## Full benchmarks with timings (see README "Performance").
bench: $(STAMP)
	$(PY) -m pytest benchmarks --benchmark-only --benchmark-columns=median,ops,rounds

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy pipeline transforms schemas

clean:
	rm -rf $(VENV) out build *.egg-info
