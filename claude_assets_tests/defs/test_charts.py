"""Charts on the organization reports: each run's newest day carries the last 90 days as a picture.

An operator opens `org_daily_overview` or `cost_reconciliation` in the Dagster UI and sees the trend
(users against seats, Claude Code users, cost; estimated against billed per week and model) without a
notebook. The stories sync four weeks from the emulator, build the reports with real runs, and look at
the image in the run's metadata; then on the asset page in headless Chromium, over the month the session's
shared deployment has backfilled (screenshots in test-artifacts/ui/).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import struct
from pathlib import Path

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from claude_assets.defs.assets.charts import OVERVIEW_KEY, RECONCILIATION_KEY
from claude_assets.defs.assets.history import claude_code_user_daily
from claude_assets.defs.assets.organization import cost_reconciliation, org_daily_overview
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import TODAY, materializations, materialize, run
from claude_assets_tests.stack import ARTIFACTS


# The engagement calendar's newest day (D-3), which the Enterprise usage and cost calendar (D-1) has too,
# so both reports end on it; four weeks before it make a trend to draw on any date.
NEWEST = TODAY - dt.timedelta(days=3)
DAYS = [NEWEST - dt.timedelta(days=n) for n in range(27, -1, -1)]
INPUTS = (["claude_code_usage", "claude_code_model_usage"], ["enterprise_user_activity"], ["enterprise_summaries"],
          ["claude_cost"])
CHARTS = {"org_daily_overview": OVERVIEW_KEY, "cost_reconciliation": RECONCILIATION_KEY}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def organization():
    with Emulator(EmulatorConfig(seed=9, users=40, rate_limit_per_minute=0)) as emu:
        yield emu


@pytest.fixture(scope="module")
def synced(organization, tmp_path_factory) -> Path:
    """A folder whose `lake` holds four weeks of the reports' inputs, synced from the emulator, and the history."""
    root = tmp_path_factory.mktemp("charts")
    for assets in INPUTS:
        assert materialize(organization, str(root / "lake"), assets, days=DAYS).success
    run([claude_code_user_daily], root / "lake", DAYS)
    return root


@pytest.fixture(scope="module")
def reports(synced) -> dict[str, dict[str, dict]]:
    """One run of each report over the four weeks: {asset: {day: its materialization's metadata}}."""
    found = {}
    for asset in (org_daily_overview, cost_reconciliation):
        for name, events in materializations(run([asset], synced / "lake", DAYS)).items():
            found[name] = {event.partition: event.metadata for event in events}
    return found


def png_in(value) -> bytes:
    """The PNG of a Markdown image with a data URI, as Dagster's UI renders it."""
    match = re.fullmatch(r"!\[[^\]]+\]\(data:image/png;base64,([A-Za-z0-9+/]+=*)\)", value.value)
    assert match, f"not a Markdown image with a PNG data URI: {value.value[:200]}"
    return base64.b64decode(match[1], validate=True)


def size_of(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR", png[:16]
    return struct.unpack(">II", png[16:24])


@pytest.mark.slow
def test_each_run_of_a_report_carries_its_chart_on_its_newest_day(reports):
    for asset, key in CHARTS.items():
        by_day = reports[asset]
        assert sorted(by_day) == [d.isoformat() for d in DAYS]
        assert [day for day, metadata in by_day.items() if key in metadata] == [NEWEST.isoformat()], \
            "one chart per run, on the day the asset page shows first"
        newest = by_day[NEWEST.isoformat()]
        assert newest["dagster/row_count"].value > 0 and newest["sources_used"].value != "none", \
            "the chart is added to the day's own metadata, not instead of it"
        png = png_in(newest[key])
        width, height = size_of(png)
        assert 600 <= width <= 900 and 400 <= height <= 700, (asset, width, height)
        assert 10_000 < len(png) < 100_000, f"{asset}: a readable chart small enough to keep per run ({len(png)} B)"


def test_a_report_with_nothing_in_the_lake_yet_says_so_instead_of_a_chart(tmp_path):
    """The first run of a new organization before any source has a day: the day is written, the chart explains."""
    result = run([org_daily_overview], tmp_path / "lake", [NEWEST])
    [event] = materializations(result)["org_daily_overview"]
    assert event.metadata[OVERVIEW_KEY].value.startswith("nothing to chart yet: org_daily_overview has no values")


@pytest.mark.slow
def test_missing_days_and_sources_leave_the_rest_charted(synced, reports, tmp_path):
    """Only the Claude Code report, every other day: no seats, active users or billed cost, and a gap each other
    day. The overview draws the two panels it has values for (a shorter image), the reconciliation its estimates."""
    source, lake = Lake(str(synced / "lake")), Lake(str(tmp_path / "lake"))
    for asset in ("claude_code_usage", "claude_code_model_usage", "claude_code_user_daily"):
        for day in DAYS[1::2]:
            lake.write_day(asset, day, source.read_day(asset, day), {})
    overview = materializations(run([org_daily_overview], tmp_path / "lake", DAYS))["org_daily_overview"][-1]
    reconciliation = materializations(run([cost_reconciliation], tmp_path / "lake", DAYS))["cost_reconciliation"][-1]
    _, full_height = size_of(png_in(reports["org_daily_overview"][NEWEST.isoformat()][OVERVIEW_KEY]))
    _, height = size_of(png_in(overview.metadata[OVERVIEW_KEY]))
    assert height < full_height - 100, "the users-against-seats panel, with no values, is left out"
    assert png_in(reconciliation.metadata[RECONCILIATION_KEY])[:8] == PNG_MAGIC, "the estimates alone are charted"


# -- in the Dagster UI ---------------------------------------------------------------------------


# The image is decoded, and the dialog around it has finished fading in (so the screenshot shows it, not a blend).
SETTLED = """const image = arguments[0];
return image.complete && image.naturalWidth > 0 && document.getAnimations().every(
    a => a.playState !== 'running' || !(a.effect && a.effect.target && a.effect.target.contains(image)));"""


@pytest.mark.xdist_group("ui")
@pytest.mark.stack
@pytest.mark.browser
@pytest.mark.parametrize("view", ["overview", "partitions"])
@pytest.mark.parametrize("asset", list(CHARTS))
def test_the_asset_page_shows_the_chart_of_its_newest_day(ui_deployment, browser, asset, view):
    """The asset's page lists the chart among the latest materialization's metadata (the overview tab), and among
    the newest day's (the partitions tab); its "[Show Markdown]" opens the image, as an operator would click it.
    The shared deployment's month backfill ran each report over the month, ending on NEWEST."""
    assert ui_deployment.month_chunk.ranges[asset][1] == NEWEST, "the month's backfill ends on the newest day"
    page = f"{ui_deployment.url}/assets/{asset}"
    browser.get(page if view == "overview" else f"{page}?view=partitions&partition={NEWEST.isoformat()}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"chart-{asset}-{view}.png"
    show = f"//tr[td[normalize-space()='{CHARTS[asset]}']]//*[text()='[Show Markdown]']"
    try:
        WebDriverWait(browser, 90).until(lambda d: d.find_elements(By.XPATH, show))[0].click()
        image = WebDriverWait(browser, 30).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "[role=dialog] img[src^='data:image/png;base64,']"))[0]
        WebDriverWait(browser, 30).until(lambda d: d.execute_script(SETTLED, image))
    except TimeoutException:
        browser.save_screenshot(str(screenshot))
        pytest.fail(f"{asset}'s {view} never showed its chart (screenshot: {screenshot}); it shows:\n"
                    f"{browser.find_element(By.TAG_NAME, 'body').text[:3000]}")
    browser.save_screenshot(str(screenshot))
    print(f"screenshot: {screenshot}")
    width, height = size_of(base64.b64decode(image.get_attribute("src").split(",", 1)[1]))
    assert browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image) == \
        [width, height], "the browser decoded the whole PNG"
