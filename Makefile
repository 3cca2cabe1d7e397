# CareCRM's front door.
#   make run    - install, migrate, seed demo data once, start web + Celery worker + beat
#   make test   - install, lint, compile messages, run the whole pytest suite
#   make lint | make messages | make bench
# DATABASE_URL / REDIS_URL are used when set (see README.md); without them everything runs
# embedded (SQLite and the Celery filesystem transport under var/).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
ADDR ?= 127.0.0.1:8000
DEMO_CUSTOMERS ?= 2000
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-m browser" or a test file.
PYTEST_ARGS ?=
BENCH_ARGS ?=
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/carecrm
I18N_IGNORE := --ignore=.venv --ignore=node_modules --ignore=var --ignore=staticfiles --ignore=docs

.DEFAULT_GOAL := help
.PHONY: help install run test lint format messages compilemessages bench system-packages clean

help:
	@echo "make run       start CareCRM at http://$(ADDR)/ with demo logins (Ctrl-C stops)"
	@echo "make test      lint + the whole test suite (uses DATABASE_URL/REDIS_URL if set)"
	@echo "make lint      ruff check, ruff format --check and the layer contract (lint-imports)"
	@echo "make messages  update locale/*/LC_MESSAGES/django.po (zh_Hans, en)"
	@echo "make bench     benchmarks on PostgreSQL, written to docs/BENCHMARKS.md"

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "*** $(PYTHON) not found: CareCRM needs Python 3.11 (make PYTHON=/path/to/python3.11)"; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

# Developers and CI get the test tools too; the production image installs requirements.txt only.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

# Bootstrap, icons, htmx and Chart.js are served from node_modules (STATICFILES_DIRS), no CDN.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "*** npm not found: install Node.js and npm (apt-get install -y nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.package-lock.json

system-packages:
	@bash scripts/system-packages.sh

compilemessages: install
	$(PY) manage.py compilemessages -l zh_Hans -l en $(I18N_IGNORE) -v 0

messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --add-location=file $(I18N_IGNORE)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest exits 5 when it ran no test: a failure for the whole suite (something is broken),
# only reported for a selection (PYTEST_ARGS) that happens to match nothing.
test: install
	-@bash scripts/system-packages.sh
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory compilemessages
	@echo "Testing on $${DATABASE_URL:-SQLite (no DATABASE_URL)}, Celery broker $${REDIS_URL:-filesystem (no REDIS_URL)}"
	@status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
	  if [ -n "$(strip $(PYTEST_ARGS))" ]; then \
	    echo "pytest ran no tests for '$(PYTEST_ARGS)' (nothing matched; not a failure)"; status=0; \
	  else \
	    echo "*** pytest ran no tests at all: the suite is missing"; status=1; \
	  fi; \
	fi; exit $$status

run: install compilemessages
	$(PY) manage.py migrate --no-input
	@mkdir -p var
	@if [ ! -f var/demo-seeded ]; then \
	  $(PY) manage.py seed_demo --if-empty --customers $(DEMO_CUSTOMERS) \
	    --logins-file var/demo-logins.txt && date > var/demo-seeded; \
	fi
	$(PY) manage.py runall --addr $(ADDR) --logins-file var/demo-logins.txt

bench: install compilemessages
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" $(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf staticfiles .pytest_cache .ruff_cache
	find . -name '*.mo' -path './locale/*' -delete
