"""The joined user-day history: the APIs before a user turned telemetry on, telemetry after."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from claude_assets.defs.assets.history import claude_code_user_daily
from claude_assets.defs.assets.telemetry import claude_code_telemetry
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine.lake import Lake
from claude_assets.engine.telemetry.metrics import MEASURE_COLUMNS
from claude_assets.sources import RAW_TABLES
from claude_assets.sources.telemetry import TELEMETRY_TABLE
from claude_assets_tests.helpers import TODAY, materialize, run

NEWEST = TODAY - dt.timedelta(days=3)  # the engagement calendar's newest day


@pytest.fixture(scope="module")
def organization():
    with Emulator(EmulatorConfig(seed=8, users=40, rate_limit_per_minute=0)) as emu:
        yield emu


def a_user_who_turned_telemetry_on_recently(org):
    for user in org.users:
        on = user.telemetry_enabled_on
        if on and NEWEST - dt.timedelta(days=60) <= on <= NEWEST - dt.timedelta(days=3):
            days = [on + dt.timedelta(days=n) for n in range(-3, 4)]
            active = {d for d in days for r in org.claude_code_records(d)
                      if r["actor"].get("email_address") == user.email}
            if any(d < on for d in active) and any(d >= on for d in active):
                return user, days
    raise AssertionError("every synthetic organization has a member who turned telemetry on ten days before its "
                         "clock's yesterday (emulator.people.ANCHORS); this one has none inside the window")


def test_source_switches_to_telemetry_on_the_day_it_was_turned_on(organization, tmp_path):
    user, days = a_user_who_turned_telemetry_on_recently(organization.org)
    # the default, realistic clients: some send account ids and no e-mail (found through the Enterprise users'
    # ids), API keys send only a user.id (rows of their own, which must not disturb the members')
    write_telemetry(organization.org, tmp_path / "otel", days[0], days[-1], undercount=0.0)
    for assets in (["claude_code_usage", "claude_code_model_usage"], ["enterprise_user_activity"],
                   ["enterprise_user_usage"], ["enterprise_user_cost"]):
        assert materialize(organization, str(tmp_path / "lake"), assets, days=days).success
    read = run([claude_code_telemetry], tmp_path / "lake", days, tmp_path / "otel")
    joined = run([claude_code_user_daily], tmp_path / "lake", days)

    lake = Lake(str(tmp_path / "lake"))
    history = lake.read_asset("claude_code_user_daily").to_pandas()
    for result, asset in ((read, "claude_code_telemetry"), (joined, "claude_code_user_daily")):
        recorded = [e.materialization.metadata for e in result.get_asset_materialization_events()]
        assert [m["day_rows"].value for m in recorded] == [lake.day_rows(asset, d) for d in days]
        # the row count the asset page shows: the whole table, not the day recorded last
        assert {m["dagster/row_count"].value for m in recorded} == {len(lake.read_asset(asset))}, asset
    mine = history[history["email"] == user.email.lower()].set_index("date")
    on = user.telemetry_enabled_on
    assert set(mine.loc[[d for d in mine.index if d < on], "source"]) == {"claude_code_report"}
    assert set(mine.loc[[d for d in mine.index if d >= on], "source"]) == {"telemetry"}
    for d in mine.index:
        truth = [r for r in organization.org.claude_code_records(d) if r["actor"].get("email_address") == user.email]
        assert mine.loc[d, "lines_added"] == sum(r["core_metrics"]["lines_of_code"]["added"] for r in truth)
        assert mine.loc[d, "commits"] == sum(r["core_metrics"]["commits_by_claude_code"] for r in truth)
        multi_edits = sum(r["tool_actions"]["multi_edit_tool"]["accepted"] for r in truth)
        assert mine.loc[d, "multi_edit_accepted"] == multi_edits, "only the report counts MultiEdit, on every day"
        if d >= on:
            assert mine.loc[d, "lines_added_delta"] == 0, "without lost exports telemetry agrees with the report"
            assert mine.loc[d, "edit_accepted_delta"] == 0, "edits are compared like with like (no MultiEdit)"
        else:
            assert mine.loc[d, ["lines_added_delta"]].isna().all()
    assert history["email"].str.lower().equals(history["email"]), "one identity per user, whatever the case"
    assert not history.duplicated(subset=["date", "email"]).any()


def test_an_organization_with_only_an_analytics_key_still_gets_its_history(organization, tmp_path):
    days = [NEWEST - dt.timedelta(days=2), NEWEST - dt.timedelta(days=1)]
    for assets in (["enterprise_user_activity"], ["enterprise_user_usage"], ["enterprise_user_cost"]):
        assert materialize(organization, str(tmp_path), assets, days=days).success
    result = run([claude_code_user_daily], tmp_path, days)
    history = Lake(str(tmp_path)).read_asset("claude_code_user_daily").to_pandas()
    assert len(history) > 0 and set(history["source"]) == {"enterprise_users"}
    # tokens and cost come from the Enterprise usage and cost reports, which bill seat users only
    assert history["output_tokens"].notna().any() and history["cost_usd"].notna().any()
    used = result.get_asset_materialization_events()[0].materialization.metadata["sources_used"].value
    assert "enterprise_user_activity" in used and "claude_code_usage" not in used


def test_the_user_day_columns_are_the_documented_contract():
    from claude_assets.sources.claude_code_history import USER_DAILY

    measures = ["sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edit_accepted",
                "edit_rejected", "multi_edit_accepted", "multi_edit_rejected", "input_tokens", "output_tokens",
                "cache_read_tokens", "cache_creation_tokens", "cost_usd"]
    assert USER_DAILY.schema.names == ["date", "email", *measures, "source", "person",
                                       *[f"{m}_delta" for m in measures]]


def test_telemetry_without_an_e_mail_joins_its_person_or_stays_its_own_identity(tmp_path):
    """An account id finds its e-mail through the Usage and Cost Analytics API's actors; other ids stay themselves."""
    measures = dict.fromkeys(MEASURE_COLUMNS, 0)
    telemetry = [
        {"identity_source": "user.account_id", "identity": "user_01ANN", "account_id": "user_01ANN", "commits": 1},
        {"identity_source": "enduser.id", "identity": "carol@example.com", "email": "carol@example.com",
         "commits": 2},
        {"identity_source": "user.id", "identity": "install-d", "commits": 3},
        {"identity_source": "unattributed", "identity": "unattributed", "commits": 4},
    ]
    actors = [{"grouping": "actor", "actor_id": "user_01ANN", "email": "Ann@Example.com"},
              {"grouping": "actor", "actor_id": "apikey_01", "email": None}]
    lake = Lake(str(tmp_path))
    for table, rows in ((TELEMETRY_TABLE, [{**measures, "model": "claude-sonnet-4-6", **row} for row in telemetry]),
                        (RAW_TABLES["claude_usage"], actors)):
        rows = [{**row, "date": NEWEST} for row in rows]
        lake.write_day(table.asset, NEWEST, pa.Table.from_pylist(rows, schema=table.schema), {})
    run([claude_code_user_daily], tmp_path, [NEWEST])
    frame = lake.read_day("claude_code_user_daily", NEWEST).to_pandas()
    assert dict(zip(frame["email"], frame["commits"])) == {
        "ann@example.com": 1, "carol@example.com": 2, "install-d": 3, "unattributed": 4}
    assert dict(zip(frame["email"], frame["person"])) == {
        "ann@example.com": True, "carol@example.com": True, "install-d": False, "unattributed": False}, \
        "an install's user.id and unattributed telemetry are kept, but are not users"


def test_days_written_before_a_column_existed_are_still_joined(tmp_path):
    """A telemetry day from before rows named their identity (no identity columns in its file) next to a current
    one: both are read in one query, the old day's person found through its account id."""
    old_schema = pa.schema([f for f in TELEMETRY_TABLE.schema if f.name not in ("identity", "identity_source")])
    measures = dict.fromkeys(MEASURE_COLUMNS, 0)
    lake = Lake(str(tmp_path))
    older, newer = NEWEST - dt.timedelta(days=1), NEWEST
    lake.write_day(TELEMETRY_TABLE.asset, older, pa.Table.from_pylist(
        [{**measures, "date": older, "account_id": "user_01ANN", "commits": 5}], schema=old_schema), {})
    lake.write_day(TELEMETRY_TABLE.asset, newer, pa.Table.from_pylist(
        [{**measures, "date": newer, "identity_source": "user.email", "identity": "bo@example.com",
          "email": "bo@example.com", "commits": 7}], schema=TELEMETRY_TABLE.schema), {})
    for day in (older, newer):
        lake.write_day("claude_usage", day, pa.Table.from_pylist(
            [{"date": day, "grouping": "actor", "actor_id": "user_01ANN", "email": "ann@example.com"}],
            schema=RAW_TABLES["claude_usage"].schema), {})
    run([claude_code_user_daily], tmp_path, [older, newer])
    joined = {(row["date"], row["email"]): (row["commits"], row["person"])
              for row in lake.read_asset("claude_code_user_daily").to_pylist()}
    assert joined == {(older, "ann@example.com"): (5, True), (newer, "bo@example.com"): (7, True)}
