# voiceops.platform — developer commands. Every target sets up what it needs.
SHELL := /bin/bash
SCENARIO ?=

.PHONY: help test setup lint sanity unit build molecule lab lab-down bench

help:
	@echo "make test                 - everything (host setup, lint, sanity, unit, build, molecule); ends with 'N passed, N failed'"
	@echo "make lint|sanity|unit|build - one stage"
	@echo "make molecule SCENARIO=x  - one molecule scenario (all when SCENARIO is empty)"
	@echo "make lab / make lab-down  - the four lab containers with site.yml applied / removed"
	@echo "make bench                - converge, re-run and round-trip figures on the lab"

test:
	@scripts/test.sh all

setup:
	@scripts/host-setup.sh && scripts/venv.sh

lint:
	@scripts/test.sh lint

sanity:
	@scripts/test.sh sanity

unit:
	@scripts/test.sh unit

build:
	@scripts/test.sh build

molecule:
	@scripts/test.sh molecule $(SCENARIO)

lab:
	@scripts/lab.sh up

lab-down:
	@scripts/lab.sh down

bench:
	@scripts/bench.sh
