"""The benchmarks still run: each script at its tiniest scale, its figures read from its last line.

Nothing else runs them, so without this they break unnoticed until someone needs their figures.
Timings vary, so only what every run must show is asserted, whatever the day.
"""

from __future__ import annotations

import pytest

from claude_assets_tests.helpers import run_benchmark

pytestmark = pytest.mark.subprocess  # each script runs as its own process
WEEK = "7"  # days: a window this long always has weekdays, when the synthetic organization is busy


def test_the_emulator_scale_benchmark_still_runs_and_prints_its_figures(tmp_path):
    figures = run_benchmark(tmp_path, "emulator_scale.py", "--users", "5", "--days", "3")
    assert (figures["users"], figures["days"]) == (5, 3)
    assert figures["requests_served"] > 0  # the emulator counts a request just after answering it: not "=="
    assert figures["endpoints"]["/v1/organizations/usage_report/claude_code"]["requests"] == 3
    assert figures["peak_rss_mb"] > 0


@pytest.mark.slow
def test_the_year_long_backfill_benchmark_still_runs_both_passes_and_prints_its_figures(tmp_path):
    """One day of the one-endpoint calendar: pass (a), pass (b) and a one-run per-partition comparison."""
    figures = run_benchmark(tmp_path, "backfill_year.py", "--days", "1", "--users", "5", "--rate-limit", "6000",
                            "--calendars", "claude_code", "--per-partition-days", "1")
    assert figures["requests"] >= 1 and figures["ratio_to_floor"] > 0
    assert figures["wall_s_unlimited"] > 0 and figures["rows_per_s"] >= 0  # yesterday may have been a quiet Sunday
    assert figures["speedup_vs_per_partition"] > 0 and figures["peak_rss_mb"] > 0


def test_the_telemetry_ingest_benchmark_still_runs_and_prints_its_figures(tmp_path):
    figures = run_benchmark(tmp_path, "telemetry_ingest.py", "--users", "20", "--days", WEEK)
    assert figures["delta_mb_per_min"] > 0 and figures["cumulative_mb_per_min"] > 0
    assert figures["peak_rss_mb"] > 0


def test_the_telemetry_writer_benchmark_still_runs_and_prints_its_figures(tmp_path):
    figures = run_benchmark(tmp_path, "telemetry_write.py", "--users", "5", "--days", "3")
    assert (figures["users"], figures["days"], figures["temporality"]) == (5, 3, "delta")
    assert figures["files"] >= 1 and figures["lines"] > 0 and figures["points"] > 0
    assert figures["peak_rss_mb"] > 0


def test_the_telemetry_year_benchmark_still_reads_a_short_and_a_long_range_and_prints_their_memory(tmp_path):
    figures = run_benchmark(tmp_path, "telemetry_year.py", "--users", "20", "--days", "35")
    assert set(figures) == {"users", "30_days", "35_days"}
    for name, days in (("30_days", 30), ("35_days", 35)):
        assert figures[name]["days"] == days and figures[name]["rows"] > 0 and figures[name]["peak_rss_mb"] > 0


def test_the_history_join_benchmark_still_runs_and_prints_its_figures(tmp_path):
    figures = run_benchmark(tmp_path, "history_join.py", "--users", "20", "--days", WEEK)
    assert figures["days"] == int(WEEK) and figures["rows"] > 0
    assert figures["same_rows"] is True, "the asset and the plain DuckDB query must produce the same rows"
    assert figures["asset_s"] > 0 and figures["duckdb_s"] > 0 and figures["dagster_s"] > 0 and figures["ratio"] > 0
    assert figures["peak_rss_mb"] > 0 and figures["peak_rss_month_mb"] > 0


def test_the_raw_answers_benchmark_still_runs_and_rebuilds_what_it_fetched(tmp_path):
    figures = run_benchmark(tmp_path, "raw_answers.py", "--days", WEEK, "--users", "10")
    assert figures["rows"] > 0 and figures["raw_mb"] > 0 and figures["raw_mb_per_year"] > 0
    assert figures["rebuilt_equal"] is True and figures["rebuild_s"] > 0


def test_the_launch_speed_benchmark_still_times_a_dg_launch_and_prints_its_figures(tmp_path):
    """One `dg launch` only: the daemon backfill pass starts a daemon and a webserver, too long for a smoke run."""
    figures = run_benchmark(tmp_path, "launch_speed.py", "--repeat", "1", "--skip-backfill")
    assert figures["repeat"] == 1 and len(figures["launch_all_s"]) == 1
    assert figures["launch_s"] > 0 and figures["launch_cpu_s"] > 0 and "backfill_s" not in figures
