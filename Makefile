# SpotCheck — the two commands: `make run` (the product on its embedded defaults) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app server
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install translations migrate seed browser-deps lint lock bench audit backup restore-drill clean pwa pwa-test

$(VENV)/bin/activate:
	python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The lock pins every Python dependency; the project itself is installed editable on top.
$(VENV)/.installed: requirements.lock pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -d server/translations -D messages >/dev/null

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty
	$(FLASK) jobs run  # the demo's background jobs: publication export files, letters

# The field app (pwa/): npm ci from the lockfile, then the production build into pwa/dist, which
# the server serves at /app/. Rebuilt only when its sources change.
PWA_SOURCES := $(shell find pwa/src pwa/public -type f 2>/dev/null) pwa/index.html pwa/vite.config.js
pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	touch $@

pwa/dist/.built: pwa/node_modules/.installed $(PWA_SOURCES)
	cd pwa && npm run build --silent >/dev/null
	touch $@

pwa: pwa/dist/.built

pwa-test: pwa/node_modules/.installed
	cd pwa && npx vitest run

run: seed pwa
	@echo "SpotCheck on http://$(HOST):$(PORT)  (demo accounts: see README.md)"
	$(VENV)/bin/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) \
		--access-logfile - server.wsgi:app

# Debian's chromium (never a downloaded browser), CJK and emoji fonts for the browser tests, Pango
# for the PDFs (WeasyPrint) and poppler's pdftoppm to look at them.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' \
		|| ! fc-list 2>/dev/null | grep -qi 'Noto Color Emoji' || ! command -v pdftoppm >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji poppler-utils libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
		else echo "tests need: sudo apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji poppler-utils libpango-1.0-0 libpangoft2-1.0-0"; exit 1; fi; \
	fi

# One pytest process per core (pytest-xdist); PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto
test: install browser-deps pwa pwa-test
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check server sync tests
	$(VENV)/bin/ruff format --check server sync tests

# Re-pin after changing pyproject.toml dependencies.
lock: | $(VENV)/bin/activate
	$(PIP) install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra test --strip-extras --output-file requirements.lock pyproject.toml

# Every benchmark, then one table of their headline figures (figure, floor, ratio, budget).
bench: export BENCH_REPORT = $(CURDIR)/instance/bench-report.jsonl
bench: install browser-deps pwa
	mkdir -p instance && rm -f $(BENCH_REPORT)
	$(PY) -m bench.directory_listing
	$(PY) -m bench.draw
	$(PY) -m bench.draw_db   # PostgreSQL: DATABASE_URL, else postgres@127.0.0.1:5432
	$(PY) -m bench.sync_pull  # SQLite, and PostgreSQL when DATABASE_URL points there
	$(PY) -m bench.sync_submit  # PostgreSQL through gunicorn
	$(PY) -m bench.upload  # tus vs one plain PUT, SQLite (+ PostgreSQL with DATABASE_URL)
	$(PY) -m bench.pwa  # the field app in headless Chromium
	$(PY) -m bench.load.run  # 200 inspectors at once: gunicorn, PostgreSQL, moto S3 (bench/load/)
	$(PY) -m bench.report $(BENCH_REPORT)

# Known vulnerabilities in the pinned Python and npm dependencies (needs the advisory services:
# PyPI's JSON API with vulnerability data and the npm registry's bulk advisory endpoint).
audit: pwa/node_modules/.installed
	deploy/dependency-audit.sh

# Back up the database and the evidence into one folder (deploy/README.md, "Backup and restore").
BACKUP_DIR ?= backups
backup: install
	deploy/backup.sh --dest $(BACKUP_DIR)

# Backup → restore round trip on the local PostgreSQL (own test_ops* databases, cleaned up).
restore-drill: install
	deploy/restore-drill.sh

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info pwa/node_modules pwa/dist
