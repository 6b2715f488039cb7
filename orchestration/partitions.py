"""Partitions come from the registry, so adding a source adds a partition."""

from __future__ import annotations

import dagster as dg

from prefinery.parsers import PARSERS
from prefinery.registry import load_registry
from prefinery.settings import Settings

source_partitions = dg.StaticPartitionsDefinition(
    load_registry(Settings.from_env().registry_path, known_parsers=set(PARSERS)).source_ids
)
