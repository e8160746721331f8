# grapherd: `make run` serves on embedded defaults, `make test` runs the whole suite.
# Both set up what they need on a fresh Debian machine with Python 3.11 (apt packages when missing),
# and build the graph explorer's JavaScript bundle (npm packages from package-lock.json, esbuild).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_NEEDED = $(shell command -v dot >/dev/null || echo graphviz) \
             $(shell $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || echo python3-venv) \
             $(shell command -v node >/dev/null || echo nodejs) \
             $(shell command -v npm >/dev/null || echo npm)
# The explorer's bundle: generated (gitignored) under a static folder, rebuilt when its sources or the
# locked packages change. npm ci writes node_modules afresh, so its stamp lives inside it.
NODE_STAMP := node_modules/.installed
BUILD_DIR := graphs/static/graphs/build
BUNDLE := $(BUILD_DIR)/explorer.js $(BUILD_DIR)/layout-worker.js
FRONTEND_SOURCES := $(wildcard graphs/frontend/*.js graphs/frontend/explorer/*.js)

.PHONY: run test lint typecheck bench bundle system-packages browser-packages clean

system-packages:
	@if [ -n "$(strip $(APT_NEEDED))" ]; then \
	  echo "Installing system packages: $(APT_NEEDED)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_NEEDED); \
	fi

browser-packages:
	@command -v chromium >/dev/null || { \
	  echo "Installing chromium for the browser test"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core; }

$(STAMP): requirements.lock | system-packages
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --ignore-scripts  # esbuild needs no install script: its binary is a package
	touch $@

# One esbuild run writes both files (a grouped target: GNU make 4.3, Debian 11 and later).
$(BUNDLE) &: $(NODE_STAMP) $(FRONTEND_SOURCES)
	node graphs/frontend/build.js

bundle: $(BUNDLE)

run: $(STAMP) system-packages bundle
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable
	$(PY) manage.py sample_data
	$(PY) manage.py ensure_admin
	$(PY) manage.py serve

# The fault tests (marked slow) run real worker clusters, servers and proxies: they run after the rest,
# one at a time, so that no other test competes with their clusters for the cores.
test: $(STAMP) system-packages browser-packages bundle
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile -m "not slow"
	$(PY) -m pytest -p no:cacheprovider -m slow

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy .

bench: $(STAMP) system-packages browser-packages bundle
	$(PY) bench/digest_bench.py
	$(PY) bench/svg_bench.py
	$(PY) bench/explorer_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules $(BUILD_DIR)
