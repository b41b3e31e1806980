# Two commands matter: `make serve` and `make test`. Everything else is a helper they share.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROTO  := protos/sitrep/v1/extraction.proto
GEN    := service/proto/sitrep/v1/extraction_pb2.py

.PHONY: serve test lint typecheck unit proto lock clean bench

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install --no-deps --no-build-isolation -e .
	touch $@

$(GEN): $(PROTO) scripts/gen_proto.py $(STAMP)
	$(BIN)/python scripts/gen_proto.py

proto: $(GEN)

serve: $(STAMP) $(GEN)
	$(BIN)/sitrep serve --rules rules

lint: $(STAMP) $(GEN)
	$(BIN)/ruff check service tests scripts bench
	$(BIN)/ruff format --check service tests scripts bench

typecheck: $(STAMP) $(GEN)
	$(BIN)/mypy service

unit: $(STAMP) $(GEN)
	$(BIN)/python -m pytest -q -m "not soak"

test: lint typecheck unit

# Throughput, latency and memory (docs/performance.md); BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP) $(GEN)
	$(BIN)/python -m bench $(BENCH_ARGS)

lock:
	pip-compile -q --generate-hashes --allow-unsafe --strip-extras -o requirements.lock requirements.in
	pip-compile -q --generate-hashes --allow-unsafe --strip-extras -o requirements-dev.lock requirements-dev.in

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
