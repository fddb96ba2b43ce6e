"""A day file that cannot be read (truncated, overwritten) heals: any run over the day replaces it."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from claude_assets.engine.lake import DamagedDayError, Lake
from claude_assets_tests.helpers import TODAY, materializations, materialize

# Inside every calendar and window; the synthetic organization has activity on every day.
DAYS = [TODAY - dt.timedelta(days=n) for n in (7, 6, 5)]
ASSET = "enterprise_user_activity"


def damage(lake: Lake, day: dt.date, how: str) -> None:
    path = lake.day_path(ASSET, day)
    data = open(path, "rb").read()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 2] if how == "truncated" else b"<html>not parquet</html>")


@pytest.mark.parametrize("how", ["truncated", "garbage"])
@pytest.mark.parametrize("run", ["resume a range", "refetch a range", "one day"])
def test_a_damaged_day_is_fetched_again_and_replaced_with_a_warning(emulator, tmp_path, how, run):
    lake = Lake(str(tmp_path))
    assert materialize(emulator, str(tmp_path), [ASSET], days=DAYS).success
    clean = lake.read_day(ASSET, DAYS[1])
    damage(lake, DAYS[1], how)
    with pytest.raises(DamagedDayError, match=f"{DAYS[1]}.*{lake.day_path(ASSET, DAYS[1])}.*Materialize {ASSET}"):
        lake.read_day(ASSET, DAYS[1])

    with dg.instance_for_test() as instance:
        if run == "one day":
            result = materialize(emulator, str(tmp_path), [ASSET], day=DAYS[1], instance=instance)
        else:
            config = {"ops": {ASSET: {"config": {"refetch_existing": run == "refetch a range"}}}}
            result = materialize(emulator, str(tmp_path), [ASSET], days=DAYS, run_config=config, instance=instance)
        log = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert result.success
    assert lake.read_day(ASSET, DAYS[1]).equals(clean), "the day is whole again, with the same rows"
    healed = {m.partition: m.metadata.get("replaced_damaged_file") for m in materializations(result)[ASSET]}
    assert healed[DAYS[1].isoformat()].value == lake.day_path(ASSET, DAYS[1])
    assert any("could not be read" in line and lake.day_path(ASSET, DAYS[1]) in line for line in log), \
        "the run log names the damaged file"
