# mockgraph: `make serve` runs the mock, `make test` runs every test. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SDK_STAMP := $(VENV)/.installed-sdk
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
STATEFUL ?=
STORE ?=
SERVE_FLAGS := $(if $(STATEFUL),--stateful) $(if $(STORE),--store $(STORE))
PAGES := $(sort $(wildcard openapi/source/*.md))
CONTRACT := openapi/privilegedoperationevents.yaml
# Cases per operation for `make contract` (`make test` uses contracts/schemathesis.toml's 50).
CONTRACT_EXAMPLES ?= 300

.PHONY: serve test lint openapi contract bench clean

$(STAMP): setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The official Graph SDK, for tests only: `make serve` never pays for it.
$(SDK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,sdk]'
	touch $(SDK_STAMP)

serve: $(STAMP)
	$(BIN)/mockgraph serve --host $(HOST) --port $(PORT) --workers $(WORKERS) $(SERVE_FLAGS)

test: $(SDK_STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check mockgraph tests contracts
	$(BIN)/ruff format --check mockgraph tests contracts

openapi: $(STAMP)
	$(BIN)/mockgraph derive $(PAGES) --supplement openapi/supplement.yaml -o $(CONTRACT)

contract: $(STAMP)
	MOCKGRAPH_CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(BIN)/python -m pytest -q contracts

# mockgraph beside a plain Flask route, a bare WSGI function and Prism (when node exists); see BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m mockgraph.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
