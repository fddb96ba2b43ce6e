"""The Dagster wiring: asset factories, checks, freshness, automation, sensors, alerts, resources and jobs."""
