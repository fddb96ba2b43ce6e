"""`claude_code_user_daily`: every user's Claude Code day, from telemetry where it exists and the APIs before.

Telemetry only exists from the day a client turned it on, and undercounts a little (lost
exports); the analytics APIs cover the whole history but lag. For each user and day the row
comes from the first source that covers it, in this order of precedence:

1. `telemetry`: `claude_code_telemetry` has rows for the user that day;
2. `claude_code_report`: the Claude Code Analytics report (Admin key), user_actor rows summed
   over terminals, tokens and estimated cost from its per-model breakdown;
3. `enterprise_users`: the Enterprise users endpoint (Analytics key), with tokens and list cost
   (product `claude_code`) from the Usage and Cost Analytics API (`claude_usage`, `claude_cost`,
   grouped by actor) on the days it has, else from the legacy user usage and cost reports.

`source` names the winner. Where telemetry and an API both cover a user-day, `<measure>_delta`
is telemetry minus that API (the report if present, else the Enterprise numbers), so an analyst
can see how much telemetry undercounts. Users are matched by e-mail, lowercased, and by account
id where telemetry has no e-mail (through the Enterprise users and the Usage and Cost Analytics
API's actors); telemetry with another identity (an `enduser.id`, a `user.id`) is that identity's
row, and only telemetry that carried none is the user `unattributed`. Each source that is not
configured or not yet materialized for a day is simply absent; the materialization says which
sources each day used.
"""

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa

from claude_assets import calendars
from claude_assets.assets.daily import actor_rows, derived_daily_asset
from claude_assets.organizations import DEFAULT, Organization
from claude_assets.tables import Column, Table, count, day, flag, text

MEASURES = ("sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edit_accepted", "edit_rejected",
            "multi_edit_accepted", "multi_edit_rejected", "input_tokens", "output_tokens", "cache_read_tokens",
            "cache_creation_tokens", "cost_usd")
# The edit tools telemetry counts (`code_edit_tool.decision`: Edit, Write, NotebookEdit), so that telemetry and
# the APIs are compared like with like; the APIs' MultiEdit decisions, which telemetry never sees, are apart.
EDIT_TOOLS = ("edit_tool", "write_tool", "notebook_edit_tool")
TELEMETRY_BLIND = {"multi_edit_accepted", "multi_edit_rejected"}  # taken from the APIs even where telemetry wins
SOURCES = ("telemetry", "claude_code_report", "enterprise_users")
NOT_A_PERSON = ("user.id", "unattributed")  # telemetry identity sources that name an install, or nobody
_MEANING = {f"{edits}_{decision}": meaning for edits, meaning in (
    ("edit", "Edit, Write and NotebookEdit decisions: the tools telemetry counts"),
    ("multi_edit", "MultiEdit decisions: only the APIs count them, so they come from the APIs on every row"),
) for decision in ("accepted", "rejected")}

USER_DAILY = Table(
    asset="claude_code_user_daily",
    description="One row per UTC day and user (e-mail, lowercased): Claude Code activity from telemetry where it "
    "covers the user that day, else the Claude Code Analytics report, else the Enterprise users endpoint.",
    natural_key=("date", "email"),
    keeps_extra=False,
    columns=(day("date"), text("email"))
    + tuple(Column(m, pa.float64()) if m == "cost_usd" else count(m, description=_MEANING.get(m, "")) for m in MEASURES)
    + (text("source", description="telemetry, claude_code_report or enterprise_users"),
       flag("person", description="false for telemetry known only by an install's user.id (an API-key, Bedrock, "
            "Vertex or Foundry client with no person attribute) or unattributed: kept, but not a user"))
    + tuple(Column(f"{m}_delta", pa.float64(), description="telemetry minus the API, where both cover the day")
            for m in MEASURES),
)


def _per_user(frame: pd.DataFrame, columns: dict[str, str | list[str]]) -> pd.DataFrame:
    """Sum `frame` per lowercased e-mail into our measure names (a list of columns is summed too)."""
    out = pd.DataFrame({"email": frame["email"].str.lower()})
    for measure, source in columns.items():
        out[measure] = frame[source].fillna(0).sum(axis=1) if isinstance(source, list) else frame[source].fillna(0)
    return out.groupby("email", dropna=False).sum(numeric_only=True)


def telemetry_users(frame: pd.DataFrame, accounts: dict[str, str]) -> pd.DataFrame:
    """Telemetry per person: the e-mail, else the e-mail its account id has in the Enterprise users or the Usage
    and Cost Analytics API's actors, else the identity it carries (an account id, an `enduser.id`, a `user.id`)."""
    if "identity" in frame:
        identity = frame["identity"]
    else:  # a day read before telemetry rows named their identity
        identity = frame["account_id"].fillna("unattributed")
    email = frame["email"].where(frame["email"] != "unattributed")
    missing = email.isna()
    email.loc[missing] = frame.loc[missing, "account_id"].map(accounts).fillna(identity[missing])
    frame = frame.assign(email=email)
    result = _per_user(frame, {m: m for m in MEASURES if m not in TELEMETRY_BLIND})
    sources = frame["identity_source"] if "identity_source" in frame else pd.Series("", index=frame.index)
    nobody = frame.loc[sources.isin(NOT_A_PERSON), "email"].str.lower()
    people = frame.loc[~sources.isin(NOT_A_PERSON), "email"].str.lower()
    result["person"] = ~result.index.isin(set(nobody) - set(people))
    return result


def report_users(usage: pd.DataFrame, models: pd.DataFrame | None) -> pd.DataFrame:
    users = usage[usage["actor_type"] == "user_actor"]
    result = _per_user(users, {
        "sessions": "sessions", "lines_added": "lines_added", "lines_removed": "lines_removed", "commits": "commits",
        "pull_requests": "pull_requests", "edit_accepted": [f"{t}_accepted" for t in EDIT_TOOLS],
        "edit_rejected": [f"{t}_rejected" for t in EDIT_TOOLS], "multi_edit_accepted": "multi_edit_tool_accepted",
        "multi_edit_rejected": "multi_edit_tool_rejected",
    })
    if models is not None and not models.empty:
        per_model = _per_user(models[models["actor_type"] == "user_actor"], {
            "input_tokens": "input_tokens", "output_tokens": "output_tokens", "cache_read_tokens": "cache_read_tokens",
            "cache_creation_tokens": "cache_creation_tokens", "cost_usd": "estimated_cost_usd"})
        result = result.join(per_model, how="left")
    return result


def enterprise_users(activity: pd.DataFrame, usage: pd.DataFrame | None, cost: pd.DataFrame | None) -> pd.DataFrame:
    coders = activity[activity[["claude_code_sessions", "claude_code_lines_added", "claude_code_commits"]].fillna(0)
                      .sum(axis=1) > 0]
    result = _per_user(coders, {
        "sessions": "claude_code_sessions", "lines_added": "claude_code_lines_added",
        "lines_removed": "claude_code_lines_removed", "commits": "claude_code_commits",
        "pull_requests": "claude_code_pull_requests",
        "edit_accepted": [f"claude_code_{t}_accepted" for t in EDIT_TOOLS],
        "edit_rejected": [f"claude_code_{t}_rejected" for t in EDIT_TOOLS],
        "multi_edit_accepted": "claude_code_multi_edit_tool_accepted",
        "multi_edit_rejected": "claude_code_multi_edit_tool_rejected",
    })
    if usage is not None and not usage.empty:
        code = usage[usage["product"] == "claude_code"]
        result = result.join(_per_user(code, {
            "input_tokens": "uncached_input_tokens", "output_tokens": "output_tokens",
            "cache_read_tokens": "cache_read_input_tokens",
            "cache_creation_tokens": ["cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens"]}), how="left")
    if cost is not None and not cost.empty:
        result = result.join(_per_user(cost[cost["product"] == "claude_code"], {"cost_usd": "list_amount_usd"}),
                             how="left")
    return result


def join_day(day_: dt.date, telemetry: pd.DataFrame | None, report: pd.DataFrame | None,
             enterprise: pd.DataFrame | None) -> pd.DataFrame:
    """The user-day rows of one day from whichever per-user frames exist (each indexed by e-mail)."""
    columns = USER_DAILY.schema.names
    frames = {name: f for name, f in zip(SOURCES, (telemetry, report, enterprise)) if f is not None and len(f)}
    if not frames:
        return pd.DataFrame(columns=columns)
    emails = pd.Index(sorted(set().union(*(f.index for f in frames.values()))), name="email")
    aligned = {name: f.reindex(emails) for name, f in frames.items()}
    present = {name: pd.Series(emails.isin(f.index), index=emails) for name, f in frames.items()}
    source = pd.Series(None, index=emails, dtype=object)
    for name in reversed(SOURCES):  # the highest precedence is written last
        if name in present:
            source[present[name]] = name
    out = pd.DataFrame({"date": day_, "email": emails, "source": source.values})
    install = ~aligned["telemetry"]["person"].astype("boolean").fillna(True) if "telemetry" in aligned \
        else pd.Series(False, index=emails)
    known = pd.Series(False, index=emails)
    for name in ("claude_code_report", "enterprise_users"):
        known |= present.get(name, pd.Series(False, index=emails))
    out["person"] = (~install | known).values

    def values(name: str, measure: str) -> pd.Series:
        frame = aligned.get(name)
        if frame is None or measure not in frame:
            return pd.Series(float("nan"), index=emails)
        return frame[measure].astype(float)

    report_has = present.get("claude_code_report", pd.Series(False, index=emails))
    for measure in MEASURES:
        value = pd.Series(float("nan"), index=emails)
        for name in SOURCES:
            value = value.where(source != name, values(name, measure))
        # telemetry minus the API that also has the user: the report where it does, else Enterprise
        api = values("claude_code_report", measure).where(report_has, values("enterprise_users", measure))
        out[measure] = (value.fillna(api) if measure in TELEMETRY_BLIND else value).values
        out[f"{measure}_delta"] = (values("telemetry", measure) - api).where(source == "telemetry").values
    for measure in MEASURES:
        if measure != "cost_usd":
            out[measure] = out[measure].astype("Int64")
    return out[columns]


INPUTS = ["claude_code_telemetry", "claude_code_usage", "claude_code_model_usage", "enterprise_user_activity",
          "enterprise_user_usage", "enterprise_user_cost", "claude_usage", "claude_cost"]
# On a day the Usage and Cost Analytics API has, its per-actor rows stand in for the legacy per-user reports.
REPLACES = {"claude_usage": ("enterprise_user_usage",), "claude_cost": ("enterprise_user_cost",)}


def _per_user_report(raw: dict[str, pd.DataFrame | None], new: str, legacy: str) -> pd.DataFrame | None:
    return actor_rows(raw[new]) if raw[new] is not None else raw[legacy]


def user_day(day_: dt.date, raw: dict[str, pd.DataFrame | None]) -> tuple[pd.DataFrame, dict]:
    activity = raw["enterprise_user_activity"]
    accounts = {}
    for people, key in ((actor_rows(raw["claude_usage"]), "actor_id"), (activity, "user_id")):
        if people is not None:
            known = people.dropna(subset=[key, "email"])
            accounts.update(zip(known[key], known["email"].str.lower()))
    telemetry = raw["claude_code_telemetry"]
    frame = join_day(
        day_,
        telemetry_users(telemetry, accounts) if telemetry is not None and not telemetry.empty else None,
        report_users(raw["claude_code_usage"], raw["claude_code_model_usage"])
        if raw["claude_code_usage"] is not None else None,
        enterprise_users(activity, _per_user_report(raw, "claude_usage", "enterprise_user_usage"),
                         _per_user_report(raw, "claude_cost", "enterprise_user_cost"))
        if activity is not None else None,
    )
    return frame, {f"rows_from_{s}": int((frame["source"] == s).sum()) for s in SOURCES}


def build_user_daily(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    return derived_daily_asset(USER_DAILY, calendars.ENGAGEMENT, "claude_code_history", INPUTS, user_day, __doc__, org,
                               replaces=REPLACES)


claude_code_user_daily = build_user_daily()
