"""MLflow: where runs, metrics, model artifacts and registered versions go.

By default a SQLite store in the state folder (``var/mlflow/mlflow.db``) with artifacts
beside it (``var/mlflow/artifacts``); ``PREFINERY_MLFLOW_URI`` points elsewhere (a
tracking server, another database). The client is used directly: every call names its
run, so nothing depends on MLflow's process-global "active run".

    .venv/bin/mlflow ui --backend-store-uri sqlite:///$PWD/var/mlflow/mlflow.db

serves the UI on http://127.0.0.1:5000. MLflow is imported only when a ``Tracking`` is
made: it takes seconds, and Dagster imports this module in every step process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from prefinery.settings import PROJECT_ROOT, Settings

URI_ENV = "PREFINERY_MLFLOW_URI"
EXPERIMENT = "prefinery-reward-models"
REGISTERED_MODEL = "prefinery-reward-model"
UI_URL = "http://127.0.0.1:5000"
_BATCH = 1000  # MLflow's limit of metrics per log_batch call
_PARAM_BATCH = 100


def default_tracking_uri(settings: Settings | None = None) -> str:
    """``PREFINERY_MLFLOW_URI``, else a SQLite store under the state folder."""
    explicit = os.environ.get(URI_ENV)
    if explicit:
        return explicit
    state = (settings or Settings.from_env()).state_dir
    return f"sqlite:///{state / 'mlflow' / 'mlflow.db'}"


def local_store(tracking_uri: str) -> Path | None:
    """The folder of a SQLite store (artifacts go beside it), or None for other stores."""
    prefix = "sqlite:///"
    return Path(tracking_uri[len(prefix) :]).parent if tracking_uri.startswith(prefix) else None


def git_commit() -> tuple[str, bool]:
    """The checkout's commit and whether tracked files have uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return commit, bool(changes)


def lineage_tags() -> dict[str, str]:
    """Git tags for a run: MLflow's own commit tag (shown in its UI) and ours."""
    commit, dirty = git_commit()
    return {"git.commit": commit, "git.dirty": str(dirty).lower(), "mlflow.source.git.commit": commit}


class Tracking:
    """One experiment and one registered model on one tracking store."""

    def __init__(
        self,
        tracking_uri: str,
        experiment: str = EXPERIMENT,
        registered_model: str = REGISTERED_MODEL,
        ui_url: str = UI_URL,
    ):
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.registered_model = registered_model
        self.ui_url = ui_url.rstrip("/")
        store = local_store(tracking_uri)
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        self.artifact_root = None if store is None else (store / "artifacts").resolve().as_uri()
        from mlflow import MlflowClient

        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in Dagster's logs
        self.client = MlflowClient(tracking_uri, registry_uri=tracking_uri)

    def experiment_id(self) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(self.experiment)
        if found is not None:
            return found.experiment_id
        try:
            return self.client.create_experiment(self.experiment, artifact_location=self.artifact_root)
        except MlflowException:  # another run created it in between
            return self.client.get_experiment_by_name(self.experiment).experiment_id

    def start_run(self, name: str, tags: Mapping[str, str]) -> tuple[str, str]:
        """(experiment id, run id) of a new run."""
        experiment_id = self.experiment_id()
        run = self.client.create_run(experiment_id, run_name=name, tags=dict(tags))
        return experiment_id, run.info.run_id

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        items = [Param(k, str(v)) for k, v in params.items()]
        for start in range(0, len(items), _PARAM_BATCH):
            self.client.log_batch(run_id, params=items[start : start + _PARAM_BATCH])

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_metrics(self, run_id: str, rows: Iterable[tuple[str, float, int]]) -> None:
        """(key, value, step) rows, in batches of MLflow's limit."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(key, float(value), now, step) for key, value, step in rows]
        for start in range(0, len(metrics), _BATCH):
            self.client.log_batch(run_id, metrics=metrics[start : start + _BATCH])

    def log_dataset(self, run_id: str, name: str, version: str, source: str, split: str) -> None:
        """The dataset version as the run's input: the UI shows its name and digest."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        dataset = Dataset(name=name, digest=version, source_type="prefinery_lake", source=source)
        self.client.log_inputs(run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", split)])])

    def log_artifacts(self, run_id: str, directory: Path, artifact_path: str) -> str:
        """Upload a folder; returns its artifact URI."""
        self.client.log_artifacts(run_id, str(directory), artifact_path)
        return f"{self.client.get_run(run_id).info.artifact_uri}/{artifact_path}"

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status)

    def register(self, run_id: str, source: str, tags: Mapping[str, str], alias: str) -> str:
        """A new version of the registered model pointing at ``source``; returns the version."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.registered_model)
        except MlflowException:
            with contextlib.suppress(MlflowException):  # another run may register it in between
                self.client.create_registered_model(
                    self.registered_model,
                    description="Prefinery reward models. Each version's tags name the dataset version "
                    "it was trained on, the MLflow run and the Dagster run.",
                )
        version = self.client.create_model_version(
            self.registered_model, source=source, run_id=run_id, tags=dict(tags)
        ).version
        self.client.set_registered_model_alias(self.registered_model, alias, version)
        return str(version)

    def run_url(self, experiment_id: str, run_id: str) -> str:
        return f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"

    def ui_command(self) -> str:
        return f".venv/bin/mlflow ui --backend-store-uri {self.tracking_uri}"
