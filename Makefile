# Open Subsidie — the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# pip in .venv and in the lock tool's throwaway venv: pinned, so installs and
# locks behave the same on every machine.
PIP_VERSION := 26.3
# The lock tool. It lives only in a throwaway venv, never in .venv: the
# project does not need it to run or to test.
PIP_TOOLS_VERSION := 7.6.2

.PHONY: run test setup bench lint format lock lock-check demo-reset clean

# .venv is exactly the lock: on a new lock it is built afresh, so packages the
# lock dropped do not linger. --require-hashes: every file must match the
# sha256 in the lock. --no-deps: the lock already lists every dependency.
$(VENV)/.installed: requirements.lock pyproject.toml
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

run: setup
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_regelingen
	DEBUG=1 $(PY) manage.py seed_demo --base-url http://$(HOST):$(PORT)
	@# the address and the demo logins come last, once the server listens (demo/banner.py)
	DEBUG=1 SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py serve_demo $(HOST):$(PORT)

# On the embedded default (no DATABASE_URL) the suite runs on every core (pytest-xdist, one SQLite
# test database per worker); against PostgreSQL (CI) in one process unless PYTEST_ARGS says "-n 2".
PYTEST_ARGS ?= $(if $(DATABASE_URL),,-n auto)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# ruff (style, and no imports inside functions), the layers (import-linter contracts in pyproject.toml),
# and the lifecycle diagram as the workflow draws it.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(PY) manage.py lifecycle_diagram --check

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# $(call compile_lock,FILE): resolve pyproject.toml (dependencies + the dev
# extra) into FILE with pip-compile, run from a throwaway venv that holds only
# the pinned tool. pip-compile keeps the pins already in FILE and changes only
# what pyproject asks for; the hashes it always takes afresh from the index
# (--no-reuse-hashes), so a hand-edited hash cannot survive lock-check.
# --allow-unsafe: should anything need pip or setuptools, they are locked too,
# or a --require-hashes install would refuse. Python 3.11, the oldest we
# support, makes the lock. The header names `make lock`, not FILE, and this
# machine's index and find-links settings stay out of the file.
compile_lock = \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "make the lock with Python 3.11")' && \
	( tool=$$(mktemp -d) && trap 'rm -rf "$$tool"' EXIT && \
	  $(PYTHON) -m venv "$$tool" && \
	  "$$tool/bin/pip" install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION) && \
	  CUSTOM_COMPILE_COMMAND="make lock" "$$tool/bin/pip-compile" --quiet \
	    --generate-hashes --extra dev --strip-extras --allow-unsafe \
	    --no-emit-index-url --no-emit-find-links --no-reuse-hashes $(LOCK_ARGS) \
	    --output-file $(1) pyproject.toml )

# After editing pyproject.toml: `make lock`, then commit both files.
# To move pins forward: `make lock LOCK_ARGS=--upgrade` (or --upgrade-package NAME).
lock:
	$(call compile_lock,requirements.lock)

# Would `make lock` change anything? Regenerate into a copy of the committed
# lock (so its pins are kept, as `make lock` keeps them) and compare.
lock-check:
	check=$$(mktemp -d) && trap 'rm -rf "$$check"' EXIT && \
	cp requirements.lock "$$check/requirements.lock" && \
	$(call compile_lock,"$$check/requirements.lock") && \
	{ diff -u requirements.lock "$$check/requirements.lock" || \
	  { echo "requirements.lock is stale: run make lock and commit it" >&2; exit 1; }; }

clean:
	rm -rf $(VENV) node_modules staticfiles
