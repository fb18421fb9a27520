# dlgrade: two commands do everything on a fresh machine.
#   make demo   create the environment, then run the main job
#   make test   create the environment, then run ruff, mypy and the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# PyTorch 2.13.0 CPU is the test oracle; this machine keeps its wheel on disk (PIP_FIND_LINKS).
WHEELS ?= /opt/wheels
PIP_FLAGS := --disable-pip-version-check $(if $(wildcard $(WHEELS)),--find-links $(WHEELS))

.PHONY: venv system node test lint typecheck pytest demo bench bench-quiz lock clean

# System packages: bubblewrap (the sandbox) and Debian's chromium (the browser tests of the quiz page
# and the hub). Installed with apt when missing and we are root (CI and the course machines);
# otherwise the command to run is printed.
system:
	@missing=""; command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

# From the npm registry: configurable-http-proxy, JupyterHub's proxy (the hub's end-to-end tests), and
# gift-pegjs, an independent GIFT parser that reads our quiz exports back.
NODE_PACKAGES := configurable-http-proxy@5.3.0 gift-pegjs@1.0.2
NODE_STAMP := .cache/node/.installed
node: $(NODE_STAMP)
$(NODE_STAMP): Makefile
	npm install --silent --no-audit --no-fund --prefix .cache/node $(NODE_PACKAGES)
	touch $@

venv: $(STAMP) system node

$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --quiet --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install $(PIP_FLAGS) --quiet --no-deps --no-build-isolation -e .
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

pytest: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: venv
	$(BIN)/dlgrade demo

bench: venv
	$(BIN)/python benchmarks/reference_vs_torch.py

bench-quiz: venv
	$(BIN)/python benchmarks/quiz_load.py --plot build/quiz_load.png

# Re-resolve the pinned environment from pyproject.toml (needs the package registry).
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install $(PIP_FLAGS) --quiet '.[dev]'
	{ echo "# Pinned environment for dlgrade (runtime, tests and the torch CPU oracle)."; \
	  echo "# Regenerate with: make lock"; \
	  .lockvenv/bin/pip freeze --all --exclude dlgrade --exclude pip | sed 's/+cpu$$//'; } > requirements/lock.txt
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) .cache/node .mypy_cache .ruff_cache .pytest_cache .hypothesis
