# Every target bootstraps .venv from the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SEED := $(VENV)/seed

.PHONY: dashboards test bench fuzz lint check peers clean-venv

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required" or 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	# qortex's observability package is what the integration tests drive;
	# its other dependencies (numpy, fastmcp, ...) are not needed for that.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps qortex==0.3.0
	# compat mode: a plain .pth entry, no import hook to pay for at every start of `check`
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
		--config-settings editable_mode=compat -e .
	# qortex 0.3.0's source release holds the seed dashboard and stack config
	# that the parity tests compare against; it is read, never copied here.
	rm -rf $(SEED) && mkdir -p $(SEED)
	$(BIN)/pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: qortex==0.3.0 -d $(SEED)
	tar -xzf $(SEED)/qortex-0.3.0.tar.gz -C $(SEED)
	touch $(STAMP)

dashboards: $(STAMP)
	$(BIN)/metrics-contract generate

check: $(STAMP)
	$(BIN)/metrics-contract check

test: $(STAMP)
	$(BIN)/python -m pytest

# the Go-built Collector and Prometheus 3 of the live tests, cached by their go.mod/go.sum
peers: $(STAMP)
	$(BIN)/python -m tests.peer_bins

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests -k fuzz

lint: $(STAMP)
	$(BIN)/ruff check contract dashboards generators tests
	$(BIN)/mypy --strict contract dashboards generators

clean-venv:
	rm -rf $(VENV)
