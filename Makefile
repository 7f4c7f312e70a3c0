# The two commands of the README:
#   make serve   install into .venv and run the product on embedded PostgreSQL and Redis
#   make test    install into .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test install system-deps lint bench chat clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/lendline serve

# The browser and voice tests drive real Chromium and make real speech with espeak-ng and sox.
SYSTEM_TOOLS := chromium espeak-ng sox
system-deps:
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update && apt-get install -y --no-install-recommends $$missing; \
		else \
			echo "The tests need:$$missing (e.g. sudo apt-get install$$missing)" >&2; exit 1; \
		fi; \
	fi

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

chat: $(STAMP)
	$(BIN)/lendline chat

bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) data
