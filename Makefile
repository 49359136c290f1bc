# Data-engineering drills on Deno. Start with `make demo`, then `make test`.
#
# Everything is installed on first use: Deno (pinned, from npm) into .tools/,
# the services into ~/.cache/de-drills (see infra/services.sh).

DENO_VERSION := 2.9.6
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The `deno` on PATH when it is the pinned version, else the one in .tools/.
DENO := $(shell d=$$(command -v deno 2>/dev/null) && "$$d" --version 2>/dev/null | grep -q "^deno $(DENO_VERSION) " && echo "$$d" || echo "$(CURDIR)/.tools/node_modules/.bin/deno")
export DENO

# Every exercise with a demo.ts takes part in `make demo` and has an exNN target.
EXERCISES := $(sort $(patsubst exercises/%/demo.ts,%,$(wildcard exercises/*/demo.ts)))
SERVICES := infra/services.sh
COMPOSE := infra/compose.sh

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18
	@printf '%-18s%s\n' exNN "run one exercise's demo natively: $(addprefix ex,$(EXERCISES))"

# --- set-up ------------------------------------------------------------------

$(CURDIR)/.tools/node_modules/.bin/deno:
	npm install --prefix .tools --no-audit --no-fund --loglevel=error deno@$(DENO_VERSION)

.PHONY: deno
deno: $(DENO) ## Install the pinned Deno if the one on PATH is not it
	@"$(DENO)" --version | head -1

.PHONY: deps
deps: deno ## Install the npm packages locked in deno.lock
	"$(DENO)" install --frozen --quiet

# `make services KAFKA_NODES=3`: Kafka as three brokers and three controllers.
KAFKA_NODES ?= 1

.PHONY: services
services: deps ## Install (once) and start Kafka, Redis, S3 (versitygw), DynamoDB Local
	KAFKA_NODES=$(KAFKA_NODES) $(SERVICES) up

.PHONY: services-down
services-down: ## Stop the native services
	$(SERVICES) down

.PHONY: services-status
services-status: ## Show which native services are up, with pid and memory
	$(SERVICES) status

# --- the two commands in the README -----------------------------------------

.PHONY: demo
demo: services ## Run every exercise end to end against the real services
	"$(DENO)" task demo

.PHONY: test
test: services compose-check ## Run the whole test suite against the real services
	"$(DENO)" task test

.PHONY: check
check: services compose-check shellcheck ## Quality gate: lint, format check, type check, tests
	"$(DENO)" task check

.PHONY: compose-check
compose-check: ## Validate every exercise's compose file set and lint the Dockerfiles (no engine needed)
	$(COMPOSE) check

.PHONY: shellcheck
shellcheck: ## Lint the shell scripts (installs shellcheck from Debian if missing)
	@command -v shellcheck >/dev/null || { apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; }
	shellcheck infra/*.sh infra/lambda/*.sh infra/lambda/bootstrap infra/docker/*/*.sh infra/docker/kafka/run infra/docker/kafka/bin/*.sh exercises/*/*.sh .ci/run

.PHONY: bench
bench: services bench-tools ## Throughput ratios against the reference tools, same machine, same run
	"$(DENO)" task bench

.PHONY: bench-python
bench-python: services bench-tools ## The Python stack doing the same work (Kafka clients, Celery, Flask, FastAPI, Lambda cold start)
	"$(DENO)" run -A --frozen infra/bench/python/mod.ts

.PHONY: bench-tools
bench-tools: ## Install the load tools the benches compare with (wrk from Debian; the Python stack into a cache)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	@infra/bench/python/env.sh >/dev/null

# --- one exercise ------------------------------------------------------------

.PHONY: $(addprefix ex,$(EXERCISES))
$(addprefix ex,$(EXERCISES)): ex%: services
	"$(DENO)" task demo $*

ex%-up: ## exNN-up: the exercise and its services in Docker (needs a Docker engine)
	$(COMPOSE) up $*

ex%-down: ## exNN-down: stop and remove the exercise's containers
	$(COMPOSE) down $*

ex%-logs: ## exNN-logs: follow the exercise's container logs
	$(COMPOSE) logs $*

.PHONY: test-docker
test-docker: deno ## Build the images and run the compose stacks on a real engine (a private one if none answers)
	infra/docker.sh test
