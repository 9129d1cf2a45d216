# Two commands on a fresh machine: `make demo` and `make test`. Everything else installs itself.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/scout_test

.PHONY: demo test test-postgres lint bench bench-all console clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

demo: $(VENV)/.base  ## replay a scripted week offline: flags, /pipeline acme, weekly digest
	$(BIN)/scout demo

test: $(VENV)/.dev  ## the whole suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest

test-postgres: $(VENV)/.dev  ## the suite on SQLite and on the local PostgreSQL
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	$(BIN)/python bench/tagger.py

# Every benchmark (docs/benchmarks.md), ~15 min. BENCH_PG_URL names a SCRATCH PostgreSQL database
# (the benches empty its public schema); unset, they run on SQLite only.
BENCH_PG_URL ?=
BENCH_PG = $(if $(BENCH_PG_URL),--postgres $(BENCH_PG_URL))

bench-all: $(VENV)/.dev  ## tagger, /flag ack under load, /pipeline at 100k leads, weekly digest for 1,000 accounts
	$(BIN)/python bench/tagger.py
	$(BIN)/python bench/pipeline.py $(BENCH_PG)
	$(BIN)/python bench/digest.py $(BENCH_PG)
	$(BIN)/python bench/ack.py $(BENCH_PG)

console: $(VENV)/.base
	$(BIN)/scout console

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .hypothesis
