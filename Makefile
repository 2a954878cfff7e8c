# Two set-up commands: `make run` and `make test` (README); `make bench` measures.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.sha256
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test lint format messages bench clean

# The venv is created once; packages are reinstalled only when requirements.txt changed.
$(PY):
	@python=$$(sh scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python ($$($$python --version))"; \
	"$$python" -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	sha256sum requirements.txt > $(STAMP)

# axe-core (accessibility checks in the browser tests) comes from the npm registry.
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $(AXE)

install: $(STAMP)

# Embedded default for a laptop: DEBUG on, SQLite, tasks in-process (override any of it).
run: export DEBUG ?= true
# A laptop demo shows the SMS at any hour: no quiet hours (equal bounds).
run: export SMS_QUIET_FROM ?= 00:00
run: export SMS_QUIET_UNTIL ?= 00:00
# The beat schedule's jobs (reminders, slots, sweeps) run beside the server, in a
# process of their own (manage.py run_scheduler), stopped with it.
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py run_scheduler --run-now & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP) $(AXE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(VENV)/bin/mypy
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

# Starts gunicorn, a Celery worker and a local SMS provider on loopback against its own
# database (prefecture_bench) and Redis db 14, stops them, writes BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerates the catalogues (msgids are French: the French catalogue copies them),
# then compiles them; the .mo files are committed (tests check they match). Needs gettext.
messages: export DEBUG ?= true
messages: $(STAMP)
	$(PY) manage.py makemessages --locale fr --locale en --no-obsolete \
		--ignore '.venv/*' --ignore 'node_modules/*' --ignore 'tests/*'
	$(PY) scripts/french_catalogue.py locale/fr/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*'

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
