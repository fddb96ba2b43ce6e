"""Shared fixtures: a real emulator on loopback for every test that talks HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from claude_assets import sources
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine import fetch
from claude_assets.engine.client import ratelimit, redact
from claude_assets.engine.lake import Lake
from claude_assets.ops.backfill import DONE, Webserver, plan
from claude_assets.sources import ENDPOINTS
from claude_assets_tests.helpers import TODAY, start
from claude_assets_tests.stack import BIN, FETCHED_LONG_AGO, LAST, MONTH, Deployment, dagster_stack, wait_for


@pytest.fixture(autouse=True)
def a_new_process() -> None:
    """Each test starts as a new process would: no key's organization learnt, no rate budget spent, no key
    remembered. A test then passes on what its own code did, whatever ran before it in this process."""
    fetch.forget_key_organizations()
    ratelimit.forget_limiters()
    redact.forget_keys()


# Tiers by marker, heaviest first: daemons, webservers and browsers, then real waits, then other processes.
TIERS = ({"stack", "browser"}, {"slow"}, {"subprocess"})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Heavy stories first, so that under `-n 2 --dist loadgroup` each worker starts on a long one and the short
    tests fill in around them, instead of the minutes-long stories meeting at the end on one worker. Runs last
    and sorts stably, so pytest's order within a tier (modules together, fixtures set up once) is kept."""
    def tier(item) -> int:
        marks = {mark.name for mark in item.iter_markers()}
        return next((i for i, names in enumerate(TIERS) if marks & names), len(TIERS))

    items.sort(key=tier)


@pytest.fixture
def emu():
    """The emulator at a fixed `helpers.NOW` and without a rate limit, for the emulator's own stories (a module
    that needs another kind of emulator defines its own `emu`)."""
    emulator = start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator():
    """A fresh emulator per test, so fault switches and rate budgets never leak between tests."""
    with Emulator(EmulatorConfig(seed=7, users=20)) as emu:
        yield emu


# -- the shared read-only UI deployment and browser (every test using them is in xdist_group "ui") ---------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
PARTITION_KEYS = "{ assetNodes { assetKey { path } partitionKeysByDimension { partitionKeys } } }"


@pytest.fixture(scope="session")
def ui_deployment(tmp_path_factory):
    """One webserver and daemon for every story that only reads what the UI shows: an emulated organization of 15
    users and its telemetry files, a lake holding one day fetched long ago, and a month of every asset backfilled
    the way an operator launches it from the UI. Starting it, and running the month, once is most of those
    stories' time; a test that changes the deployment starts its own."""
    tmp = tmp_path_factory.mktemp("ui")
    [summaries] = [t for e in ENDPOINTS for t in e.tables if t.asset == "enterprise_summaries"]
    Lake(str(tmp / "lake")).write_day("enterprise_summaries", FETCHED_LONG_AGO, summaries.schema.empty_table(), {})
    with Emulator(EmulatorConfig(seed=5, users=15, rate_limit_per_minute=0)) as emu:
        # the default clients: realistic, with their events in the metrics file for claude_code_events
        write_telemetry(emu.org, tmp / "telemetry", MONTH[0] - dt.timedelta(days=3), TODAY - dt.timedelta(days=1))
        # this emulator sets no rate limit, so the clients need not pace their requests to 60 a minute
        unpaced = {"CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE": "0", "CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": "0"}
        # the daily syncs tick once a year, not during the session: the stories count what the month's backfill did
        quiet = {f"CLAUDE_ASSETS_{source.group.upper()}_SYNC_CRON": "0 0 1 1 *" for source in sources.SOURCES}
        with dagster_stack(tmp, emu, unpaced | quiet) as (url, _, lake_dir):
            deployment = Deployment(url, lake_dir, tmp / "dagster.log", emu)
            # the operator has dismissed Dagster's community sign-up dialog, which would cover the pages
            deployment.ask("mutation { setNuxSeen }")
            held = {}
            for node in deployment.ask(PARTITION_KEYS)["assetNodes"]:
                keys = node["partitionKeysByDimension"][0]["partitionKeys"]
                held[node["assetKey"]["path"][0]] = (dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1]))
            [deployment.month_chunk] = plan(MONTH[0], LAST, held, chunk_days=len(MONTH))
            server = Webserver(url)
            deployment.month_backfill = server.launch(deployment.month_chunk, "every asset, 30 days")
            wait_for(lambda: server.status(deployment.month_backfill) in DONE, 900, "the month's backfill did not finish",
                     tmp)
            yield deployment


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's Chromium and its version-matched chromedriver; Selenium Manager never downloads anything."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not installed: run `make system-packages` (chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                     "--window-size=1600,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


@dataclasses.dataclass
class Demo:
    """`claude-assets demo` as a newcomer runs it in an empty folder: its output, and what it left in the folder."""
    folder: Path
    env: dict
    completed: subprocess.CompletedProcess
    made: list[str]  # the folder's entries right after the demo, before any test reads or writes there
    made_in_demo: set[str]  # and those of the demo's own ./demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """One `make demo` lake for the stories that read it (test_demo's folder and output, the README's sample
    queries): building it is most of their time. Put those tests in `@pytest.mark.xdist_group("demo")`."""
    folder = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DAGSTER_HOME", "CLAUDE_ASSETS_"))}
    completed = subprocess.run([str(BIN / "claude-assets"), "demo", "--days", "2", "--users", "12"], cwd=folder,
                               env=env, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return Demo(folder, env, completed, sorted(p.name for p in folder.iterdir()),
                {p.name for p in (folder / "demo").iterdir()} if (folder / "demo").is_dir() else set())
