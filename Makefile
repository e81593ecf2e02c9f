# The two set-up commands of the README: `make samples` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup samples test clean

setup: $(VENV)/.installed
	@scripts/setup-system.sh
	@$(BIN)/python -m formgen.writers.fonts

$(VENV)/.installed: pyproject.toml
	@scripts/setup-system.sh  # python3-venv first, where Debian lacks it
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

samples: setup
	$(BIN)/formgen build samples -o output

test: setup
	@scripts/setup-system.sh --office
	$(BIN)/python -m pytest -q

clean:
	rm -rf output $(VENV)
