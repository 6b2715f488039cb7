"""Prefinery's domain logic: plain Python over Arrow tables, no Dagster (see docs/architecture.md)."""
