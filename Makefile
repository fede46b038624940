# The README's two commands: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
LAB := $(VENV)/bin/lab
STAMP := $(VENV)/.installed
# The systems of the main job (comma-separated; default: every registered system) and the tiers
# (default: each system's own sweep, which it sizes so that the whole job fits in ten minutes).
SYSTEMS ?=
TIERS ?=
TIER_OPTION := $(if $(TIERS),--tiers $(TIERS))
# Where `make publish` writes: the committed reference (records, reports, the README's table).
PUBLISHED := results

.PHONY: install run publish test lint bench asv clean

$(STAMP): pyproject.toml
	@# valgrind counts instructions (lab sweep --metric instructions); installed where missing, if we may
	command -v valgrind >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq valgrind) >/dev/null 2>&1 || echo "valgrind not installed: no instruction counts"
	@# wrk drives the load tests of a served app; without it, lab's own Python client does
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq wrk) >/dev/null 2>&1 || echo "wrk not installed: load tests use lab's Python client"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,peers,services,report,scale]"
	touch $(STAMP)

install: $(STAMP)

## The main job: each system's own sweep (one axis at a time around the reference), the course's
## claims checked, then REPORT.md and report.html, all of this machine, under results/local
## (git-ignored: a user's runs never change tracked files).
run: install
	$(LAB) sweep $(SYSTEMS) $(TIER_OPTION)
	$(LAB) verify $(if $(SYSTEMS),--systems $(SYSTEMS)) $(TIER_OPTION)
	$(LAB) report

## The main job into the committed reference (results/), and the README's performance table.
publish: install
	LAB_RESULTS_DIR=$(PUBLISHED) $(MAKE) --no-print-directory run
	LAB_RESULTS_DIR=$(PUBLISHED) $(LAB) report --readme README.md

## Every test: lint, then unit, property, service, memory, browser, and the benchmarks run once.
test: install
	$(VENV)/bin/ruff check lab tests benchmarks experiments
	$(PY) -m pytest -q --benchmark-disable

lint: install
	$(VENV)/bin/ruff check lab tests benchmarks experiments
	$(VENV)/bin/ruff format --check lab tests benchmarks experiments

## pytest-benchmark suites, timed.
bench: install
	$(PY) -m pytest tests/benchmarks --benchmark-only --benchmark-autosave \
		--benchmark-storage=file://results/pytest-benchmark

## asv suites on this environment (tiers: LAB_TIERS, default tiny,small,medium), published
## to results/asv-html. A fresh-clone run that builds its own virtualenv is `asv run`.
asv: install
	$(VENV)/bin/asv machine --yes --machine lab-local
	$(VENV)/bin/asv run --python=same --machine lab-local --set-commit-hash $$(git rev-parse HEAD)
	$(VENV)/bin/asv publish

clean:
	rm -rf $(VENV) .asv .pytest_cache
