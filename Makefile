# The two commands: `make run` (local API on http://127.0.0.1:3000) and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
DATA ?= ../shared/data/polnear-train.jsonl
SCU ?= ../shared/data/scu-dev.jsonl
export SAM_CLI_TELEMETRY := 0

.PHONY: install sam-cli test lint typecheck run eval bench clean

$(VENV)/.installed: pyproject.toml $(wildcard shared/requirements*.txt)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# aws-sam-cli pins its own boto3, so it lives in a virtual environment of its own.
$(SAM_VENV)/.installed:
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q 'aws-sam-cli>=1.130'
	touch $@

sam-cli: $(SAM_VENV)/.installed

lint: install
	$(VENV)/bin/ruff check .

# shared/, infra/ and functions/ (the files in pyproject.toml's [tool.mypy]).
typecheck: install
	$(VENV)/bin/mypy

# pytest on PYTEST_WORKERS processes (pytest-xdist; `auto`: one per core, `0`: none), each with its own moto stack
# (tests/support/aws_stack.py). --dist worksteal: an idle worker takes queued tests from a busy one, so the few long
# tests (sam build, sam validate, the local stack) do not end up queued behind each other on one worker. About
# 2 minutes on 2 cores, warm (README "Development"); a cold run adds the layers' first `sam build`.
# Bytecode (and pytest's assertion-rewritten test modules) cached in .pycache/, outside the source tree: without it,
# where PYTHONDONTWRITEBYTECODE is set, every worker rewrote every test module's asserts on every run (about 4 s),
# and __pycache__ under shared/ would change sam build's cache key.
PYTEST_WORKERS ?= auto
test: install sam-cli lint typecheck
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(abspath .pycache) SAM_CLI=$(abspath $(SAM)) \
	  $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist worksteal

run: install
	$(PY) -m infra.local

# `make eval`: the rules extractor scored on both development sets (PolNeAR attributions, scu-dev sourcing), the LLM
# path's grounding under a noisy fake model over PolNeAR (infra/grounding_eval.py, held to its floors), then the
# eval-marked tests (grounding over every claim, the quality floors) on the same files.
eval: install
	$(VENV)/bin/whosaid eval $(DATA) --extractor rules
	$(VENV)/bin/whosaid eval $(SCU) --extractor rules
	$(PY) -m infra.grounding_eval $(DATA) --check
	WHOSAID_EVAL_DATA=$(abspath $(DATA)) WHOSAID_EVAL_SOURCING_DATA=$(abspath $(SCU)) \
	  $(VENV)/bin/pytest -m eval -o addopts='-q -ra'

# `make bench`: timings as ratios against same-run baselines, and rules throughput (articles/s) on DATA and scu-dev
# against a regex tokeniser. `make bench COMPARE=REV`: only DATA's throughput, REV's rules extractor (a temporary git
# worktree) against this working tree's, in alternating runs, with new/old; ROUNDS=N for more runs (default 3).
# The built layers' sizes are listed when .aws-sam/build (or BUILD_DIR=<a sam build dir>) exists.
bench: install
	$(PY) -m infra.bench --data $(DATA) $(if $(COMPARE),--compare $(COMPARE)) $(if $(ROUNDS),--rounds $(ROUNDS)) \
	  $(if $(BUILD_DIR),--build-dir $(BUILD_DIR))

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .ruff_cache .mypy_cache .pycache infra/node_modules
