# Two commands: `make run` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: run test bench bench-quick lint clean-db

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

## Set up SQLite, the order management app, demo data and an admin; serve http://127.0.0.1:$${PORT:-5000}
run: $(STAMP)
	$(VENV)/bin/sunmao setup
	$(VENV)/bin/sunmao run

## Run the test suite. Tests that need Chromium, node, PostgreSQL or Redis skip when those are absent
## (the run starts by naming what is missing and how to install it; README.md) and fail with CI=true
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## Benchmarks: each compares against a baseline in the same run, prints ratios and saves them in bench/results.json
bench: $(STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(PY) $$b $(BENCH_ARGS) || exit 1; done

## Every benchmark at a small size: shows that each still runs (figures in bench/results-quick.json, not to be quoted)
bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_ARGS=--quick

## ruff, and the engine's layer contracts (import-linter; `make test` runs them too, tests/engine/test_layers.py)
lint: $(STAMP)
	$(VENV)/bin/ruff check platform tests bench
	$(VENV)/bin/lint-imports --no-logo

clean-db:
	rm -rf instance
