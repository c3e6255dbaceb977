# Two commands: `make run` (the embedded demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

CHROMIUM := /usr/bin/chromium
CATALOGS := $(patsubst %.po,%.mo,$(wildcard mes_web/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint format bench clean translations pdf-libraries

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.app-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.app-installed $@

# The interface's other languages; compiled catalogs are build output, not sources.
%.mo: %.po $(VENV)/.app-installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

## After changing interface text: collect the strings and merge them into each catalog to translate.
translations: $(VENV)/.app-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o mes_web/translations/messages.pot mes_web templates
	$(BIN)/pybabel update -i mes_web/translations/messages.pot -d mes_web/translations --width 120

# Browser tests drive Debian's Chromium; Playwright's own browser download does not work offline.
$(CHROMIUM):
	apt-get install -y -q chromium >/dev/null || { echo "install Debian's chromium package for the browser tests"; exit 1; }

# WeasyPrint subsets the PDF reports' fonts with HarfBuzz; without it, it warns (and pytest turns warnings into errors).
pdf-libraries:
	@ldconfig -p | grep -q libharfbuzz-subset || apt-get install -y -q libharfbuzz-subset0 >/dev/null \
		|| { echo "install libharfbuzz-subset0 for the PDF reports"; exit 1; }

## Serve the demo on SQLite, no Redis/MinIO/PostgreSQL needed; prints a login and an API token.
run: $(VENV)/.app-installed $(CATALOGS) pdf-libraries
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "mes_web at http://$(HOST):$(PORT)  (API: http://$(HOST):$(PORT)/api/v1/openapi.json)"
	$(FLASK) serve --host $(HOST) --port $(PORT)

## Lint, then every test (PostgreSQL and Redis must be running; see README).
test: $(VENV)/.dev-installed $(CATALOGS) $(CHROMIUM) pdf-libraries
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Throughput of the scan path against a one-row floor app (needs wrk: apt-get install wrk).
bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -q wrk >/dev/null; }
	$(BIN)/python bench/aggregate.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
