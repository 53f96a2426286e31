# Quick start: `make demo` then `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT := out/demo

.PHONY: demo test test-fast lint install bench bench-quick boundaries example clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "umkm-alloc needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

# The example with its rules, efficient (with the report) and fair, compared on one line each.
demo: $(STAMP)
	$(BIN)/umkm-alloc assign examples/producers.csv examples/stores.csv \
		--config examples/serang.toml --out-dir $(DEMO_OUT) --report
	$(BIN)/umkm-alloc assign examples/producers.csv examples/stores.csv \
		--config examples/serang.toml --objective fair --out-dir $(DEMO_OUT)-fair -q
	@echo "objectives side by side:"
	@$(BIN)/python examples/compare_objectives.py $(DEMO_OUT) $(DEMO_OUT)-fair
	@echo "tables written to $(DEMO_OUT)/ (efficient, with the report) and $(DEMO_OUT)-fair/"

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Everything but the tests marked slow (full example runs, browser, LibreOffice, wheel,
# national boundaries, long property searches): the loop to run while you work.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts examples benchmarks
	$(BIN)/ruff format --check src tests scripts examples benchmarks

# Every scenario up to national-1m (10-17 minutes on 2 cores); bench-quick skips national-1m.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

# Maintainer targets: rebuild the committed data from ../shared (not needed by users).
boundaries: $(STAMP)
	$(BIN)/python scripts/build_boundaries.py

example: $(STAMP)
	$(BIN)/python examples/make_example.py

clean:
	rm -rf $(VENV) out build dist .pytest_cache .hypothesis
