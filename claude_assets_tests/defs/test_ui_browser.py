"""The real Dagster UI in headless Chromium: what an operator opens first shows our assets.

Screenshots of each page land in test-artifacts/ui/, so a reviewer (or a CI job keeping them)
sees what the operator saw.
"""

from __future__ import annotations

import itertools

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from claude_assets import sources
from claude_assets_tests.stack import ARTIFACTS, MONTH

GROUP_SIZES = {source.group: len(source.assets) for source in sources.SOURCES}  # each group and its assets
# the session's shared deployment (conftest's `ui_deployment`), which has backfilled every asset over MONTH
pytestmark = [pytest.mark.xdist_group("ui"), pytest.mark.stack, pytest.mark.browser]


def group_boxes(body: str) -> dict[str, int]:
    """The assets each group box of the lineage page counts: it reads its name, then a count per status."""
    lines = body.splitlines()
    return {line: sum(int(n) for n in itertools.takewhile(str.isdigit, lines[i + 1:]))
            for i, line in enumerate(lines) if line in GROUP_SIZES and lines[i + 1:i + 2] and lines[i + 1].isdigit()}


def page_shows(browser, url: str, texts: list[str], screenshot: str, boxes: dict[str, int] | None = None) -> str:
    """Open `url`, wait until every one of `texts` is on the page (and, given `boxes`, its group boxes count those
    assets), keep a screenshot; the page's text."""
    browser.get(url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{screenshot}.png"

    def shown(body: str) -> bool:
        return all(t in body for t in texts) and (boxes is None or group_boxes(body) == boxes)

    try:
        WebDriverWait(browser, 90).until(lambda d: shown(d.find_element(By.TAG_NAME, "body").text))
    except TimeoutException:
        body = browser.find_element(By.TAG_NAME, "body").text
        browser.save_screenshot(str(path))
        pytest.fail(f"{url} never showed {[t for t in texts if t not in body]} and group boxes {boxes} (screenshot: "
                    f"{path}); it shows:\n{body[:3000]}")
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return browser.find_element(By.TAG_NAME, "body").text


def test_the_asset_graph_shows_every_group_and_a_groups_assets(ui_deployment, browser):
    """The lineage page is where an operator sees what the code location holds and how it connects."""
    # a group box reads its name, then its assets counted by status (after the month's backfill, a group's assets
    # may be in different ones): the counts add up to every asset of the group
    page_shows(browser, f"{ui_deployment.url}/asset-groups", list(GROUP_SIZES), "global-asset-lineage",
               boxes=GROUP_SIZES)
    page_shows(browser, f"{ui_deployment.url}/locations/__repository__@claude_assets/asset-groups/claude_code_analytics",
               ["claude_code_usage", "claude_code_model_usage", "claude_code_user_daily", "anthropic", "Parquet"],
               "asset-group-claude_code_analytics")


def test_an_assets_partitions_page_shows_the_days_synced(ui_deployment, browser):
    """The partitions page answers "which days do we have?" and, for a day, where it is and how big."""
    newest = MONTH[-1].isoformat()
    page_shows(browser, f"{ui_deployment.url}/assets/claude_code_usage?view=partitions&partition={newest}",
               [f"Materialized ({len(MONTH)})", *(d.isoformat() for d in MONTH[-3:]), "dagster/row_count",
                "/claude_code_usage/date="],
               "partitions-claude_code_usage")
