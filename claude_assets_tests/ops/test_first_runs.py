"""A new instance is initialized once, under a lock, whatever starts first (issue 22): two first runs at once
leave it usable, and a second initializer waits for the first instead of creating the storage beside it."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import pytest

from claude_assets.ops.instance import LOCK_FILE
from claude_assets_tests.helpers import STORAGE, run_benchmark
from claude_assets_tests.stack import BIN, REPO


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_first_runs_benchmark_runs_a_trial_and_the_instance_stays_usable(tmp_path):
    figures = run_benchmark(tmp_path, "first_runs.py", "--trials", "1")
    assert {k: v for k, v in figures.items() if k != "seconds"} == {
        "command": "claude-assets", "trials": 1, "usable": 1, "first_runs_failed": 0, "two_heads": 0,
        "third_run_failed": 0}


def waiting_for_a_lock(pid: int) -> bool:
    """Whether process `pid` is blocked on a file lock (a "->" line of /proc/locks)."""
    return any(line.split()[1:3] == ["->", "FLOCK"] and line.split()[5] == str(pid)
               for line in Path("/proc/locks").read_text().splitlines())


@pytest.mark.subprocess
def test_setting_up_waits_for_whoever_holds_the_instance_lock(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    with open(home / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process setting the instance up
        setup = subprocess.Popen([str(BIN / "python"), "-m", "claude_assets.instance"], env=env, cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not waiting_for_a_lock(setup.pid) and setup.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert waiting_for_a_lock(setup.pid), "setting up did not wait for the lock"
        assert not any((home / path).exists() for path in STORAGE)
    out, err = setup.communicate(timeout=120)
    assert setup.returncode == 0, err[-2000:]
    assert all((home / path).exists() for path in STORAGE) and "Dagster instance ready" in out
