# eventsapp — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install install-dev browser lint bench-agenda clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
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
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installation de Chromium (paquet Debian)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

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

clean:
	rm -rf $(VENV) instance .pytest_cache
