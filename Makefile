# Volumer: the two commands that do everything on a fresh machine are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE ?= node

.PHONY: help setup build test test-unit test-integration run services-up services-down services-status bench bench-engine bench-processor bench-edge typecheck clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

setup: ## install what is missing (apt packages, node_modules with the Kafka client build, Kafka jars), then build
	@scripts/setup.sh
	@$(MAKE) --no-print-directory build

build: ## compile TypeScript to dist/ (the volumer CLI runs from there)
	@npx tsc -p tsconfig.json
	@echo "build: ok (dist/)"

typecheck: ## type-check src, tests and benchmarks
	@npx tsc -p tsconfig.json --noEmit
	@npx tsc -p tsconfig.test.json --noEmit

test: setup services-up ## install, start Kafka + Postgres, run every test (unit, property, integration, e2e)
	@scripts/run-tests.sh

test-unit: ## only the tests that need no services
	@scripts/run-tests.sh --unit

run: setup ## start the whole system embedded (in-process log, PGlite, generator) and print the dashboard URL
	@$(NODE) --max-semi-space-size=16 bin/volumer.js run $(RUN_ARGS)

services-up: ## start Kafka (KRaft), Postgres and the schema registry at the CLI's default addresses (idempotent)
	@scripts/services.sh start

services-down: ## stop them
	@scripts/services.sh stop

services-status:
	@scripts/services.sh status

bench: bench-engine bench-processor bench-edge ## every benchmark; figures in bench/results/*.json

bench-engine:
	@npm run --silent bench:engine

bench-processor: services-up
	@npm run --silent bench:processor

bench-edge:
	@npm run --silent bench:edge

clean: ## remove build output and local service data
	rm -rf dist .run
