"""A data engineer reads cost and usage from the recommended Usage and Cost Analytics API, with either key.

One synthetic organization stands behind two configured ones: `console` has only an Admin key (a
Claude Console organization), `enterprise` only an Analytics key (a Claude Enterprise one). Both
materialize `claude_usage` and `claude_cost` over a month and must agree, day by day, with the legacy
reports of the same organization.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal

import dagster as dg
import pandas as pd
import pytest

from claude_assets.definitions import build_definitions
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.endpoint import MAX_GROUP_BY
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import parse
from claude_assets.engine.tables import flatten
from claude_assets.sources import ENDPOINTS
from claude_assets.sources.common import LEGACY_NOTE
from claude_assets.sources.usage_cost_analytics import CLAUDE_USAGE
from claude_assets_tests.helpers import TODAY, failure

# its module fixture builds a lake once: every test of the module on one xdist worker, not once per worker
pytestmark = pytest.mark.xdist_group("test_usage_cost_analytics")

DAYS = [TODAY - dt.timedelta(days=n) for n in range(35, 5, -1)]  # 30 settled-enough days, inside every window
DAY = DAYS[-1]
TOKENS = ["uncached_input_tokens", "cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens",
          "cache_read_input_tokens", "output_tokens"]
LEGACY = {a for e in ENDPOINTS if e.legacy for a in e.assets}
BY = ["date", "model", "product"]


def organizations_file(emu: Emulator, lakes, **extra: dict) -> str:
    def entry(name: str, admin: str, analytics: str) -> str:
        lines = [f"  {name}:", f"    admin_api_key_env: {admin}", f"    analytics_api_key_env: {analytics}",
                 f"    data_dir: {lakes / name}", f"    base_url: {emu.url}",
                 "    admin_requests_per_minute: 6000", "    analytics_requests_per_minute: 6000"]
        lines += [f"    {k}: {json.dumps(v)}" for k, v in extra.get(name, {}).items()]
        return "\n".join(lines)

    return "organizations:\n" + "\n".join([entry("console", "CONSOLE_ADMIN_KEY", "CONSOLE_ANALYTICS_KEY"),
                                           entry("enterprise", "ENTERPRISE_ADMIN_KEY", "ENTERPRISE_ANALYTICS_KEY")])


@pytest.fixture(scope="module")
def emu():
    now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    with Emulator(EmulatorConfig(seed=12, users=8, rate_limit_per_minute=0, now=now)) as emulator:
        yield emulator


@pytest.fixture
def keys(emu, monkeypatch):
    """The Console organization has only its Admin key, the Enterprise one only its Analytics key."""
    for name in ("CONSOLE_ANALYTICS_KEY", "ENTERPRISE_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONSOLE_ADMIN_KEY", emu.admin_key)
    monkeypatch.setenv("ENTERPRISE_ANALYTICS_KEY", emu.analytics_key)


def run(defs: dg.Definitions, assets: list[str], days: list[dt.date]):
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        tags={"dagster/asset_partition_range_start": days[0].isoformat(),
              "dagster/asset_partition_range_end": days[-1].isoformat()},
        asset_selection=[dg.AssetKey.from_user_string(a) for a in assets], raise_on_error=False)


def table(lakes, org: str, asset: str) -> pd.DataFrame:
    return Lake(str(lakes / org)).read_asset(asset).to_pandas()


def legacy_reports(lakes, admin: str, enterprise: str) -> pd.DataFrame:
    """The organization's legacy reports of one kind: the Console's (which has no product) and the seats'."""
    return pd.concat([table(lakes, "console", admin).assign(product=None), table(lakes, "enterprise", enterprise)])


def per_day(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.groupby(BY, dropna=False)[columns].sum().sort_index()


@pytest.fixture(scope="module")
def month(emu, tmp_path_factory):
    """Both organizations' new and legacy cost and usage assets over the same 30 days."""
    lakes = tmp_path_factory.mktemp("lakes")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CONSOLE_ADMIN_KEY", emu.admin_key)
        env.setenv("ENTERPRISE_ANALYTICS_KEY", emu.analytics_key)
        env.delenv("CONSOLE_ANALYTICS_KEY", raising=False)
        env.delenv("ENTERPRISE_ADMIN_KEY", raising=False)
        defs = build_definitions(parse(organizations_file(emu, lakes)))
        emu.stats.reset()
        result = run(defs, ["console/claude_usage", "console/claude_cost", "console/api_messages_usage",
                            "console/api_cost", "enterprise/claude_usage", "enterprise/claude_cost",
                            "enterprise/enterprise_usage", "enterprise/enterprise_cost"], DAYS)
        stats = emu.stats.snapshot()
    assert result.success, failure(result)
    return lakes, defs, stats


def test_each_organization_reads_the_new_api_with_the_key_it_has(month):
    lakes, defs, stats = month
    assert set(stats["by_status"]) == {"200"}, "every request was answered: none over the group_by cap, none refused"
    assert stats["by_path"]["/v1/organizations/analytics/usage"] >= 2 * 3  # 3 groupings for each organization
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert "Key: CONSOLE_ADMIN_KEY" in specs["console/claude_cost"].description
    assert "Key: ENTERPRISE_ANALYTICS_KEY" in specs["enterprise/claude_cost"].description
    for org in ("console", "enterprise"):
        for asset in ("claude_usage", "claude_cost"):
            assert Lake(str(lakes / org)).days(asset) == DAYS


def test_a_request_never_groups_by_more_than_five_dimensions(month):
    lakes, _, _ = month
    kept = [json.loads(gzip.decompress(path.read_bytes())) for path in (lakes / "console" / "_raw").rglob("*.json.gz")]
    queries = [(answer["endpoint"], part["query"]) for answer in kept for part in answer.get("parts", [answer])]
    assert queries and max(len(q.get("group_by[]", [])) for _, q in queries) <= MAX_GROUP_BY
    grouped = {(endpoint, tuple(q["group_by[]"])) for endpoint, q in queries if endpoint in ("claude_usage", "claude_cost")}
    assert len(grouped) == 7, "claude_usage's three groupings and claude_cost's four"


@pytest.mark.parametrize("org", ["console", "enterprise"])
def test_usage_per_day_model_and_product_equals_the_legacy_reports(month, org):
    lakes, _, _ = month
    usage = table(lakes, org, "claude_usage")
    expected = per_day(legacy_reports(lakes, "api_messages_usage", "enterprise_usage"), TOKENS)
    assert expected.to_numpy().sum() > 0
    for grouping, rows in usage.groupby("grouping"):
        pd.testing.assert_frame_equal(per_day(rows, TOKENS), expected, check_dtype=False, obj=f"grouping {grouping}")


@pytest.mark.parametrize("org", ["console", "enterprise"])
def test_cost_per_day_model_and_product_equals_the_legacy_reports_to_the_cent(month, org):
    lakes, _, _ = month
    cost = table(lakes, org, "claude_cost")
    expected = per_day(legacy_reports(lakes, "api_cost", "enterprise_cost"), ["amount_cents"])["amount_cents"]
    assert isinstance(cost["amount_cents"].dropna().iloc[0], Decimal), "money stays exact"
    for grouping, rows in cost.groupby("grouping"):
        got = per_day(rows, ["amount_cents"])["amount_cents"]
        assert got.index.equals(expected.index), grouping
        assert (got - expected).abs().max() < Decimal("0.01"), grouping


def test_cost_reconciliation_takes_billed_cost_from_claude_cost(emu, keys, tmp_path):
    defs = build_definitions(parse(organizations_file(emu, tmp_path)))
    result = run(defs, ["enterprise/claude_cost", "enterprise/enterprise_user_cost",
                        "enterprise/cost_reconciliation", "enterprise/org_daily_overview"], [DAY])
    assert result.success, failure(result)
    metadata = {e.materialization.asset_key.to_user_string(): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    used = metadata["enterprise/cost_reconciliation"]["sources_used"].value
    assert "claude_cost" in used and "enterprise_user_cost" not in used

    reconciliation = table(tmp_path, "enterprise", "cost_reconciliation")
    cost = table(tmp_path, "enterprise", "claude_cost")
    code = cost[(cost["grouping"] == "actor") & (cost["product"] == "claude_code") & cost["email"].notna()]
    assert reconciliation["billed_usd"].sum() == pytest.approx(code["amount_usd"].sum())
    assert len(reconciliation) and reconciliation["billed_usd"].notna().all()

    overview = table(tmp_path, "enterprise", "org_daily_overview").iloc[0]
    assert overview["cost_source"] == "claude_cost"
    assert overview["billed_cost_usd"] == pytest.approx(cost.loc[cost["grouping"] == "actor", "amount_usd"].sum())


def test_with_both_keys_the_organization_says_which_one_speaks(emu, monkeypatch, tmp_path):
    for name, key in (("CONSOLE_ADMIN_KEY", emu.admin_key), ("CONSOLE_ANALYTICS_KEY", emu.analytics_key)):
        monkeypatch.setenv(name, key)
    by_default = build_definitions(parse(organizations_file(emu, tmp_path)))
    chosen = build_definitions(parse(organizations_file(emu, tmp_path, console={"usage_cost_key": "admin"})))
    for defs, kind, variable in ((by_default, "analytics", "CONSOLE_ANALYTICS_KEY"), (chosen, "admin", "CONSOLE_ADMIN_KEY")):
        spec = next(s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == "console/claude_usage")
        assert f"Key: {variable}" in spec.description
        emu.stats.reset()
        assert run(defs, ["console/claude_usage"], [DAY]).success
        assert emu.stats.snapshot()["by_key_kind"] == {kind: 3}


def test_with_neither_key_the_error_names_both_variables(emu, monkeypatch, tmp_path):
    for name in ("CONSOLE_ADMIN_KEY", "CONSOLE_ANALYTICS_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = run(build_definitions(parse(organizations_file(emu, tmp_path))), ["console/claude_cost"], [DAY])
    assert not result.success
    message = failure(result)
    assert "CONSOLE_ANALYTICS_KEY" in message and "CONSOLE_ADMIN_KEY" in message and "either key" in message


def test_legacy_reports_say_so_and_can_be_turned_off(emu, keys, tmp_path):
    defs = build_definitions(parse(organizations_file(emu, tmp_path, enterprise={"legacy_usage_cost": False})))
    keys_of = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert LEGACY_NOTE in keys_of["console/enterprise_cost"].description
    assert LEGACY_NOTE not in keys_of["console/claude_cost"].description
    assert {f"console/{a}" for a in LEGACY} <= set(keys_of)
    assert not {f"enterprise/{a}" for a in LEGACY} & set(keys_of), "turned off: not synced, not scheduled"
    assert "enterprise/claude_cost" in keys_of
    downstream = keys_of["enterprise/cost_reconciliation"]
    assert {d.asset_key.to_user_string() for d in downstream.deps} == {
        "enterprise/claude_code_telemetry", "enterprise/claude_code_model_usage", "enterprise/claude_cost"}


@pytest.mark.parametrize("amounts", ["string", "number"])
def test_amounts_are_read_exactly_whether_strings_or_numbers(amounts, tmp_path, monkeypatch):
    now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    with Emulator(EmulatorConfig(seed=12, users=8, rate_limit_per_minute=0, now=now,
                                 usage_cost_amounts=amounts)) as other:
        monkeypatch.setenv("ENTERPRISE_ANALYTICS_KEY", other.analytics_key)
        result = run(build_definitions(parse(organizations_file(other, tmp_path))), ["enterprise/claude_cost"], [DAY])
    assert result.success, failure(result)
    cost = table(tmp_path, "enterprise", "claude_cost")
    assert cost["amount_cents"].notna().all() and cost["extra"].isna().all()


def test_what_the_docs_leave_open_is_kept_not_fatal(emu, keys, tmp_path):
    """Null requests, a new group key, a new product, no envelope: kept as sent, the day still lands."""
    emu.faults.drift_next(3, set={"usage.requests": None, "group.team_id": "team_7", "group.product": "claude_new"})
    result = run(build_definitions(parse(organizations_file(emu, tmp_path))), ["enterprise/claude_usage"], [DAY])
    assert result.success, failure(result)
    usage = table(tmp_path, "enterprise", "claude_usage")
    assert usage["requests"].isna().all() and set(usage["product"]) == {"claude_new"}
    assert {json.loads(e)["group.team_id"] for e in usage["extra"]} == {"team_7"}
    [event] = [e for e in result.get_asset_materialization_events()]
    assert event.materialization.metadata["extra_field_names"].value == "group.team_id"

    page = {"data": [{"starting_at": f"{DAY}T00:00:00Z", "ending_at": f"{DAY + dt.timedelta(days=1)}T00:00:00Z",
                      "group": {"model": "claude-x"}, "usage": {"output_tokens": 5}}]}
    endpoint = next(e for e in ENDPOINTS if e.name == "claude_usage")
    flat, _ = flatten(CLAUDE_USAGE, endpoint.records(page), {"date": DAY})
    row = flat.table.to_pylist()[0]
    assert row["output_tokens"] == 5 and row["data_refreshed_at"] is None and row["organization_id"] is None
