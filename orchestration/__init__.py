"""Dagster wiring: Definitions, resources, partitions, jobs, and the dbt project handle."""

import warnings

import dagster as dg

# Single-run backfills and partitioned asset checks are chosen on purpose (one run per
# backfill; a conservation result per source); their beta/preview notices are noise.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
