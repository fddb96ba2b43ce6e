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
sources each day used. The rules are the commented steps of `queries/claude_code_user_daily.sql`.
"""

from collections import Counter

import dagster as dg
import pyarrow as pa

from claude_assets.defs.assets.daily import derived_daily_asset
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.sources import RAW_TABLES
from claude_assets.sources.claude_code_history import SOURCE, USER_DAILY
from claude_assets.sources.telemetry import TELEMETRY_TABLE

SOURCES = ("telemetry", "claude_code_report", "enterprise_users")  # in order of precedence
INPUTS = [TELEMETRY_TABLE] + [RAW_TABLES[name] for name in (
    "claude_code_usage", "claude_code_model_usage", "enterprise_user_activity", "enterprise_user_usage",
    "enterprise_user_cost", "claude_usage", "claude_cost")]
# On a day the Usage and Cost Analytics API has, its per-actor rows stand in for the legacy per-user reports.
REPLACES = {"claude_usage": ("enterprise_user_usage",), "claude_cost": ("enterprise_user_cost",)}


def rows_by_source(rows: pa.Table) -> dict[str, int]:
    """How many of a day's rows each source won."""
    won = Counter(rows["source"].to_pylist())
    return {f"rows_from_{source}": won[source] for source in SOURCES}


def build_user_daily(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    return derived_daily_asset(USER_DAILY, SOURCE.calendar, SOURCE.group, INPUTS, __doc__, org,
                               replaces=REPLACES, day_metadata=rows_by_source)


claude_code_user_daily = build_user_daily()
