# Concurrency Lab. Two commands do all set-up:  make lab   and   make test
# Every target creates the environment (.venv) first if it is missing or out of date.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.labkit-installed
EXTRAS ?= test,dask
PORT   ?= 8888
DATA   ?= data/generated/default
NB_TIMEOUT ?= 180
PYTEST_ARGS ?=
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: help lab test unit notebooks lint format data bench clean env check

help:
	@echo "make lab    - set up (if needed), prepare data, open JupyterLab at the first notebook"
	@echo "make test   - set up (if needed), lint, run every test and execute every notebook"
	@echo "make data   - generate the default data set into $(DATA)"
	@echo "make bench  - run the benchmarks (prints a table; JSON in bench-results/)"
	@echo "make check  - labkit check: is this machine ready?"
	@echo "make clean  - remove the environment, generated data and caches"

env: $(STAMP)

# Create the virtual environment with uv when it is on PATH, else with venv + pip.
$(STAMP): pyproject.toml jupyter/overrides.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Concurrency Lab needs Python 3.11 or newer; found " + sys.version.split()[0] + ". Set PYTHON=/path/to/python3.11 and retry.")'
	@if command -v uv >/dev/null 2>&1; then \
		echo "creating $(VENV) with uv"; \
		[ -x $(PY) ] || uv venv --quiet --python "$$(command -v $(PYTHON))" $(VENV); \
		uv pip install --quiet --python $(PY) -e ".[$(EXTRAS)]" || exit 1; \
	else \
		echo "creating $(VENV) with venv + pip (install uv to make this ~10x faster)"; \
		[ -x $(PY) ] || $(PYTHON) -m venv $(VENV); \
		$(PY) -m pip install --quiet --upgrade pip && \
		$(PY) -m pip install --quiet -e ".[$(EXTRAS)]" || exit 1; \
	fi
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)

check: $(STAMP)
	$(VENV)/bin/labkit check

data: $(STAMP)
	$(VENV)/bin/labkit generate --out $(DATA) --files 6 --lines 300000 --format mixed \
		--bad-rate 0.005 --crlf-rate 0.001 --if-missing

lab: $(STAMP) data
	$(VENV)/bin/labkit check
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) notebooks/00_welcome.ipynb

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

unit: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Every notebook, top to bottom in a fresh kernel, in small-data mode.
notebooks: $(STAMP)
	@if ls notebooks/[0-9]*.ipynb >/dev/null 2>&1; then \
		LABKIT_SMALL=1 $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
			--nbval-cell-timeout=$(NB_TIMEOUT) -o addopts="" -o filterwarnings="" \
			notebooks/[0-9]*.ipynb; \
	else echo "no notebooks yet"; fi

test: lint unit notebooks

bench: $(STAMP)
	@mkdir -p bench-results
	$(VENV)/bin/labkit bench --json-out bench-results/bench.json
	$(PY) -m labkit.bench.dashboard --kernel --json > bench-results/dashboard.json
	$(PY) -m labkit.bench.dask --json > bench-results/dask.json
	@echo "JSON figures in bench-results/"

clean:
	rm -rf $(VENV) data/generated bench-results artifacts .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
