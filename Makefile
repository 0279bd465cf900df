# The README's two commands: `make demo` (main job) and `make test` (install everything, run all tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WEB := seawatch/web

.PHONY: demo test setup system-deps web lint pytest package bench clean

demo: setup web
	$(VENV)/bin/seawatch demo

test: setup system-deps web lint pytest package

setup: $(VENV)/.installed

# The package includes two C extensions (the AIS scanner, the decode JSON Lines encoder): a compiler and Python's headers come first.
$(VENV)/.installed: pyproject.toml setup.py seawatch/sources/_nmea_scan.c seawatch/sources/_ais_jsonl.c
	PYTHON=$(PYTHON) bash scripts/install-system-deps.sh build
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

system-deps:
	PYTHON=$(PYTHON) bash scripts/install-system-deps.sh all

# The web picture is built from npm packages into seawatch/web/dist (served offline by the node). Its API
# types are generated from the node's OpenAPI document first (web/typegen: openapi-typescript), so the
# build needs the package's Python (SEAWATCH_PYTHON).
web: setup
	@if [ -f $(WEB)/package.json ]; then \
	  command -v npm >/dev/null || bash scripts/install-system-deps.sh; \
	  cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error \
	    && npm ci --prefix typegen --no-audit --no-fund --loglevel=error \
	    && SEAWATCH_PYTHON=$(abspath $(PY)) npm run build --silent; \
	fi

lint: setup web
	$(VENV)/bin/ruff check seawatch tests bench
	$(VENV)/bin/ruff format --check seawatch tests bench
	$(VENV)/bin/mypy
	cd $(WEB) && SEAWATCH_PYTHON=$(abspath $(PY)) npm run check --silent

pytest: setup
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The wheel alone must run: built, installed into a fresh venv in a temporary folder with no test data,
# then `seawatch detect` and a short `seawatch demo` (scripts/check-package.sh).
package: setup web
	PYTHON=$(PY) bash scripts/check-package.sh

# The benchmarks' peers (movingpandas, stonesoup) are the `bench` extra.
bench: setup
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) $(WEB)/node_modules $(WEB)/dist .mypy_cache .ruff_cache .pytest_cache build seawatch/sources/*.so
