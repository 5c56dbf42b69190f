# The two commands a person needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Rasa 3.6 runs on Python 3.10 at the newest; find one even where a pyenv shim hides it.
PYTHON_CANDIDATES ?= python3.10 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
# Without one (Debian 12, Ubuntu 24.04, macOS have none), uv fetches a managed Python 3.10.
UV ?= $(shell command -v uv 2>/dev/null)
export TF_CPP_MIN_LOG_LEVEL ?= 3
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

.PHONY: run check test lint train validate evaluate bench clean
.DEFAULT_GOAL := run

$(VENV)/.installed: pyproject.toml requirements.lock
ifneq ($(PYTHON),)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
else ifneq ($(UV),)
	@test -x $(PY) || $(UV) venv --seed --python 3.10 $(VENV)
else
	@test -x $(PY) || { echo "error: no python3.10 and no uv (Rasa 3.6 needs Python 3.10): see README.md, 'Python 3.10 on a fresh machine'"; exit 1; }
endif
	$(PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

## run: start the bot (sandbox with a terminal chat when TELEGRAM_BOT_TOKEN is unset)
run: $(VENV)/.installed
	$(PY) -m bot

## check: the preflight checks (token, staff groups, webhook, database, Redis, model, actions)
check: $(VENV)/.installed
	$(PY) -m bot.check

## train: train the Rasa model when its data or config changed
train: $(VENV)/.installed
	$(PY) -m bot.model

## test: the whole test suite (PostgreSQL/Redis tests skip with a reason where absent)
# Test files run side by side in PYTEST_WORKERS processes (pytest-xdist), a file whole on
# one worker so its module worlds are started once; most of an e2e test's time is waiting
# on Telegram's pacing, so two workers halve the wall time even on 2 CPUs. PYTEST_WORKERS=0
# runs everything in one process, in file order.
PYTEST_WORKERS ?= 2
test: $(VENV)/.installed
	$(PY) -m bot.model
	$(PY) -m pytest -q -rs -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

validate: $(VENV)/.installed
	$(VENV)/bin/rasa data validate --fail-on-warnings -d domain.yml --data nlu stories

## evaluate: the independent sets (misses printed), held-out NLU test, cross-validation
evaluate: train
	$(PY) -m bench.evaluate

bench: train
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) models var .rasa results
