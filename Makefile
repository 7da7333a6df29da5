# eventsapp — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install install-dev browser lint bench-agenda bench-registration bench-ical bench-reminders bench-reports clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "eventsapp a besoin de Python 3.11 ou plus récent (PYTHON=python3.11 make …)."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
	  { echo "Impossible de créer .venv : sur Debian/Ubuntu, installez python3-venv."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

## run: install, migrate, load the demo once, serve the app with a real Celery worker and beat.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@bash scripts/run-dev.sh "$(PORT)"

## browser: Debian's Chromium for the browser tests (Playwright's own download does not work here).
## Outside CI a failed install only warns: the browser tests then skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installation de Chromium (paquet Debian)…"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; } || { \
	    if [ "$${CI:-}" = true ]; then echo "Chromium n'a pas pu être installé."; exit 1; fi; \
	    echo "Attention : Chromium n'a pas pu être installé ; les tests dans le navigateur seront ignorés."; }; }

## test: install what the tests need and run the whole suite.
test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench-agenda: requests per second of the agenda against a bare endpoint.
bench-agenda: install-dev
	$(BIN)/python bench/agenda.py

## bench-registration: sign-ups against bare INSERT / hot-row UPDATE endpoints (PostgreSQL).
bench-registration: install-dev
	$(BIN)/python bench/registration.py

## bench-ical: a feed of 2,000 events: first request against icalendar alone, and 304s against a bare endpoint.
bench-ical: install-dev
	$(BIN)/python bench/ical.py

## bench-reminders: 10,000 due reminders (scan, outbox, Celery on Redis db 13, worker, SMTP sink) against smtplib.
bench-reminders: install-dev
	$(BIN)/python bench/reminders.py

## bench-reports: a campaign dashboard (10,000 events, 1,000,000 registrations, PostgreSQL) against one hand-written GROUP BY.
bench-reports: install-dev
	$(BIN)/python bench/reports.py

clean:
	rm -rf $(VENV) instance .pytest_cache
