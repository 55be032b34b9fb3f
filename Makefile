# Entry points. The two a new user needs (see README):
#   make lab    set everything up and run the main job against the local lab
#   make test   lint + unit tests + every Molecule scenario, ends with pass/fail
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PROJECT_ROOT := $(CURDIR)
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# The lab's moto stands in for AWS: the controller's AWS modules reach it
# through the SDK's own setting, not a role variable (tests give their own
# moto's port and URL to each run they start).
export LAB_MOTO_PORT ?= 5005
export LAB_REGISTRY_PORT ?= 5006
export AWS_ENDPOINT_URL := http://127.0.0.1:$(LAB_MOTO_PORT)

.PHONY: help bootstrap images lint unit integration molecule test lab lab-down benchmark benchmark-backup benchmark-recover benchmark-migrate

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## Install what the lab and the tests need (idempotent)
	@scripts/bootstrap.sh

images: ## Bootstrap, and build or reuse the lab's container images (beside the .venv)
	@scripts/bootstrap.sh images

lint: bootstrap ## yamllint --strict and ansible-lint (production profile)
	@scripts/test.sh lint

unit: bootstrap ## Unit tests (tests/unit): seconds, no container, no moto server
	@scripts/test.sh unit

integration: bootstrap ## pytest suites against moto servers of their own (no containers)
	@scripts/test.sh integration

molecule: images ## Every Molecule scenario (roles/*/*/molecule/*, molecule/*)
	@scripts/test.sh molecule

test: images ## Run every test: lint, unit, Molecule; ends with a pass/fail line
	@scripts/test.sh all

lab: images ## Bring up the local lab and converge it with site.yml
	@scripts/lab.sh up

lab-down: ## Remove the lab's containers, networks and moto server
	@scripts/lab.sh down

benchmark: images ## Time cold and warm runs; writes docs/benchmarks.md figures to stdout
	@scripts/benchmark.sh

benchmark-backup: ## Time the database backups, restores and the Spot notice path (lab up)
	@scripts/benchmark-backup.sh

benchmark-recover: ## Time each recovery path of the dev host, RTO side by side (lab up; replaces the dev host)
	@PYTHONPATH=lab/testlib python scripts/benchmark_recover.py

benchmark-migrate: ## Time the RDS migration's dump, import and verification: fixture and 200 MB (lab up)
	@PYTHONPATH=lab/testlib python scripts/benchmark_migrate.py
