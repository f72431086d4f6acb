# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test install translations

run: install
	$(BIN)/opora run

test: install
	$(BIN)/python -m pytest

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
