"""The real Dagster UI in headless Chromium: what an operator opens first shows our assets.

Screenshots of each page land in test-artifacts/ui/, so a reviewer (or a CI job keeping them)
sees what the operator saw.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from claude_assets import sources
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets_tests.helpers import TODAY
from claude_assets_tests.stack import BIN, REPO, dagster_stack

ARTIFACTS = REPO / "test-artifacts" / "ui"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
GROUP_SIZES = {source.group: len(source.assets) for source in sources.SOURCES}  # each group and its assets
SYNCED = [TODAY - dt.timedelta(days=n) for n in (3, 2, 1)]


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    """The webserver, with three days of the Claude Code report synced by `dagster asset materialize`."""
    tmp = tmp_path_factory.mktemp("ui_browser")
    with Emulator(EmulatorConfig(seed=5, users=15, rate_limit_per_minute=0)) as emu, \
            dagster_stack(tmp, emu) as (url, env, _):
        synced = subprocess.run(
            [str(BIN / "dagster"), "asset", "materialize", "-m", "claude_assets.definitions",
             "--select", "claude_code_usage,claude_code_model_usage", "--partition-range", f"{SYNCED[0]}...{SYNCED[-1]}"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
        )
        assert synced.returncode == 0, synced.stdout[-3000:]
        # the operator has dismissed Dagster's community sign-up dialog, which would cover the pages
        httpx.post(f"{url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30).raise_for_status()
        yield url


@pytest.fixture(scope="module")
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


def page_shows(browser, url: str, texts: list[str], screenshot: str) -> str:
    """Open `url`, wait until every one of `texts` is on the page, keep a screenshot; the page's text."""
    browser.get(url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{screenshot}.png"
    try:
        WebDriverWait(browser, 90).until(lambda d: all(t in d.find_element(By.TAG_NAME, "body").text for t in texts))
    except TimeoutException:
        body = browser.find_element(By.TAG_NAME, "body").text
        browser.save_screenshot(str(path))
        pytest.fail(f"{url} never showed {[t for t in texts if t not in body]} (screenshot: {path}); it shows:\n{body[:3000]}")
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return browser.find_element(By.TAG_NAME, "body").text


def test_the_asset_graph_shows_every_group_and_a_groups_assets(dagster_ui, browser):
    """The lineage page is where an operator sees what the code location holds and how it connects."""
    # a group box reads its name, then its assets counted by status: here all have days missing, so that is
    # every asset of the group ("5 assets (fetching statuses)" until the statuses are in)
    page_shows(browser, f"{dagster_ui}/asset-groups", [f"{group}\n{size}\n" for group, size in GROUP_SIZES.items()],
               "global-asset-lineage")
    page_shows(browser, f"{dagster_ui}/locations/__repository__@claude_assets/asset-groups/claude_code_analytics",
               ["claude_code_usage", "claude_code_model_usage", "claude_code_user_daily", "anthropic", "Parquet"],
               "asset-group-claude_code_analytics")


def test_an_assets_partitions_page_shows_the_days_synced(dagster_ui, browser):
    """The partitions page answers "which days do we have?" and, for a day, where it is and how big."""
    newest = SYNCED[-1].isoformat()
    page_shows(browser, f"{dagster_ui}/assets/claude_code_usage?view=partitions&partition={newest}",
               ["Materialized (3)", *(d.isoformat() for d in SYNCED), "dagster/row_count", "/claude_code_usage/date="],
               "partitions-claude_code_usage")
