# The project's vocabulary. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
BIN := $(abspath $(VENV))/bin
JOBS ?= 2
# sam and cargo-lambda come from the project's virtualenv; SAM finds `cargo lambda` on PATH.
TOOLS_PATH := PATH="$(BIN):$$PATH" SAM_CLI_TELEMETRY=0

.PHONY: help tools test lint bootstrap build deploy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

tools: $(VENV)/.installed ## install sam, cfn-lint and cargo-lambda into .venv (PyPI)

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

test: ## run every test, offline
	cargo test -j $(JOBS)

lint: tools ## cargo fmt --check, clippy -D warnings, cfn-lint and sam validate --lint on template.yaml
	cargo fmt --all -- --check
	cargo clippy -j $(JOBS) --all-targets -- -D warnings
	$(BIN)/cfn-lint template.yaml
	$(TOOLS_PATH) $(BIN)/sam validate --lint --template template.yaml --region us-east-1

bootstrap: ## release build of the function for this machine: target/release/bootstrap
	cargo build --release -j $(JOBS)

build: tools ## sam build: cargo lambda builds bootstrap for arm64 (provided.al2023)
	$(TOOLS_PATH) $(BIN)/sam build

deploy: build ## sam deploy --guided, into the account of your AWS credentials
	$(TOOLS_PATH) $(BIN)/sam deploy --guided

clean: ## remove build output and the virtualenv
	rm -rf .aws-sam $(VENV)
	cargo clean
