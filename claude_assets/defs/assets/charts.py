"""Charts of the organization reports, added to their materializations so the asset page shows the trend.

A day's row says little on its own; an operator wants the last 90 days at a glance, next to the run that
wrote them. Each chart is a Vega-Lite spec built with altair and rendered to PNG in-process by vl-convert
(no browser, no network), then embedded as a Markdown image with a data URI: the form Dagster's UI shows
as an image (behind the metadata row's "[Show Markdown]").

altair and vl-convert are imported where a chart is drawn, not with the module: every run and code
server loads the definitions, and altair alone would add about half a second to each.
"""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd

from claude_assets.engine.lake import DamagedDayError, Lake

if TYPE_CHECKING:  # imported where a chart is drawn: loading the definitions should not pay for it
    import altair as alt

WINDOW_DAYS = 90
WIDTH = 560  # px of each panel's plot area: with axes and legend, PNGs of about 700-760 x 540 px at SCALE 1
SCALE = 1.0
OVERVIEW_KEY = "chart: last 90 days"
RECONCILIATION_KEY = "chart: estimated vs billed per week and model"

# (panel title, y-axis title, {column: series name}) of org_daily_overview, top to bottom
OVERVIEW_PANELS = (
    ("Active users against seats", "people", {"daily_active_users": "daily active users",
                                              "weekly_active_users": "weekly active users",
                                              "assigned_seats": "assigned seats"}),
    ("Claude Code users", "people", {"claude_code_users": "Claude Code users"}),
    ("Cost", "USD", {"claude_code_estimated_cost_usd": "Claude Code, estimated", "list_cost_usd": "all usage, list",
                     "billed_cost_usd": "all usage, billed"}),
)


def overview_chart(lake: Lake, day: dt.date) -> dict[str, dg.MetadataValue]:
    """The last 90 days of `org_daily_overview` to `day`: users against seats, Claude Code users, and cost."""
    import altair as alt

    first = day - dt.timedelta(days=WINDOW_DAYS - 1)
    frame = _window(lake, "org_daily_overview", first, day)
    x = alt.X("date:T", title=None, scale=alt.Scale(type="utc", domain=[_utc(first), _utc(day)]),
              axis=alt.Axis(format="%b %d", labelAngle=0))
    panels = []
    for title, unit, series in OVERVIEW_PANELS:
        points = _long(frame, "date", series)
        if points.empty:
            continue
        names = list(series.values())  # the domain, so a series keeps its colour on days the others lack
        panels.append(alt.Chart(points, title=title).mark_line(point=alt.OverlayMarkDef(size=16)).encode(
            x, alt.Y("value:Q", title=unit), alt.Color("series:N", title=None, scale=alt.Scale(domain=names)),
        ).properties(width=WIDTH, height=120))
    if not panels:
        return _nothing(OVERVIEW_KEY, "org_daily_overview", first, day)
    chart = alt.vconcat(*panels, title=f"org_daily_overview, {first} to {day}").resolve_scale(color="independent")
    return _image(OVERVIEW_KEY, f"org_daily_overview, last {WINDOW_DAYS} days", chart)


def reconciliation_chart(lake: Lake, day: dt.date) -> dict[str, dg.MetadataValue]:
    """Claude Code cost per ISO week and model over the last 90 days to `day`: estimated against billed."""
    import altair as alt

    first = day - dt.timedelta(days=WINDOW_DAYS - 1)
    frame = _window(lake, "cost_reconciliation", first, day)
    if frame is not None:
        frame = pd.DataFrame({
            "week": frame["date"].map(_week),
            "model": frame["model"].fillna("(no model)"),
            "estimated": _column(frame, "report_estimated_usd").fillna(_column(frame, "telemetry_estimated_usd")),
            "billed": _column(frame, "billed_usd"),
        }).groupby(["week", "model"])[["estimated", "billed"]].sum(min_count=1).reset_index()
    bars = _long(frame, ["week", "model"], {"estimated": "estimated", "billed": "billed"})
    if bars.empty:
        return _nothing(RECONCILIATION_KEY, "cost_reconciliation", first, day)
    weeks = sorted({_week(first + dt.timedelta(days=n)) for n in range(WINDOW_DAYS)})  # a week without data shows
    chart = alt.Chart(bars).mark_bar().encode(
        alt.X("week:O", title="ISO week", scale=alt.Scale(domain=weeks), axis=alt.Axis(labelAngle=-45)),
        alt.XOffset("series:N", sort=["estimated", "billed"]),
        alt.Y("value:Q", title="USD"),
        alt.Color("series:N", title=None, scale=alt.Scale(domain=["estimated", "billed"])),
    ).properties(width=WIDTH, height=90).facet(
        row=alt.Row("model:N", title=None, header=alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start",
                                                             labelFontWeight="bold")),
        title=alt.Title(f"Claude Code cost per week and model, {first} to {day}",
                        subtitle="estimated: the Claude Code report's, else telemetry's; the first and last weeks "
                                 "may be partial"),
    ).resolve_scale(y="independent")
    return _image(RECONCILIATION_KEY, "estimated vs billed cost per week and model", chart)


def _window(lake: Lake, asset: str, first: dt.date, last: dt.date) -> pd.DataFrame | None:
    """The asset's rows from `first` to `last`, from the days the lake has (a damaged day is left out, not fatal)."""
    frames = []
    for day in lake.days(asset):
        if first <= day <= last:
            try:
                table = lake.read_day(asset, day)
            except DamagedDayError:
                continue
            if table is not None and table.num_rows:
                frames.append(table.to_pandas())
    return pd.concat(frames, ignore_index=True) if frames else None


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column, or nulls if the frame (a day written before it existed) lacks it."""
    return pd.to_numeric(frame[name], errors="coerce") if name in frame else pd.Series(float("nan"), index=frame.index)


def _long(frame: pd.DataFrame | None, keys: str | list[str], series: dict[str, str]) -> pd.DataFrame:
    """One row per key and series with a value: the shape Vega-Lite draws lines and bars from; nulls left out."""
    keys = [keys] if isinstance(keys, str) else keys
    if frame is None:
        return pd.DataFrame(columns=[*keys, "series", "value"])
    wide = frame[keys].astype(str).assign(**{name: _column(frame, column) for column, name in series.items()})
    return wide.melt(id_vars=keys, var_name="series", value_name="value").dropna(subset=["value"])


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _utc(day: dt.date) -> alt.DateTime:
    import altair as alt

    return alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True)


def _png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as PNG, rendered with the Vega-Lite version altair wrote the spec for; no URL is fetched."""
    import altair as alt
    import vl_convert

    version = alt.SCHEMA_VERSION.rsplit(".", 1)[0]
    return _recompressed(vl_convert.vegalite_to_png(chart.to_dict(), vl_version=version, scale=SCALE,
                                                    allowed_base_urls=[]))


def _recompressed(png: bytes) -> bytes:
    """The same PNG with its pixels deflated at level 9: vl-convert deflates fast, and its files are three times
    larger; every materialization keeps its chart in the event log."""
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        chunks.append((png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]))
        pos += 12 + length
    pixels = zlib.compress(zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT")), 9)
    first = next(n for n, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    chunks = [chunk for chunk in chunks if chunk[0] != b"IDAT"]
    chunks.insert(first, (b"IDAT", pixels))
    return png[:8] + b"".join(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
                              for kind, data in chunks)


def _image(key: str, title: str, chart: alt.TopLevelMixin) -> dict[str, dg.MetadataValue]:
    data = base64.b64encode(_png(chart)).decode("ascii")
    return {key: dg.MetadataValue.md(f"![{title}](data:image/png;base64,{data})")}


def _nothing(key: str, asset: str, first: dt.date, last: dt.date) -> dict[str, dg.MetadataValue]:
    return {key: dg.MetadataValue.text(f"nothing to chart yet: {asset} has no values from {first} to {last}")}
