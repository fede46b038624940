# The README's two commands: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
LAB := $(VENV)/bin/lab
STAMP := $(VENV)/.installed
TIERS ?= small,medium,large
# The main job varies one axis at a time around the reference (every valid combination: omit --axis).
AXES ?= engine,reader,stats,executor,quantiles

.PHONY: install run test lint bench asv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,peers,services,report,scale]"
	touch $(STAMP)

install: $(STAMP)

## The main job: every available strategy on the default tiers, the course's claims checked,
## then results/REPORT.md and results/report.html (and the README's performance table).
run: install
	$(LAB) sweep analytics --tiers $(TIERS) --axis $(AXES)
	$(LAB) verify --tiers $(TIERS)
	$(LAB) report

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
