# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

# The browser test drives Debian's Chromium, installed here when it is missing.
SUDO = $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test install translations chromium

run: install
	$(BIN)/opora db upgrade
	$(BIN)/opora run

test: install chromium
	$(BIN)/python -m pytest

chromium:
	@(command -v chromium && fc-list | grep -q NotoColorEmoji) >/dev/null || ($(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji)

install: $(VENV)/.installed
	$(BIN)/pybabel compile -d locales -D messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Refresh the catalogues after changing user-facing strings (see README).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 -k plural:1,2 -o locales/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching
	$(BIN)/pybabel compile -d locales -D messages --statistics
