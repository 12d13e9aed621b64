# Careline: `make run` starts a demo hospital; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The media engine's hot modules, compiled in place with mypyc (scripts/compile_media.py).
COMPILED := src/careline/telephony/media/compiled.sha256
MEDIA_SOURCES := $(wildcard src/careline/telephony/media/*.py)

.PHONY: run test test-fast lint bench install system system-test clean

run: system install
	$(BIN)/careline db upgrade
	$(BIN)/careline demo --if-empty
	$(BIN)/careline serve

system:
	@scripts/system-packages.sh run

system-test:
	@scripts/system-packages.sh test

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,lint]'
	touch $(STAMP)

$(COMPILED): $(STAMP) scripts/compile_media.py $(MEDIA_SOURCES)
	$(BIN)/python scripts/compile_media.py

install: $(STAMP) $(COMPILED)

test: system-test install
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider tests/unit

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

bench: system-test install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	test ! -x $(BIN)/python || $(BIN)/python scripts/compile_media.py --clean
	rm -rf $(VENV) var .mypy_cache .ruff_cache
