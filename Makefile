# Two commands for a newcomer:  `make run`  (set up, seed, serve)  and  `make test`  (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: setup run serve test lint demo-passwords clean security-scan

# The virtual environment is rebuilt when the pinned requirements change.
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

# axe-core for the browser suite (skipped without Chromium and npm; CI installs both).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser suite will be skipped"; fi

setup: $(VENV)/.installed node_modules/.installed

## make run: install, migrate, seed demo data on an empty database, serve on http://127.0.0.1:5000
## with the extraction worker (`flask worker`) beside the web server
run: setup
	$(FLASK) db upgrade
	@if $(FLASK) db-is-empty; then $(FLASK) seed-demo; \
	else echo "Database already seeded. Demo passwords were printed at seeding; 'make demo-passwords' prints new ones."; fi
	@echo ""
	@echo "  ASEM Virtual Secretariat: sign in at http://$(HOST):$(PORT)/login"
	@echo ""
	@# The extraction worker reads uploads' text beside the web server, in the same process group:
	@# Ctrl-C reaches both, and the trap stops the worker whichever way gunicorn ends.
	@$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) wsgi:app

demo-passwords: setup
	$(FLASK) demo-passwords

## make test: lint, static security analysis, then the test suite
## (SQLite by default; set TEST_DATABASE_URL=postgresql://... for PostgreSQL)
test: setup lint
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive secretariat --configfile pyproject.toml

## make security-scan: wapiti3 and sqlmap against a fresh demo instance on 127.0.0.1, signed in as an official
## and a coordinator; fails on any finding. Reports in security-reports/ (15 to 25 minutes on 2 cores).
# The scanners get their own virtualenv: wapiti3 pins an older Flask than the application's.
SCAN_VENV := .venv-scan
$(SCAN_VENV)/.installed: security/requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install --quiet -r security/requirements-scan.txt
	touch $@

security-scan: setup $(SCAN_VENV)/.installed
	$(BIN)/python security/scan.py --scanners $(SCAN_VENV)/bin --reports security-reports

clean:
	rm -rf $(VENV) $(SCAN_VENV) .pytest_cache .ruff_cache
