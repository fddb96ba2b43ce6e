"""A good day is never lost: a worse answer is quarantined, what the API said is kept and can rebuild any
day without a request, and faults on the wire leave the lake exactly as a clean run does."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import TODAY, failure, materializations, materialize

# Settled (engagement settles three days after the day ends), inside every calendar and window, and a weekday:
# the emulator's two anchors and its weekday regular (emulator.people) are active on it, so it has three rows or
# more and a third of them is far fewer.
DAY = next(d for d in (TODAY - dt.timedelta(days=n) for n in (5, 6, 7)) if d.weekday() < 5)
DAYS = [TODAY - dt.timedelta(days=n) for n in (9, 8, 7, 6, 5)]
USERS = "enterprise_user_activity"


@pytest.fixture
def org():
    with Emulator(EmulatorConfig(seed=31, users=30, rate_limit_per_minute=0)) as emu:
        yield emu


def config(**values) -> dict:
    return {"ops": {USERS: {"config": values}}}


DRIFTS = {
    "a count sent as text": ({"set": {"chat_metrics.message_count": "n/a"}}, "chat_message_count no longer parse"),
    "a key field missing": ({"drop": ["user.id"]}, "key column user_id is null"),
    "a block of fields missing": ({"drop": ["chat_metrics"]}, "column(s) that had values are now empty"),
    "far fewer rows for a settled day": ({"keep_rows": 0.3}, "rows where the settled day had"),
}


@pytest.mark.parametrize("drift", list(DRIFTS))
def test_a_drifted_answer_is_quarantined_and_the_good_day_stays(org, tmp_path, drift):
    spec, said = DRIFTS[drift]
    lake = Lake(str(tmp_path))
    assert materialize(org, str(tmp_path), [USERS], day=DAY).success
    good = lake.read_day(USERS, DAY)

    org.faults.drift_next(1, **spec)
    result = materialize(org, str(tmp_path), [USERS], day=DAY)
    assert not result.success
    message = failure(result)
    assert DAY.isoformat() in message and said in message and "accept_worse_answers: true" in message
    assert lake.read_day(USERS, DAY).equals(good), "the good day is still in the lake"
    kept_aside = list((tmp_path / "_quarantine" / USERS / f"date={DAY}").glob("*.parquet"))
    assert len(kept_aside) == 1 and str(kept_aside[0]) in message

    org.faults.drift_next(1, **spec)  # after checking, the operator accepts the API's new answer
    accepted = materialize(org, str(tmp_path), [USERS], day=DAY, run_config=config(accept_worse_answers=True))
    assert accepted.success
    [event] = materializations(accepted)[USERS]
    assert said.split(" ")[-1] in " ".join(event.metadata["accepted_worse_answer"].value)
    assert not lake.read_day(USERS, DAY).equals(good)


CLAUDE_CODE = ["claude_code_usage", "claude_code_model_usage"]


def test_an_api_keys_first_rows_in_a_day_of_members_rows_are_new_data_and_a_members_lost_email_is_drift(org, tmp_path):
    """A row's identity is its whole key, judged per kind of row: an API key's Claude Code row has no e-mail."""
    rows = org.org.claude_code_records(DAY)
    members = sum(row["actor"]["type"] == "user_actor" for row in rows)
    assert 0 < members < len(rows), "the emulator's nightly key runs every day (emulator.people.NIGHTLY_KEY)"
    org.faults.drift_next(1, keep_rows=(members - 0.5) / len(rows))  # the day as first reported: members' rows only
    assert materialize(org, str(tmp_path), CLAUDE_CODE, day=DAY).success
    lake = Lake(str(tmp_path))
    assert set(lake.read_day("claude_code_usage", DAY)["actor_type"].to_pylist()) == {"user_actor"}

    result = materialize(org, str(tmp_path), CLAUDE_CODE, day=DAY)
    assert result.success, failure(result)
    for asset in CLAUDE_CODE:
        table = lake.read_day(asset, DAY).to_pandas()
        assert set(table["actor_type"]) == {"user_actor", "api_actor"}, asset
        assert table.loc[table["actor_type"] == "user_actor", "email"].notna().all(), asset

    org.faults.drift_next(1, drop=["actor.email_address"])
    result = materialize(org, str(tmp_path), CLAUDE_CODE, day=DAY)
    assert not result.success
    assert f"key column email is null in {members} of {len(rows)} rows" in failure(result)


def test_a_new_field_goes_to_extra_without_fuss(org, tmp_path):
    assert materialize(org, str(tmp_path), [USERS], day=DAY).success
    org.faults.drift_next(1, set={"chat_metrics.brand_new_count": 3})
    result = materialize(org, str(tmp_path), [USERS], day=DAY)
    assert result.success
    assert materializations(result)[USERS][0].metadata["extra_field_names"].value == "chat_metrics.brand_new_count"


def test_a_resumed_backfill_keeps_a_quarantined_day_and_writes_the_rest(org, tmp_path):
    assert materialize(org, str(tmp_path), [USERS], days=DAYS[:2]).success
    org.faults.drift_next(1, drop=["user.id"])  # the first request of the next run: the oldest day asked
    result = materialize(org, str(tmp_path), [USERS], days=DAYS, run_config=config(refetch_existing=True, concurrency=1))
    assert not result.success and DAYS[0].isoformat() in failure(result)
    assert Lake(str(tmp_path)).days(USERS) == DAYS, "every other day was written, the quarantined one kept"
    assert Lake(str(tmp_path)).read_day(USERS, DAYS[0])["user_id"].null_count == 0


# (the assets of one calendar, their ops): a run holds one calendar; bucketed, per-day, paged and per-user answers
RAW = [(["claude_code_usage", "claude_code_model_usage"], ["claude_code_report"]),
       (["enterprise_usage", "enterprise_user_cost"], ["enterprise_usage", "enterprise_user_cost"]),
       (["enterprise_user_activity", "enterprise_summaries"], ["enterprise_user_activity", "enterprise_summaries"])]


def test_any_day_can_be_rebuilt_from_the_kept_answers_without_asking_the_api(org, tmp_path):
    lake = Lake(str(tmp_path))
    for assets, _ in RAW:
        assert materialize(org, str(tmp_path), assets, days=DAYS).success
    before = {asset: lake.read_asset(asset) for assets, _ in RAW for asset in assets}
    assert list((tmp_path / "_raw").glob("*/*/*.json.gz")), "the answers are kept beside the tables"
    for asset in before:
        shutil.rmtree(tmp_path / asset)
    asked = org.stats.snapshot()["total"]

    for assets, ops in RAW:
        rebuild = {"ops": {op: {"config": {"rebuild_from_raw": True}} for op in ops}}
        result = materialize(org, str(tmp_path), assets, days=DAYS, run_config=rebuild,
                             admin_key="sk-ant-admin01-unused", analytics_key="unused")
        assert result.success
    assert org.stats.snapshot()["total"] == asked, "no request was sent"
    for asset, table in before.items():
        assert table.num_rows > 0 and lake.read_asset(asset).equals(table), asset


def test_faults_on_the_wire_leave_the_lake_as_a_clean_run_does(tmp_path):
    runs = [["claude_code_usage", "claude_code_model_usage"], ["enterprise_user_usage", "enterprise_cost"],
            ["enterprise_user_activity"]]
    lakes = {}
    for run in ("clean", "faulty"):
        with Emulator(EmulatorConfig(seed=31, users=30, rate_limit_per_minute=0)) as emu:
            if run == "faulty":
                emu.faults.error_rate(0.1, status=503)
                emu.faults.rate_limit_next(3, retry_after=1)
                emu.faults.cut_off_next(2)
                emu.faults.drop_next(2)
            for assets in runs:
                assert materialize(emu, str(tmp_path / run), assets, days=DAYS).success
            if run == "faulty":
                assert emu.stats.snapshot()["by_status"].get("503", 0) > 0, "the faults did happen"
        lakes[run] = Lake(str(tmp_path / run))
    for asset in (asset for assets in runs for asset in assets):
        clean, faulty = (lakes[run].read_asset(asset) for run in ("clean", "faulty"))
        if "data_refreshed_at" in clean.column_names:  # the API's hourly watermark, which may tick between runs
            clean, faulty = clean.drop_columns(["data_refreshed_at"]), faulty.drop_columns(["data_refreshed_at"])
        assert clean.num_rows > 0 and faulty.equals(clean), asset


@pytest.mark.subprocess
def test_claude_assets_rebuild_rebuilds_a_range_with_no_key_set(org, tmp_path):
    import os
    import subprocess

    from claude_assets_tests.stack import BIN, REPO

    lake = Lake(str(tmp_path / "lake"))
    assets = ["claude_code_usage", "claude_code_model_usage"]
    assert materialize(org, str(tmp_path / "lake"), assets, days=DAYS).success
    before = {asset: lake.read_asset(asset) for asset in assets}
    for asset in assets:
        shutil.rmtree(tmp_path / "lake" / asset)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_", "DAGSTER_HOME"))}
    env.update(CLAUDE_ASSETS_DATA_DIR=str(tmp_path / "lake"), DAGSTER_HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    done = subprocess.run([str(BIN / "claude-assets"), "rebuild", "--select", ",".join(assets), "--from",
                           str(DAYS[0]), "--to", str(DAYS[-1])], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for asset in assets:
        assert lake.read_asset(asset).equals(before[asset]), asset
