# Zhoujing Cloud Window. `make run` and `make test` work on a fresh machine with Python 3.11,
# pip and make: uv is bootstrapped into .tools/ when it is not on PATH.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
PYTHON := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: run test install migrate lint bench clean

run: install ## Start nats-server and the four services; Ctrl-C stops them all
	@$(PYTHON) deploy/local/launch.py

test: install ## Run the whole suite (PostgreSQL too when TEST_POSTGRES_URL is set)
	$(PYTHON) -m pytest -n 2 --dist loadfile

install: $(UV)
	@$(UV) sync --frozen --quiet

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

migrate: install ## Bring every service's database to the latest migration
	@for s in services/*/; do $(PYTHON) -m alembic -c $$s/alembic.ini upgrade head || exit 1; done

lint: install ## ruff and mypy
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

bench: install ## Print the benchmark figures (docs/performance.md explains them)
	$(PYTHON) bench/bus.py
	$(PYTHON) bench/queue.py

clean:
	rm -rf .venv .tools var .pytest_cache .mypy_cache .ruff_cache
