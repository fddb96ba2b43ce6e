"""A brand-new DAGSTER_HOME is set up once before any run, so first runs started together cannot race to
create its storage and leave it broken ("alembic_version has more than one head")."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest

from claude_assets.ops.demo import emulated_deployment
from claude_assets_tests.helpers import STORAGE, TODAY
from claude_assets_tests.stack import BIN, REPO

DAY = TODAY - dt.timedelta(days=5)  # inside the engagement calendar, whose newest day is today - 3


@pytest.mark.subprocess
def test_two_first_runs_at_once_both_succeed_on_a_set_up_instance(emulator, tmp_path):
    home = tmp_path / "dagster_home"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))},
           "DAGSTER_HOME": str(home), "ANTHROPIC_BASE_URL": emulator.url,
           "ANTHROPIC_ADMIN_API_KEY": emulator.admin_key, "ANTHROPIC_ANALYTICS_API_KEY": emulator.analytics_key,
           "CLAUDE_ASSETS_DATA_DIR": str(tmp_path / "lake")}
    home.mkdir()
    ready = subprocess.run([str(BIN / "python"), "-m", "claude_assets.instance"], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=120)  # the README walkthrough's line
    assert ready.returncode == 0, ready.stderr[-2000:]
    assert all((home / path).exists() for path in STORAGE)

    runs = [subprocess.Popen([str(BIN / "dg"), "launch", "-m", "claude_assets.definitions",
                              "--assets", asset, "--partition", DAY.isoformat()],
                             env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for asset in ("enterprise_summaries", "enterprise_user_activity")]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0 and "'days_written': 1," in output, output[-3000:]


def test_demo_and_ui_set_up_a_new_instance_before_running_anything(tmp_path):
    home = tmp_path / "new" / "dagster_home"
    with emulated_deployment(data_dir=str(tmp_path / "data"), dagster_home=str(home), users=3, telemetry_days=1):
        assert all((home / path).exists() for path in STORAGE)


@pytest.mark.subprocess
def test_setting_up_needs_dagster_home(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    done = subprocess.run([str(BIN / "python"), "-m", "claude_assets.instance"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "DAGSTER_HOME is not set" in done.stderr
