# voiceops.platform — developer commands. Every target sets up what it needs.
SHELL := /bin/bash
SCENARIO ?=
# Inventory layout of the lab: lab (the seed's four servers) or a directory of inventory/ (e.g. scale_out).
LAYOUT ?= lab

.PHONY: help test setup lint sanity unit build molecule controller13 lab lab-down lab-clean lab-switchover bench

help:
	@echo "make test                 - everything (host setup, lint, sanity, unit, build, molecule); ends with 'N passed, N failed'"
	@echo "make lint|sanity|unit|build - one stage"
	@echo "make molecule SCENARIO=x  - one molecule scenario (all when SCENARIO is empty)"
	@echo "make controller13         - sanity, unit, molecule:site and :preflight from a Debian 13 controller with the current ansible"
	@echo "make lab [LAYOUT=x]       - lab containers with site.yml then acceptance.yml applied; prints the verdict, the lab CA and secrets"
	@echo "make lab-switchover       - switch the lab's PostgreSQL primary over to a replica (NEW_PRIMARY=host to choose) and record it for later runs"
	@echo "make lab-down             - remove the lab containers (keeps apt caches, lab CA, lab secrets: it says which)"
	@echo "make lab-clean            - remove everything the lab created (containers, network, apt cache volumes, lab CA, secrets, logs)"
	@echo "make bench                - converge, re-run and round-trip figures on the lab, over ssh and docker exec (and Mitogen)"

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

controller13:
	@scripts/test.sh controller13

lab:
	@LAYOUT=$(LAYOUT) scripts/lab.sh up

lab-switchover:
	@LAYOUT=$(LAYOUT) NEW_PRIMARY=$(NEW_PRIMARY) scripts/lab.sh switchover

lab-down:
	@scripts/lab.sh down

lab-clean:
	@scripts/lab.sh clean

bench:
	@scripts/bench.sh
