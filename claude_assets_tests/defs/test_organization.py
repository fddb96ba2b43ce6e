"""Organization reports: the overview of each day, and estimated vs billed cost per user and model."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from claude_assets.definitions import build_definitions
from claude_assets.defs.assets.history import claude_code_user_daily
from claude_assets.defs.assets.organization import cost_reconciliation, org_daily_overview
from claude_assets.defs.assets.telemetry import claude_code_telemetry
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import Organization
from claude_assets_tests.helpers import TODAY, materialize, run

# its module fixture builds a lake once: every test of the module on one xdist worker, not once per worker
pytestmark = pytest.mark.xdist_group("test_organization")

DAYS = [TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=4)]
EVERY_RAW = (["claude_code_usage", "claude_code_model_usage"], ["enterprise_user_activity"], ["enterprise_summaries"],
             ["enterprise_user_usage"], ["enterprise_user_cost"], ["enterprise_cost"], ["api_cost"])


@pytest.fixture(scope="module")
def lake_of_everything(tmp_path_factory):
    root = tmp_path_factory.mktemp("everything")
    with Emulator(EmulatorConfig(seed=9, users=40, rate_limit_per_minute=0)) as emu:
        write_telemetry(emu.org, root / "otel", DAYS[0], DAYS[-1], undercount=0.0)  # realistic clients, with events
        for assets in EVERY_RAW:
            assert materialize(emu, str(root / "lake"), assets, days=DAYS).success
    run([claude_code_telemetry], root / "lake", DAYS, root / "otel")
    run([claude_code_user_daily], root / "lake", DAYS)
    run([org_daily_overview], root / "lake", DAYS)
    run([cost_reconciliation], root / "lake", DAYS)
    return Lake(str(root / "lake"))


def test_the_overview_adds_up_what_each_source_says(lake_of_everything):
    lake = lake_of_everything
    for day in DAYS:
        [row] = lake.read_day("org_daily_overview", day).to_pylist()
        [summary] = lake.read_day("enterprise_summaries", day).to_pylist()
        history = lake.read_day("claude_code_user_daily", day).to_pandas()
        cost = lake.read_day("enterprise_cost", day).to_pandas()
        assert row["daily_active_users"] == summary["daily_active_users"]
        assert row["assigned_seats"] == summary["assigned_seats"]
        assert row["claude_code_sessions"] == history["sessions"].sum()
        assert row["claude_code_users"] == history.loc[history["person"], "email"].nunique()
        assert row["enterprise_billed_cost_usd"] == pytest.approx(cost["amount_usd"].sum())
        assert row["enterprise_billed_cost_usd"] < row["enterprise_list_cost_usd"], "the organization has a discount"
        assert "api_cost" in row["sources"] and "claude_code_telemetry" in row["sources"]
    installs = [d for d in DAYS if not lake.read_day("claude_code_user_daily", d).to_pandas()["person"].all()]
    assert installs, "API-key clients known only by user.id (emulator.people.NIGHTLY_KEY's, every day) are in the " \
                     "history, and are not counted as users"


def test_cost_reconciliation_puts_estimates_beside_billed_cost(lake_of_everything):
    frame = lake_of_everything.read_asset("cost_reconciliation").to_pandas()
    both = frame.dropna(subset=["report_estimated_usd", "billed_usd"])
    assert len(both) > 0, "seat users' Claude Code cost is both estimated and billed"
    assert (both["variance_usd"] - (both["billed_usd"] - both["report_estimated_usd"])).abs().max() < 1e-9
    assert not frame.duplicated(subset=["date", "email", "model"]).any()
    assert (frame["email"] == frame["email"].str.lower()).all()


def test_an_admin_only_organization_gets_an_overview_without_enterprise_columns(tmp_path):
    with Emulator(EmulatorConfig(seed=9, users=20, rate_limit_per_minute=0)) as emu:
        for assets in (["claude_code_usage", "claude_code_model_usage"], ["api_cost"]):
            assert materialize(emu, str(tmp_path), assets, days=DAYS).success
    run([claude_code_user_daily], tmp_path, DAYS)
    run([org_daily_overview], tmp_path, DAYS)
    [row] = Lake(str(tmp_path)).read_day("org_daily_overview", DAYS[0]).to_pylist()
    assert row["daily_active_users"] is None and row["enterprise_billed_cost_usd"] is None
    assert row["claude_code_sessions"] > 0 and row["api_billed_cost_usd"] > 0


@pytest.mark.parametrize("days", [1, 3], ids=["one day", "a range"])
def test_raw_days_joined_and_reported_in_one_run_land_all_the_way_down(tmp_path, days):
    """As the UI or a backfill launches a selection of one calendar: the sync, the history and the overview in one run."""
    last = TODAY - dt.timedelta(days=3)
    wanted = [(last - dt.timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    chain = ["enterprise_user_activity", "enterprise_summaries", "claude_code_user_daily", "org_daily_overview"]
    with Emulator(EmulatorConfig(seed=9, users=12, rate_limit_per_minute=0)) as emu:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ANTHROPIC_ANALYTICS_API_KEY", emu.analytics_key)
            defs = build_definitions([Organization(data_dir=str(tmp_path / "lake"), base_url=emu.url)])
            result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
                tags={"dagster/asset_partition_range_start": wanted[0], "dagster/asset_partition_range_end": wanted[-1]},
                asset_selection=[dg.AssetKey(a) for a in chain], raise_on_error=False)
    assert result.success
    skipped = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"]
    assert not skipped, skipped
    landed: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        landed.setdefault(event.materialization.asset_key.to_user_string(), {})[event.materialization.partition] = \
            event.materialization.metadata
    assert {asset: sorted(by_day) for asset, by_day in landed.items()} == {asset: wanted for asset in chain}
    assert all(m["dagster/row_count"].value > 0 for m in landed["enterprise_user_activity"].values())
    assert landed["org_daily_overview"][wanted[-1]]["sources_used"].value == "enterprise_summaries, claude_code_user_daily"
    assert Lake(str(tmp_path / "lake")).days("org_daily_overview") == [dt.date.fromisoformat(d) for d in wanted]
