# Every target installs what it needs into a local virtual environment (.venv).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run runs app chromium test test-fast bench bench-workflow lint format calibrate validate votes analyse clean clean-outputs

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,app]'
	@touch $(STAMP)

run: $(STAMP)  ## the main job: every strategy on common seeds, with figures
	$(PY) -m experiments.run $(ARGS)

runs: $(STAMP)  ## list saved runs and analyses: date, experiment, overrides, size, status
	$(PY) -m experiments.runs $(ARGS)

app: $(STAMP)  ## the dashboard on http://127.0.0.1:8765 (e.g. ARGS="--port 8800")
	$(PY) -m experiments.app $(ARGS)

CHROMIUM ?= /usr/bin/chromium
chromium:  ## Debian's chromium for the browser tests (playwright cannot download browsers here)
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "error: $(CHROMIUM) not found: run 'sudo apt-get install -y chromium'"; exit 1; fi; }

test: $(STAMP) chromium  ## the whole test suite, slow end-to-end and browser tests included
	$(PY) -m pytest -q $(ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser" $(ARGS)

bench: $(STAMP)
	$(PY) -m experiments.bench $(ARGS)

bench-workflow: $(STAMP)  ## memory of 1,000,000 summaries-only replicates; plotting 20,000 seeds
	$(PY) -m experiments.bench_workflow $(ARGS)

calibrate: $(STAMP)
	$(PY) -m experiments.calibrate $(ARGS)

validate: $(STAMP)
	$(PY) -m experiments.validate $(ARGS)

votes: $(STAMP)  ## e.g. make votes ARGS="date=2022-10-12 kind=punitive"
	$(PY) -m experiments.votes $(ARGS)

analyse: $(STAMP)  ## which strategy is robust; e.g. make analyse ARGS="--dry-run"
	$(PY) -m experiments.analyse $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check sim experiments tests
	$(PY) -m ruff format --check sim experiments tests

format: $(STAMP)
	$(PY) -m ruff format sim experiments tests
	$(PY) -m ruff check --fix sim experiments tests

clean-outputs: $(STAMP)  ## remove temporary files left by interrupted runs; list interrupted runs
	$(PY) -m experiments.clean $(ARGS)

clean:
	rm -rf $(VENV) outputs multirun
