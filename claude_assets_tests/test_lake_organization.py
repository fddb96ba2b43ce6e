"""A lake holds one organization: every day records the one it came from, and another's day is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.lake import Lake
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
