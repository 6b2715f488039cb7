# Two commands do all set-up on a fresh machine (Python 3.11):
#   make demo   materialize the whole default graph
#   make test   run the test suite
#   make ui     open the Dagster UI on http://127.0.0.1:3000
#   make mlflow open the MLflow UI on http://127.0.0.1:5000
VENV        ?= .venv
PYTHON      ?= python3
BIN         := $(VENV)/bin
INSTALLED   := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home

.PHONY: setup demo test ui mlflow bench clean

setup: $(INSTALLED)

# Reinstalls only when the lock or the project metadata change.
$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

demo: setup
	$(BIN)/prefinery demo

test: setup
	$(BIN)/python -m pytest

ui: setup
	$(BIN)/python -c "from orchestration.launch import dagster_home; dagster_home()"
	$(BIN)/dagster dev --workspace workspace.yaml --host 127.0.0.1 --port 3000

mlflow: setup
	$(BIN)/mlflow ui --backend-store-uri "$$($(BIN)/python -c 'from models.tracking import default_tracking_uri; print(default_tracking_uri())')" --host 127.0.0.1 --port 5000

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf var dbt_project/target dbt_project/logs
