"""Resources, swapped per deployment by environment variables (see prefinery.settings)."""

from __future__ import annotations

import os
from collections.abc import Callable

import dagster as dg

from models.tracking import EXPERIMENT, REGISTERED_MODEL, UI_URL, Tracking, default_tracking_uri
from prefinery.dataroot import FileResolver
from prefinery.parsers import PARSERS
from prefinery.registry import Registry, load_registry
from prefinery.settings import Settings
from prefinery.storage import Lake


class PrefineryResource(dg.ConfigurableResource):
    """Where the lake, registry and source files are. Unset fields come from the
    environment (PREFINERY_HOME, PREFINERY_LAKE, PREFINERY_REGISTRY, PREFINERY_DATA_ROOT)."""

    home: str | None = None

    def settings(self) -> Settings:
        env = dict(os.environ)
        if self.home:
            env["PREFINERY_HOME"] = self.home
        return Settings.from_env(env)

    def lake(self) -> Lake:
        return Lake(self.settings().lake_root)

    def registry(self) -> Registry:
        return load_registry(self.settings().registry_path, known_parsers=set(PARSERS))

    def resolver(self, log: Callable[[str], None]) -> FileResolver:
        return FileResolver(self.settings(), log=log)


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking and registry for reward models. Unset ``tracking_uri``:
    PREFINERY_MLFLOW_URI, else SQLite at <PREFINERY_HOME>/mlflow/mlflow.db, artifacts beside it."""

    tracking_uri: str | None = None
    experiment: str = EXPERIMENT
    registered_model: str = REGISTERED_MODEL
    ui_url: str = UI_URL

    def tracking(self) -> Tracking:
        uri = self.tracking_uri or default_tracking_uri()
        return Tracking(uri, self.experiment, self.registered_model, self.ui_url)
