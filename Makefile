# Two commands on a fresh machine: `make run` and `make test` (`make help` lists the rest).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# The browser test drives Debian's Chromium, installed here when it is missing.
SUDO = $(if $(filter 0,$(shell id -u)),,sudo)

# The compiled translations, beside the code that reads them (bot/core/i18n.py); the wheel's build does the same (setup.py).
CATALOGUES = $(patsubst locales/%.po,bot/locales/%.mo,$(wildcard locales/*/LC_MESSAGES/messages.po))

.DEFAULT_GOAL := help
.PHONY: help run test lint install translations chromium

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: install ## Run Opora (web chat on SQLite without tokens; Telegram/Viber with them). Ctrl-C stops it
	$(BIN)/opora db upgrade
	$(BIN)/opora run

test: install chromium ## Run the whole test suite (PostgreSQL and Redis on 127.0.0.1)
	$(BIN)/python -m pytest

lint: install ## Check lint, formatting and types: ruff check, ruff format --check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

chromium: ## Install Debian's Chromium and an emoji font for the browser test, when missing
	@(command -v chromium && fc-list | grep -q NotoColorEmoji) >/dev/null || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji)

install: $(VENV)/.installed $(CATALOGUES) ## Install Opora with its test and lint tools into .venv, editable

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $@

bot/locales/%.mo: locales/%.po | $(VENV)/.installed
	@mkdir -p $(@D)
	$(BIN)/pybabel compile --domain messages --input-file $< --output-file $@

translations: install ## Refresh the .po files after changing user-facing strings, then compile them
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 -k plural:1,2 -o locales/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	@$(MAKE) --no-print-directory $(CATALOGUES)
