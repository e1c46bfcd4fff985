# The two commands the README names. Each sets itself up on a fresh machine.
#   make demo   JupyterLab on notebooks/ against the built-in API simulator
#   make test   lint + the whole test suite (simulator over HTTP, notebooks, real browser)
# Both install the test and store extras: the demo notebooks include the research store.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint bench chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,store]'
	touch $(STAMP)

# Debian's chromium: the browser-download step of test tools cannot work here.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

demo: $(STAMP)
	$(BIN)/ut-notebook demo

lint: $(STAMP)
	$(BIN)/ruff check ut_notebook tests benchmarks
	$(BIN)/ruff format --check ut_notebook tests benchmarks

test: $(STAMP) chromium lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.details
	$(BIN)/python -m benchmarks.sync
	$(BIN)/python -m benchmarks.cached_reload --sessions 2000 --runs 7
	$(BIN)/python -m benchmarks.import_time

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
