"""A lake holds one organization: every day records the one it came from, and another's day is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig, usage_cost_api
from claude_assets.engine import fetch
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import TODAY, failure, materialize

CLAUDE_CODE = ["claude_code_usage", "claude_code_model_usage"]
DAYS = [TODAY - dt.timedelta(days=d) for d in (8, 7, 6)]


@pytest.fixture(scope="module")
def demo_org():
    with Emulator(EmulatorConfig(seed=7, users=8, rate_limit_per_minute=0)) as emu:
        yield emu


@pytest.fixture(scope="module")
def own_org():
    with Emulator(EmulatorConfig(seed=8, users=8, rate_limit_per_minute=0)) as emu:
        yield emu


def test_every_day_written_records_the_organization_it_came_from(demo_org, tmp_path):
    lake = Lake(str(tmp_path))
    for assets in (CLAUDE_CODE, ["enterprise_usage"], ["enterprise_user_activity"]):
        assert materialize(demo_org, str(tmp_path), assets, days=DAYS).success
    recorded = {asset: {lake.day_info(asset, d)["organization_id"] for d in DAYS}
                for asset in ("claude_code_usage", "claude_code_model_usage", "enterprise_usage",
                              "enterprise_user_activity")}
    assert recorded["claude_code_usage"] == recorded["claude_code_model_usage"] == {demo_org.org.organization_uuid}
    assert recorded["enterprise_usage"] == {demo_org.org.organization_id}, "the envelope's organization_id"
    assert recorded["enterprise_user_activity"] == {demo_org.org.organization_id}, \
        "an answer naming no organization records the key's, as its other answers named it"


def test_a_range_of_another_organization_stops_and_names_both(demo_org, own_org, tmp_path):
    """The issue's case: the demo's days in the lake, then a range for one's own organization over them."""
    lake = Lake(str(tmp_path))
    assert materialize(demo_org, str(tmp_path), CLAUDE_CODE, days=DAYS).success
    newer = [*DAYS, DAYS[-1] + dt.timedelta(days=1)]
    result = materialize(own_org, str(tmp_path), ["claude_code_usage"], days=newer)
    assert not result.success
    message = failure(result)
    assert demo_org.org.organization_uuid in message and own_org.org.organization_uuid in message
    assert "CLAUDE_ASSETS_DATA_DIR" in message and "nothing was written" in message
    assert lake.days("claude_code_usage") == DAYS, "no day of the other organization was written"
    assert {lake.day_info("claude_code_usage", d)["organization_id"] for d in DAYS} == {demo_org.org.organization_uuid}


def test_an_answer_naming_no_organization_is_checked_with_the_keys_organization(demo_org, own_org, tmp_path):
    theirs, mine = tmp_path / "theirs", tmp_path / "mine"
    assert materialize(demo_org, str(theirs), ["enterprise_usage"], days=DAYS).success
    assert materialize(demo_org, str(theirs), ["enterprise_user_activity"], days=DAYS).success
    assert materialize(own_org, str(mine), ["enterprise_usage"], days=DAYS).success, "the key's organization learnt"
    result = materialize(own_org, str(theirs), ["enterprise_user_activity"], day=DAYS[-1])
    assert not result.success
    message = failure(result)
    assert demo_org.org.organization_id in message and own_org.org.organization_id in message


def test_days_written_before_days_recorded_an_organization_are_accepted(demo_org, own_org, tmp_path):
    lake = Lake(str(tmp_path))
    assert materialize(demo_org, str(tmp_path), CLAUDE_CODE, days=DAYS).success
    for asset in ("claude_code_usage", "claude_code_model_usage"):
        for day in DAYS:
            info = {k: v for k, v in lake.day_info(asset, day).items() if k != "organization_id"}
            lake.write_day(asset, day, lake.read_day(asset, day), info)
    assert materialize(own_org, str(tmp_path), CLAUDE_CODE, day=DAYS[-1]).success
    assert lake.day_info("claude_code_usage", DAYS[-1])["organization_id"] == own_org.org.organization_uuid


PROBE = "/v1/organizations/analytics/usage"  # where a process asks the key's organization when no answer named it


def asked(emu) -> int:
    return emu.stats.snapshot()["by_path"].get(PROBE, 0)


def test_a_lone_run_of_an_answer_naming_no_organization_asks_the_keys_organization_once(demo_org, tmp_path):
    """Each test starts as a new process, which has learnt no key's organization (conftest's `a_new_process`)."""
    lake = Lake(str(tmp_path))
    before = asked(demo_org)
    assert materialize(demo_org, str(tmp_path), ["enterprise_user_activity"], days=DAYS).success
    assert {lake.day_info("enterprise_user_activity", d).get("organization_id") for d in DAYS} \
        == {demo_org.org.organization_id}, "every day records the key's organization"
    assert asked(demo_org) - before == 1, "one request for the process and key, not one per day"
    assert materialize(demo_org, str(tmp_path), ["enterprise_skills"], day=DAYS[0]).success
    assert lake.day_info("enterprise_skills", DAYS[0]).get("organization_id") == demo_org.org.organization_id
    assert asked(demo_org) - before == 1, "known for the rest of the process"


def test_a_lone_run_over_another_organizations_days_stops_and_writes_nothing(demo_org, own_org, tmp_path):
    lake = Lake(str(tmp_path))
    assert materialize(own_org, str(tmp_path), ["enterprise_usage"], days=DAYS).success, "the key's organization learnt"
    assert materialize(own_org, str(tmp_path), ["enterprise_user_activity"], days=DAYS).success
    fetch.forget_key_organizations()  # a new process: nothing learnt
    newer = [*DAYS, DAYS[-1] + dt.timedelta(days=1)]
    result = materialize(demo_org, str(tmp_path), ["enterprise_user_activity"], days=newer)
    assert not result.success
    message = failure(result)
    assert demo_org.org.organization_id in message and own_org.org.organization_id in message
    assert "nothing was written" in message
    assert lake.days("enterprise_user_activity") == DAYS, "no day of the other organization was written"
    assert {lake.day_info("enterprise_user_activity", d)["organization_id"] for d in DAYS} \
        == {own_org.org.organization_id}


def test_a_refused_question_leaves_the_days_unnamed_and_is_not_asked_again(demo_org, monkeypatch, tmp_path):
    # The API now wants a beta flag the client does not send: as for an organization the beta is closed to, a 400.
    monkeypatch.setattr(usage_cost_api, "BETA", "analytics-usage-cost-closed")
    lake = Lake(str(tmp_path))
    before, refused = asked(demo_org), demo_org.stats.snapshot()["by_status"].get("400", 0)
    assert materialize(demo_org, str(tmp_path), ["enterprise_user_activity"], days=DAYS).success
    assert materialize(demo_org, str(tmp_path), ["enterprise_skills"], days=DAYS).success
    assert asked(demo_org) - before == 1, "asked once, and the refusal remembered for the process"
    assert demo_org.stats.snapshot()["by_status"].get("400", 0) - refused == 1, "the question was refused"
    for asset in ("enterprise_user_activity", "enterprise_skills"):
        assert all("organization_id" not in lake.day_info(asset, d) for d in DAYS), "no organization recorded"
