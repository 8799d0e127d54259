# Retention Studio: `make run` starts the app, `make test` runs every test (browser and Spark included).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/warehouse.duckdb
PORT ?= 8501
# pytest-xdist workers for `make test`; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

.PHONY: run test lint format bench chromium java

$(VENV)/.stamp-runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Retention Studio needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.stamp-runtime
	$(BIN)/python -m retention init --db $(DB)
	RETENTION_DB=$(DB) $(BIN)/streamlit run app.py --server.port $(PORT)

# Debian's Chromium drives the browser test; Playwright never downloads a browser of its own.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's headless Java runtime runs the Spark engine's tests (PySpark starts a JVM).
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing Debian's default-jre-headless for the Spark tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }

# --dist loadfile keeps each test file on one worker, so module-scoped fixtures (fitted models, the browser
# test's Streamlit server) are built once; session fixtures are built once per worker.
test: $(VENV)/.stamp-dev chromium java
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.stamp-dev
	for bench in $(filter-out benchmarks/scale_bench.py benchmarks/engine_bench.py,$(wildcard benchmarks/*_bench.py)); do $(BIN)/python $$bench || exit 1; done
