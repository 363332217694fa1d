# transnas-repro: the README's commands. Everything a fresh machine needs is installed from here.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
JOBS ?= 2
PROFILE ?= quick
# torch's wheel index: empty = pip's configured index (here the CPU wheel); elsewhere PyPI's default wheel is the CUDA build,
# so a CPU-only machine can ask for the small one: make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
# Benchmark data: ../shared/data when it exists (never committed), else the pooch cache / download.
ifneq ($(wildcard ../shared/data/SHA256SUMS),)
export TRANSNAS_REPRO_DATA ?= $(abspath ../shared/data)
endif
export MPLBACKEND ?= Agg

.PHONY: docs install demo test test-slow lint-nbs export reproduce bench readme clean-venv lab

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e ".[dev,embeddings,ray]"
	touch $@

install: $(VENV)/.installed

## make demo: set up, verify the data, run the main job (a search on TNB micro class_object, budget 50).
demo: install
	$(BIN)/transnas-repro data verify --quiet
	$(BIN)/transnas-repro search --bench tnb101_micro --task class_object --method rea --budget 50 --seed 0

## make lab: JupyterLab on nbs/ (tutorials first), with this environment as the kernel; PORT=8888 by default.
lab: install
	$(BIN)/jupyter lab --notebook-dir=nbs --ServerApp.default_url=/lab/tree/tutorials --port=$${PORT:-8888} $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

## make test: notebooks stripped, package in sync, notebook tests, then pytest.
test: install
	@state() { git status --porcelain -- nbs transnas_repro; git diff -- nbs transnas_repro | sha1sum; }; \
	before="$$(state)"; $(BIN)/nbdev-clean; \
	if [ "$$(state)" != "$$before" ]; then echo "FAIL: nbdev-clean changed notebooks: commit them stripped"; git status --short nbs; exit 1; fi; \
	$(BIN)/nbdev-export; \
	if [ "$$(state)" != "$$before" ]; then echo "FAIL: nbdev-export changed transnas_repro/: the package is out of sync with nbs/"; git status --short transnas_repro; exit 1; fi
	$(BIN)/nbdev-test --n-workers $(JOBS) --timing
	$(BIN)/pytest -n $(JOBS) -q

## make test-slow: also the notebook cells and tests flagged slow (minutes to hours on a CPU).
test-slow: install
	$(BIN)/nbdev-test --n-workers $(JOBS) --flags slow
	$(BIN)/pytest -n $(JOBS) -q -m "slow"

export: install
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

## make reproduce [PROFILE=paper]: every registered experiment, resumable.
reproduce: install
	$(BIN)/transnas-repro reproduce all --profile $(PROFILE) --jobs $(JOBS)

## make bench: speed/scale scripts in benchmarks/, results committed as CSV.
bench: install
	for s in benchmarks/*.py; do echo "== $$s"; $(PY) $$s || exit 1; done

## make readme: regenerate README.md from nbs/index.ipynb (executed, outputs rendered).
readme: install
	$(PY) tools/make_readme.py

## make docs: the documentation site (mkdocs-material + mkdocs-jupyter + mkdocstrings), notebooks executed in the quick profile.
docs: install
	$(PY) tools/build_docs.py
	@echo "open site/index.html (or: $(PY) -m http.server -d site)"

clean-venv:
	rm -rf $(VENV)
