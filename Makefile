# The two commands a new user needs:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: install run test lint bench
install: $(STAMP)

run: $(STAMP)
	@test -f config.toml || { cp config.example.toml config.toml; echo "Created config.toml from config.example.toml."; }
	$(VENV)/bin/python -m bot run

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check bot cogs tests bench migrations
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python bench/bus.py
