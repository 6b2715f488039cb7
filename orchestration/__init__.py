"""Dagster wiring: Definitions, resources, partitions, jobs, and the dbt project handle."""
