# grapherd: `make run` serves on embedded defaults, `make test` runs the whole suite.
# Both set up what they need on a fresh Debian machine with Python 3.11 (apt packages when missing).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_NEEDED = $(shell command -v dot >/dev/null || echo graphviz) \
             $(shell $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || echo python3-venv)

.PHONY: run test lint typecheck bench system-packages browser-packages clean

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

run: $(STAMP) system-packages
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable
	$(PY) manage.py sample_data
	$(PY) manage.py ensure_admin
	$(PY) manage.py serve

test: $(STAMP) system-packages browser-packages
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy .

bench: $(STAMP) system-packages
	$(PY) bench/digest_bench.py
	$(PY) bench/svg_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
