"""Organization-level reports built from whatever raw and joined assets exist for each day.

An organization may have only an Admin key, only an Analytics key, or both: every column that
needs a source which is not in the lake for that day is null, and each materialization lists
the sources it used.

- `org_daily_overview`: one row per day: active users, seats, Claude Code totals, estimated
  versus billed cost.
- `cost_reconciliation`: per day, user and model, Claude Code cost as estimated by telemetry
  and by the Claude Code report, versus list and billed (post-discount) cost, with the variance.

Billed and list cost come from `claude_cost` (the Usage and Cost Analytics API) on the days it has,
else from the legacy reports; `sources_used` and `cost_source` say which.
"""

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa

from claude_assets import calendars
from claude_assets.assets.daily import actor_rows, derived_daily_asset
from claude_assets.organizations import DEFAULT, Organization
from claude_assets.tables import Column, Table, count, day, text

GROUP = "organization"
USD = pa.float64()

OVERVIEW = Table(
    asset="org_daily_overview",
    description="One row per UTC day: active users, seats, Claude Code totals, estimated vs billed cost.",
    natural_key=("date",),
    keeps_extra=False,
    columns=(
        day("date"),
        count("daily_active_users"), count("weekly_active_users"), count("monthly_active_users"),
        count("assigned_seats"), count("pending_invites"),
        count("claude_code_users", description="people with a Claude Code day in claude_code_user_daily (its person "
              "rows: not installs known only by user.id)"), count("claude_code_sessions"), count("lines_added"), count("lines_removed"),
        count("commits"), count("pull_requests"), count("input_tokens"), count("output_tokens"),
        Column("claude_code_estimated_cost_usd", USD, description="Claude Code report estimate, else telemetry"),
        Column("enterprise_list_cost_usd", USD, description="Enterprise cost report, list price"),
        Column("enterprise_billed_cost_usd", USD, description="Enterprise cost report, post-discount"),
        Column("api_billed_cost_usd", USD, description="Admin cost report"),
        Column("billed_cost_usd", USD, description="all usage, post-discount: claude_cost, else the legacy reports"),
        Column("list_cost_usd", USD, description="all usage, list price: claude_cost, else the Enterprise cost report"),
        text("cost_source", description="claude_cost, or the legacy reports the two totals came from"),
        text("sources", description="the assets this day was built from"),
    ),
)

RECONCILIATION = Table(
    asset="cost_reconciliation",
    description="One row per UTC day, user and model: Claude Code cost estimated (telemetry, Claude Code report) "
    "vs list vs billed (claude_cost, else the legacy Enterprise user cost report), with variance.",
    natural_key=("date", "email", "model"),
    keeps_extra=False,
    columns=(
        day("date"), text("email"), text("model"),
        Column("telemetry_estimated_usd", USD), Column("report_estimated_usd", USD),
        Column("list_usd", USD), Column("billed_usd", USD),
        Column("variance_usd", USD, description="billed minus the estimate (the report's, else telemetry's)"),
        Column("variance_pct", USD, description="variance_usd as a percent of the estimate"),
    ),
)


def _sum(frame: pd.DataFrame | None, column: str, where: pd.Series | None = None):
    if frame is None:
        return None
    values = frame.loc[where, column] if where is not None else frame[column]
    return values.sum() if len(values) else 0


def _cost_totals(raw: dict[str, pd.DataFrame | None]) -> dict:
    """The day's billed and list cost of all usage: claude_cost where it has the day, else the legacy reports."""
    if raw["claude_cost"] is not None:
        cost = actor_rows(raw["claude_cost"])
        return {"billed_cost_usd": _sum(cost, "amount_usd"), "list_cost_usd": _sum(cost, "list_amount_usd"),
                "cost_source": "claude_cost"}
    legacy = {name: raw[name] for name in ("enterprise_cost", "api_cost") if raw[name] is not None}
    return {"billed_cost_usd": sum(_sum(f, "amount_usd") for f in legacy.values()) if legacy else None,
            "list_cost_usd": _sum(raw["enterprise_cost"], "list_amount_usd"),
            "cost_source": ", ".join(legacy) or None}


def _people(history: pd.DataFrame) -> pd.DataFrame:
    """The user-days of people: not an install's user.id or unattributed telemetry (a day written before `person`
    counts every row)."""
    return history[history["person"].fillna(True).astype(bool)] if "person" in history else history


def overview_row(day_: dt.date, raw: dict[str, pd.DataFrame | None]) -> dict:
    summaries, history = raw["enterprise_summaries"], raw["claude_code_user_daily"]
    first = summaries.iloc[0] if summaries is not None and len(summaries) else None
    estimate = _sum(raw["claude_code_model_usage"], "estimated_cost_usd")
    if estimate is None:
        estimate = _sum(raw["claude_code_telemetry"], "cost_usd")
    row = {"date": day_, "claude_code_estimated_cost_usd": estimate,
           "enterprise_list_cost_usd": _sum(raw["enterprise_cost"], "list_amount_usd"),
           "enterprise_billed_cost_usd": _sum(raw["enterprise_cost"], "amount_usd"),
           "api_billed_cost_usd": _sum(raw["api_cost"], "amount_usd"),
           **_cost_totals(raw),
           "sources": ", ".join(a for a, f in raw.items() if f is not None)}
    for column, source in (("daily_active_users", "daily_active_users"), ("weekly_active_users", "weekly_active_users"),
                           ("monthly_active_users", "monthly_active_users"), ("assigned_seats", "assigned_seats"),
                           ("pending_invites", "pending_invites")):
        row[column] = None if first is None or pd.isna(first[source]) else int(first[source])
    row["claude_code_users"] = None if history is None else int(_people(history)["email"].nunique())
    for column, source in (("claude_code_sessions", "sessions"), ("lines_added", "lines_added"),
                           ("lines_removed", "lines_removed"), ("commits", "commits"),
                           ("pull_requests", "pull_requests"), ("input_tokens", "input_tokens"),
                           ("output_tokens", "output_tokens")):
        total = _sum(history, source)
        row[column] = None if total is None else int(total)
    return row


def _by_user_model(frame: pd.DataFrame | None, column: str, name: str, where=None) -> pd.Series:
    if frame is None or frame.empty:
        return pd.Series(dtype=float, name=name)
    frame = frame if where is None else frame[where(frame)]
    frame = frame.dropna(subset=["email"]).assign(email=lambda f: f["email"].str.lower())
    return frame.groupby(["email", "model"])[column].sum().rename(name)


def reconciliation_rows(day_: dt.date, raw: dict[str, pd.DataFrame | None]) -> pd.DataFrame:
    billed = actor_rows(raw["claude_cost"]) if raw["claude_cost"] is not None else raw["enterprise_user_cost"]
    parts = [
        _by_user_model(raw["claude_code_telemetry"], "cost_usd", "telemetry_estimated_usd",
                       lambda f: f["model"].notna()),
        _by_user_model(raw["claude_code_model_usage"], "estimated_cost_usd", "report_estimated_usd",
                       lambda f: f["actor_type"] == "user_actor"),
        _by_user_model(billed, "list_amount_usd", "list_usd", lambda f: f["product"] == "claude_code"),
        _by_user_model(billed, "amount_usd", "billed_usd", lambda f: f["product"] == "claude_code"),
    ]
    frame = pd.concat(parts, axis=1).reset_index()
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in RECONCILIATION.columns])
    frame = frame.rename(columns={"level_0": "email", "level_1": "model"})
    estimate = frame["report_estimated_usd"].fillna(frame["telemetry_estimated_usd"])
    frame["variance_usd"] = frame["billed_usd"] - estimate
    frame["variance_pct"] = (frame["variance_usd"] / estimate.where(estimate != 0)) * 100
    frame.insert(0, "date", day_)
    return frame[[c.name for c in RECONCILIATION.columns]]


def build_org_daily_overview(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    return derived_daily_asset(
        OVERVIEW, calendars.ENGAGEMENT, GROUP,
        ["enterprise_summaries", "claude_code_user_daily", "claude_code_model_usage", "claude_code_telemetry",
         "enterprise_cost", "api_cost", "claude_cost"],
        lambda day_, raw: ([overview_row(day_, raw)], {}),
        OVERVIEW.description,
        org,
    )


def build_cost_reconciliation(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    return derived_daily_asset(
        RECONCILIATION, calendars.ENTERPRISE_USAGE_COST, GROUP,
        ["claude_code_telemetry", "claude_code_model_usage", "enterprise_user_cost", "claude_cost"],
        lambda day_, raw: (reconciliation_rows(day_, raw), {}),
        RECONCILIATION.description,
        org,
        replaces={"claude_cost": ("enterprise_user_cost",)},
    )


org_daily_overview = build_org_daily_overview()
cost_reconciliation = build_cost_reconciliation()
