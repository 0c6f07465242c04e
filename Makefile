# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv when missing and install exactly the versions in requirements.lock (pip, --no-deps:
# nothing outside the lock is resolved); they reinstall only when the lock or pyproject.toml changed.
# `make lock` re-resolves to the newest releases pyproject.toml allows and rewrites the lock when the tests pass.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed

.PHONY: demo test lint install lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "$$(grep -m1 '^pip==' $(LOCK))"
	$(BIN)/pip install -q --no-deps -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	bash .ci/pip-check $(BIN)/python
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/riftlab run --demo

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

# ruff (style, imports, bugbear) and the import contract (app over stages over core, pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

lock:
	PYTHON=$(PYTHON) bash .ci/lock

clean:
	rm -rf $(VENV) data reports
