"""Tests of the Dagster wiring: assets, checks, freshness, automation, sensors, alerts, the executor, the UI."""
