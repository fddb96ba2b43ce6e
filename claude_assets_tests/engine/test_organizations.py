"""A platform team syncs two organizations from one code location, configured in one file."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import httpx
import pytest

from claude_assets.definitions import build_definitions
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import OrganizationsConfigError, named, parse
from claude_assets.ops.backfill import asset_ranges
from claude_assets_tests.helpers import TODAY, two_organizations

DAY = TODAY - dt.timedelta(days=5)


@pytest.fixture
def organizations(tmp_path, monkeypatch):
    with Emulator(EmulatorConfig(seed=1, users=6, rate_limit_per_minute=0)) as acme, \
            Emulator(EmulatorConfig(seed=2, users=9, rate_limit_per_minute=0)) as globex:
        monkeypatch.setenv("ACME_ANTHROPIC_ADMIN_API_KEY", acme.admin_key)
        monkeypatch.setenv("ACME_ANTHROPIC_ANALYTICS_API_KEY", acme.analytics_key)
        monkeypatch.setenv("GLOBEX_ADMIN_KEY", globex.admin_key)
        monkeypatch.setenv("GLOBEX_ANALYTICS_KEY", globex.analytics_key)
        yield acme, globex, parse(two_organizations(acme, globex, tmp_path))


def served_emails(emu: Emulator) -> set[str]:
    """Who the organization's own API lists as active on DAY."""
    reply = httpx.get(f"{emu.url}/v1/organizations/analytics/users", params={"date": DAY.isoformat()},
                      headers={"x-api-key": emu.analytics_key})
    return {user["user"]["email_address"] for user in reply.json()["data"]}


def run(defs: dg.Definitions, *assets: str):
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        partition_key=DAY.isoformat(), asset_selection=[dg.AssetKey.from_user_string(a) for a in assets],
        raise_on_error=False,
    )


def test_each_organization_lands_in_its_own_lake_with_its_own_keys(organizations, tmp_path):
    acme, globex, orgs = organizations
    defs = build_definitions(orgs)
    keys = {s.key.to_user_string() for s in defs.resolve_all_asset_specs()}
    assert {"acme/claude_code_usage", "globex/claude_code_usage", "globex/claude_code_user_daily"} <= keys
    assert len(keys) == 2 * 21

    result = run(defs, "acme/enterprise_user_activity", "globex/enterprise_user_activity")
    assert result.success

    acme_users = Lake(str(tmp_path / "acme")).read_day("enterprise_user_activity", DAY).to_pandas()
    globex_users = Lake(str(tmp_path / "globex")).read_day("enterprise_user_activity", DAY).to_pandas()
    # each emulator was asked for the day once, and only with its own organization's Analytics key (which was also
    # asked its organization, as /users names none)
    for emu in (acme, globex):
        stats = emu.stats.snapshot()
        assert set(stats["by_key_kind"]) == {"analytics"} and stats["by_path"]["/v1/organizations/analytics/users"] == 1
    assert set(acme_users["email"]) == served_emails(acme) and set(globex_users["email"]) == served_emails(globex)
    assert not set(acme_users["email"]) & set(globex_users["email"])
    paths = {e.materialization.asset_key.to_user_string(): e.materialization.metadata["path"].value
             for e in result.get_asset_materialization_events()}
    assert paths["globex/enterprise_user_activity"].startswith(str(tmp_path / "globex"))


def test_an_organization_without_its_key_names_its_own_variable(organizations, monkeypatch):
    acme, globex, orgs = organizations
    monkeypatch.delenv("GLOBEX_ANALYTICS_KEY")
    result = run(build_definitions(orgs), "acme/enterprise_user_activity", "globex/enterprise_user_activity")
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["globex__enterprise_user_activity"], "acme still syncs"
    message = failures[0].step_failure_data.error.to_string()
    assert "Set GLOBEX_ANALYTICS_KEY" in message


def test_a_key_of_the_wrong_organization_is_rejected_naming_the_variable_to_fix(organizations, monkeypatch):
    acme, globex, orgs = organizations
    monkeypatch.setenv("GLOBEX_ANALYTICS_KEY", acme.analytics_key)  # pasted into the wrong variable
    result = run(build_definitions(orgs), "globex/enterprise_user_activity")
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.to_string()
    assert "rejected the key in GLOBEX_ANALYTICS_KEY" in message
    assert acme.analytics_key not in message


def test_a_backfill_covers_every_organization_or_the_one_named(organizations, monkeypatch, tmp_path):
    acme, globex, orgs = organizations
    ranges = asset_ranges(["api_cost"], orgs)
    assert sorted(ranges) == ["acme/api_cost", "globex/api_cost"]
    config = tmp_path / "organizations.yaml"
    config.write_text(two_organizations(acme, globex, tmp_path))
    monkeypatch.setenv("CLAUDE_ASSETS_ORGANIZATIONS", str(config))
    assert [o.name for o in named(["globex"])] == ["globex"]
    with pytest.raises(OrganizationsConfigError, match="Unknown organization.*initech.*configured: acme, globex"):
        named(["initech"])


def test_each_organization_has_its_own_pool_and_rate_budget(organizations):
    acme, globex, orgs = organizations
    defs = build_definitions(orgs)
    pools = {spec.key.to_user_string(): assets_def.node_def.pool
             for assets_def in defs.assets for spec in assets_def.specs if spec.kinds & {"anthropic"}}
    assert pools["acme/claude_code_usage"] == "anthropic_admin_api_acme"
    assert pools["globex/enterprise_user_activity"] == "anthropic_analytics_api_globex"
    assert defs.resources["acme_analytics_api"].organization == "acme"
    assert defs.resources["globex_analytics_api"].organization == "globex"


@pytest.mark.parametrize("text, says", [
    ("organizations:\n  Acme Corp:\n    data_dir: /x", "lower-case letters"),
    ("organizations:\n  acme:\n    base_url: http://x", "set `data_dir`"),
    ("organizations:\n  acme:\n    data_dir: /x\n    analytics_api_key_env: sk-ant-api01-abc", "holds a key"),
    ("organizations:\n  a:\n    data_dir: s3://lake/x\n  b:\n    data_dir: s3://lake/x/b", "would share the lake"),
    ("organizations:\n  acme:\n    data_dir: /x\n    datadir: /y", "unknown setting(s) datadir"),
    ("orgs: {}", "no `organizations:`"),
])
def test_a_wrong_organizations_file_says_what_to_change(text, says):
    with pytest.raises(OrganizationsConfigError, match=None) as error:
        parse(text, "organizations.yaml")
    assert says in str(error.value) and "organizations.yaml" in str(error.value)


@pytest.mark.parametrize("first, second", [
    ("{tmp}/x/shared", "{tmp}/x/./shared/"), ("{tmp}/x//shared", "{tmp}/y/../x/shared"),
    ("{tmp}/x/shared", "{tmp}/x/./shared//b"), ("s3://lake/x/shared", "s3://lake/x/./shared/"),
    ("s3://lake//x/shared/", "s3://lake/x/shared/b"), ("s3://user:secretpw@lake/x", "s3://user:secretpw@lake/./x"),
])
def test_two_spellings_of_one_lake_are_refused_as_shared(first, second, tmp_path):
    text = f"organizations:\n  a:\n    data_dir: {first}\n  b:\n    data_dir: {second}\n".replace("{tmp}", str(tmp_path))
    with pytest.raises(OrganizationsConfigError, match="would share the lake") as error:
        parse(text, "organizations.yaml")
    assert "secretpw" not in str(error.value), "credentials in a data_dir are not repeated"


def test_lakes_side_by_side_are_not_shared(tmp_path):
    text = f"organizations:\n  a:\n    data_dir: {tmp_path}/x/shared\n  b:\n    data_dir: {tmp_path}/x/./shared2/\n"
    assert [o.name for o in parse(text, "organizations.yaml")] == ["a", "b"]
