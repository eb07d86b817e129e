# Every target installs what it needs into a virtual environment of its own Python
# (.venv-3.13, ...); .venv links to the one last used, so `.venv/bin/python` works too.
# The interpreter: PYTHON=... if given, else the newest supported python3.1x on PATH that runs.
SUPPORTED := 3.14 3.13 3.12 3.11
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for v in $(SUPPORTED); do python$$v -c '' >/dev/null 2>&1 && { echo python$$v; break; }; done)
endif
PYINFO := $(if $(PYTHON),$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2], sys.executable)' 2>/dev/null))
PYVER := $(word 1,$(PYINFO))
VENV := .venv-$(PYVER)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: python run app chromium test test-fast bench bench-workflow lint format calibrate validate votes votes-nested runs analyse clean clean-outputs

python:  ## which interpreter the targets use (one line), or what to install
	@if [ -z "$(PYTHON)" ]; then echo "error: no Python 3.11 to 3.14 found on PATH: install python3.13 (or pass PYTHON=/path/to/python3.x)"; exit 1; fi
	@if [ -z "$(PYVER)" ]; then echo "error: PYTHON=$(PYTHON) does not run: install it or pass PYTHON=/path/to/python3.x (3.11 to 3.14)"; exit 1; fi
	@if [ -z "$(filter $(PYVER),$(SUPPORTED))" ]; then echo "error: $(PYTHON) is Python $(PYVER); supported are 3.11 to 3.14: install python3.13 (or pass PYTHON=/path/to/python3.x)"; exit 1; fi
	@if [ -d .venv ] && ! [ -L .venv ]; then rm -rf .venv; fi
	@ln -sfn $(VENV) .venv
	@echo "Python $(PYVER): $(word 2,$(PYINFO)) (environment $(VENV))"

$(STAMP): pyproject.toml | python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,app]'
	@touch $(STAMP)

run: python $(STAMP)  ## the main job: every strategy on common seeds, with figures
	$(PY) -m experiments.run $(ARGS)

runs: python $(STAMP)  ## list saved runs and analyses: date, experiment, overrides, size, status
	$(PY) -m experiments.runs $(ARGS)

app: python $(STAMP)  ## the dashboard on http://127.0.0.1:8765 (e.g. ARGS="--port 8800")
	$(PY) -m experiments.app $(ARGS)

CHROMIUM ?= /usr/bin/chromium
chromium:  ## Debian's chromium for the browser tests (playwright cannot download browsers here)
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "error: $(CHROMIUM) not found: run 'sudo apt-get install -y chromium'"; exit 1; fi; }

TEST_WORKERS ?= 2
test: python $(STAMP) chromium  ## the whole test suite, slow end-to-end and browser tests included, on 2 workers (TEST_WORKERS=...)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(ARGS)

test-fast: python $(STAMP)  ## the quick loop: no slow or browser tests, on 2 workers (TEST_WORKERS=...)
	$(PY) -m pytest -q -m "not slow and not browser" -n $(TEST_WORKERS) --dist worksteal $(ARGS)

bench: python $(STAMP)
	$(PY) -m experiments.bench $(ARGS)

bench-workflow: python $(STAMP)  ## memory of 1,000,000 summaries-only replicates; plotting 20,000 seeds
	$(PY) -m experiments.bench_workflow $(ARGS)

calibrate: python $(STAMP)
	$(PY) -m experiments.calibrate $(ARGS)

validate: python $(STAMP)
	$(PY) -m experiments.validate $(ARGS)

votes: python $(STAMP)  ## e.g. make votes ARGS="date=2022-09-01 kind=punitive features.reparations=true"
	$(PY) -m experiments.votes $(ARGS)

votes-nested: python $(STAMP)  ## nested leave-one-resolution-out of the vote forecasts (about 5 minutes)
	$(PY) -m experiments.calibration.votenested $(ARGS)

analyse: python $(STAMP)  ## which strategy is robust; e.g. make analyse ARGS="--dry-run"
	$(PY) -m experiments.analyse $(ARGS)

lint: python $(STAMP)
	$(PY) -m ruff check sim experiments tests
	$(PY) -m ruff format --check sim experiments tests

format: python $(STAMP)
	$(PY) -m ruff format sim experiments tests
	$(PY) -m ruff check --fix sim experiments tests

clean-outputs: python $(STAMP)  ## remove temporary files left by interrupted runs; list interrupted runs
	$(PY) -m experiments.clean $(ARGS)

clean:  ## every environment (all Pythons) and results
	rm -rf .venv .venv-3.* outputs multirun
