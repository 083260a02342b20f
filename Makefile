# Two commands for a newcomer:  `make run`  (set up, seed, serve)  and  `make test`  (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: setup run serve test lint demo-passwords clean security-scan lock

# One virtual environment: `make run` installs what production runs (requirements/runtime.txt);
# `make test` adds the tools (requirements/dev.txt, a superset). Both are hash-checked and
# reinstalled when their lock file changes. The checkout itself is not installed: it is imported
# from here, so edits take effect without a reinstall.
$(VENV)/.runtime: requirements/runtime.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements/dev.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

# axe-core for the browser suite (skipped without Chromium and npm; CI installs both).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser suite will be skipped"; fi

setup: $(VENV)/.dev node_modules/.installed

## make run: install, migrate, seed demo data on an empty database, serve on http://127.0.0.1:5000
## with the worker (`flask worker`: uploads' text, search index, mail, scheduled jobs) beside the web server
# Links the application writes (password links, calendar addresses) name the address it serves on.
run: export EXTERNAL_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	$(FLASK) db upgrade
	@if $(FLASK) db-is-empty; then $(FLASK) seed-demo; \
	else echo "Database already seeded. Demo passwords were printed at seeding; 'make demo-passwords' prints new ones."; fi
	@echo ""
	@echo "  ASEM Virtual Secretariat: sign in at http://$(HOST):$(PORT)/login"
	@echo ""
	@# The worker runs beside the web server, in the same process group:
	@# Ctrl-C reaches both, and the trap stops the worker whichever way gunicorn ends.
	@$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) wsgi:app

demo-passwords: $(VENV)/.runtime
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

## make lock: re-pin requirements/*.txt (with hashes) after a change to pyproject.toml's dependencies;
## current pins are kept unless pyproject demands otherwise (UPGRADE="--upgrade-package NAME" moves one)
LOCK_VENV := .venv-lock
LOCK := $(LOCK_VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock" $(UPGRADE)
lock:
	test -x $(LOCK_VENV)/bin/uv || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet uv; }
	$(LOCK) -o requirements/runtime.txt
	$(LOCK) --extra dev --constraint requirements/runtime.txt -o requirements/dev.txt

clean:
	rm -rf $(VENV) $(SCAN_VENV) $(LOCK_VENV) .pytest_cache .ruff_cache build *.egg-info
