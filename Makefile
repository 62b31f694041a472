# Common tasks. `make run` for a local server, `make test` for the full check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.stamp
PORT ?= 8000

.PHONY: help venv run lint test

help:
	@echo "make venv   create/update .venv from requirements-dev.txt"
	@echo "make run    migrate, load demo data, runserver on 127.0.0.1:\$$PORT (default 8000)"
	@echo "make lint   ruff check + ruff format --check"
	@echo "make test   ruff + pytest on SQLite + pytest on PostgreSQL/Redis (scripts/test-all.sh)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# Debian's pango and a CJK font: the PDF documents (申报书, certificates) are drawn with them.
DOC_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei

run: venv
	bash scripts/deb_packages.sh $(DOC_PACKAGES)
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_site
	$(PY) manage.py invalidate_public_cache
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: venv
	bash scripts/test-all.sh
