# Local development entry points; everything lives in the devstack package (python -m devstack --help).
# `exec` makes the devstack replace the recipe's shell, so a SIGTERM that make forwards reaches it directly.
PYTHON ?= python3
VENV_PYTHON := .venv/bin/python

.PHONY: help run test unit up venv certs image-test clean

help:
	@echo "make run    install what is missing, run Kafka, PostgreSQL and the whole VTN (Ctrl-C stops);"
	@echo "            crashed processes restart; KEEP=1 keeps the data for the next run (.devstack/run/data)"
	@echo "make test   throwaway Kafka + PostgreSQL on test ports, then pytest \$$PYTEST_ARGS (default -q)"
	@echo "make unit   pytest -m 'not integration', no servers"
	@echo "make up     only Kafka and PostgreSQL on the run ports, until Ctrl-C"
	@echo "make venv   create or refresh .venv from requirements-dev.txt (runtime + tests, benchmarks, docs)"
	@echo "make certs  development CA, VTN and VEN certificates for HTTPS and signed messages (.devstack/certs)"
	@echo "make image-test  build the Docker image, run it with docker compose, an OpenLEADR VEN over HTTPS (root; ~10 min)"
	@echo "make clean  remove .devstack/, kept data included (stop running stacks first)"

# KEEP=1 (or VTN_DEVSTACK_KEEP_DATA=1 in the environment): Kafka's and PostgreSQL's data outlive the run.
run:
	exec env $(if $(KEEP),VTN_DEVSTACK_KEEP_DATA=$(KEEP)) $(PYTHON) -m devstack run

test:
	exec $(PYTHON) -m devstack test

up:
	exec $(PYTHON) -m devstack up

venv:
	$(PYTHON) -m devstack bootstrap

unit: venv
	exec $(VENV_PYTHON) -m pytest -m "not integration" $(or $(PYTEST_ARGS),-q)

certs:
	$(PYTHON) -m devstack certs

image-test:
	exec $(PYTHON) -m devstack image-test

clean:
	rm -rf .devstack
