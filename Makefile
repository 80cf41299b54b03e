# Two entry points on a fresh clone: `make demo` and `make test`. Everything else is a
# building block of those two.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# dbt reads the project-local profiles.yml; featureops finds the project here.
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export PATH := $(BIN):$(PATH)

.PHONY: install demo test lint data build clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

data: install
	featureops generate

build: data
	dbt build

demo: build
	featureops validate
	featureops list

test: install
	pytest

lint: install
	sqlfluff lint models tests/dbt
	ruff check featureops tests benchmarks

clean:
	rm -rf target logs data artifacts .pytest_cache
