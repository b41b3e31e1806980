# Two commands matter: `make serve` and `make test`. Everything else is a helper they share.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
RUNTIME := $(VENV)/.installed-runtime
NPM    := node_modules/.bin/buf
# System tools the test suite drives for real (command:Debian package); kubectl renders the manifests,
# chromium (with chromedriver) renders the rule playground.
SYSTEM_TOOLS := prometheus:prometheus promtool:prometheus kubectl:kubernetes-client \
                chromium:chromium chromedriver:chromium-driver
PROTO  := protos/sitrep/v1/extraction.proto
GEN    := service/proto/sitrep/v1/extraction_pb2.py

.PHONY: eval eval-invented serve test lint typecheck unit unit-fast proto lock clean bench system-tools image image-test client k8s-rules k8s-rules-yaml backfill-test

# `make serve` needs the runtime lock only; the dev tools come with `make test`.
$(RUNTIME): requirements.lock pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --require-hashes -r requirements.lock
	$(BIN)/pip install --no-deps --no-build-isolation -e . -e clients/python
	touch $@

$(STAMP): $(RUNTIME) requirements-dev.lock
	$(BIN)/pip install --require-hashes -r requirements.lock -r requirements-dev.lock
	touch $@

# buf (proto lint, breaking-change check, `buf curl` for the non-Python client test), from the npm lock.
$(NPM): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-tools:
	scripts/ensure_system_tools.sh $(SYSTEM_TOOLS)

$(GEN): $(PROTO) scripts/gen_proto.py $(STAMP)
	$(BIN)/python scripts/gen_proto.py
	$(BIN)/python clients/python/gen_stubs.py
	touch $@

proto: $(GEN)

serve: $(RUNTIME)
	$(BIN)/sitrep serve --rules rules

lint: $(STAMP) $(GEN)
	$(BIN)/ruff check service tests scripts bench clients
	$(BIN)/ruff format --check service tests scripts bench clients

typecheck: $(STAMP) $(GEN)
	$(BIN)/mypy service

unit: $(STAMP) $(GEN) $(NPM) system-tools
	CI=true $(BIN)/python -m pytest -q -m "not soak and not image and not spark"

# The fast tier alone: no model load, no server (a few seconds; README, Tests).
unit-fast: $(STAMP) $(GEN)
	$(BIN)/python -m pytest -q -m fast

test: lint typecheck unit

# The Spark backfill (docs/backfill.md): the spark extra's lock and a Java 17 runtime (Debian's
# openjdk-17-jre-headless), then its tests on Spark's local mode. Not part of `make serve` or the image.
SPARK := $(VENV)/.installed-spark
$(SPARK): $(STAMP) requirements-spark.lock
	scripts/ensure_system_tools.sh java:openjdk-17-jre-headless
	$(BIN)/pip install --require-hashes -r requirements.lock -r requirements-dev.lock -r requirements-spark.lock
	touch $@

backfill-test: $(SPARK) $(GEN)
	CI=true $(BIN)/python -m pytest -q -m spark tests/test_backfill.py

# Rule-pack quality on every gold file (README "Measured figures"); the dev files sit beside the repo.
GOLD := seeds/seed_gold.jsonl $(wildcard ../shared/data/dev/*.jsonl)
eval: $(RUNTIME)
	@for gold in $(GOLD); do $(BIN)/sitrep eval $$gold --rules rules || exit 1; echo; done

# The invented stories of seeds/invented/ (README there): text written by people who saw no rule.
eval-invented: $(RUNTIME)
	@for gold in seeds/invented/*.jsonl; do $(BIN)/sitrep eval $$gold --rules rules || exit 1; echo; done

# Throughput, latency and memory (docs/performance.md); BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP) $(GEN)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Regenerate the hashed locks (pip-tools comes with the dev lock). Index settings stay in the
# user's pip configuration, never in the locks. Extras stay in the locks (`smart-open[http]`, which
# weasel asks for): a fresh venv's pip 23 otherwise takes the newest release for the extra and
# refuses it as unpinned under --require-hashes.
LOCK_FLAGS := -q --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements.lock requirements.in
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements-dev.lock requirements-dev.in
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements-spark.lock requirements-spark.in

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# The Python client's stubs (clients/python), generated from the same protos as the server's
# (`make proto` regenerates both).
client: $(STAMP)
	$(BIN)/python clients/python/gen_stubs.py

# The container image (buildah, podman or docker; a Debian-built base where no registry answers),
# and its end-to-end check: non-root, read-only root, health, Extract, /metrics, SIGTERM, size.
IMAGE ?= localhost/sitrep:0.1.0
image: $(RUNTIME)
	$(BIN)/python scripts/build_image.py --tag $(IMAGE) --build-arg REVISION=$$(git rev-parse HEAD) \
	  --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ)

image-test: $(STAMP) $(GEN)
	SITREP_IMAGE=$(IMAGE) $(BIN)/python -m pytest -q -s -m image tests/test_image.py

# One ConfigMap per rule file (sitrep-rules-<file stem>), rendered from rules/ at deploy time
# (nothing is copied into the repository), for overlays with k8s/components/rules-configmap,
# which projects them all into one directory; see docs/operations.md.
NAMESPACE ?= sitrep
k8s-rules-yaml:
	@for f in rules/*.yaml rules/*.yml; do \
	  [ -f "$$f" ] || continue; n=$$(basename "$$f"); echo ---; \
	  kubectl create configmap "sitrep-rules-$${n%.*}" --from-file="$$f" --dry-run=client -o yaml || exit 1; \
	done

k8s-rules:
	$(MAKE) -s k8s-rules-yaml | kubectl apply --server-side -n $(NAMESPACE) -f -
