"""Data-quality checks on the raw tables.

Per-table checks (unique natural key, non-negative counters) run inside each sync, over the
days it wrote, because they need nothing but the rows in hand; a result lists the failing days.
Dagster records a check result per run, not per partition of a multi-day run, so the failing
days are in the result's metadata. The cross-source check compares two APIs' views of the same
users and days, reading both from the lake.
"""


import datetime as dt

import dagster as dg
import pyarrow as pa

from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.engine.tables import NON_NEGATIVE, UNIQUE, Table


def table_check_specs(table: Table, org: Organization = DEFAULT) -> list[dg.AssetCheckSpec]:
    counters = [c.name for c in table.columns if c.type == pa.int64()]
    return [
        dg.AssetCheckSpec(
            UNIQUE, asset=org.key(table.asset),
            description=f"No two rows of a day share the natural key ({', '.join(table.natural_key)}).",
        ),
        dg.AssetCheckSpec(
            NON_NEGATIVE, asset=org.key(table.asset),
            description=f"Counters are never negative ({len(counters)} columns).",
        ),
    ]


def table_check_results(
    table: Table, findings: dict[dt.date, dict], org: Organization = DEFAULT
) -> list[dg.AssetCheckResult]:
    """One result per check over the days a run wrote, naming the failing days."""
    duplicates = {d.isoformat(): f[UNIQUE] for d, f in sorted(findings.items()) if f[UNIQUE]}
    negatives = {d.isoformat(): f[NON_NEGATIVE] for d, f in sorted(findings.items()) if f[NON_NEGATIVE]}
    checked = {"days_checked": len(findings)}
    return [
        dg.AssetCheckResult(
            asset_key=org.key(table.asset), check_name=UNIQUE, passed=not duplicates,
            metadata={**checked, "duplicate_rows_by_day": dg.MetadataValue.json(duplicates)},
        ),
        dg.AssetCheckResult(
            asset_key=org.key(table.asset), check_name=NON_NEGATIVE, passed=not negatives,
            metadata={**checked, "negative_values_by_day": dg.MetadataValue.json(negatives)},
        ),
    ]


CLAUDE_CODE_PAIRS = {  # claude_code_usage column -> enterprise_user_activity column
    "sessions": "claude_code_sessions",
    "lines_added": "claude_code_lines_added",
    "lines_removed": "claude_code_lines_removed",
    "commits": "claude_code_commits",
    "pull_requests": "claude_code_pull_requests",
}
DAYS_COMPARED = 7


def cross_api_check(org: Organization = DEFAULT) -> dg.AssetChecksDefinition:
    """The organization's check that its two APIs agree on each user's Claude Code totals."""

    @dg.asset_check(
        asset=org.key("enterprise_user_activity"),
        additional_deps=[org.key("claude_code_usage")],
        required_resource_keys={org.resource("lake")},
        name="claude_code_agrees_across_apis",
        description=(
            "For the newest days both APIs have, each user's Claude Code totals in the Enterprise users endpoint "
            "match the Claude Code Analytics report (summed over terminals). The two APIs cover different "
            "populations (first-party API traffic vs claude.ai Enterprise seats), so only users present in both "
            "are compared, and a mismatch is a warning."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return compare_claude_code(getattr(context.resources, org.resource("lake")).get_lake())

    return _check


def compare_claude_code(lake: Lake) -> dg.AssetCheckResult:
    common = sorted(set(lake.days("claude_code_usage")) & set(lake.days("enterprise_user_activity")))[-DAYS_COMPARED:]
    mismatches: dict[str, dict] = {}
    compared = 0
    for day in common:
        report = lake.read_day("claude_code_usage", day).to_pandas()
        report = report[report["actor_type"] == "user_actor"].assign(email=lambda f: f["email"].str.lower())
        report = report.groupby("email")[list(CLAUDE_CODE_PAIRS)].sum()
        users = lake.read_day("enterprise_user_activity", day).to_pandas()
        users = users.assign(email=users["email"].str.lower()).set_index("email")[list(CLAUDE_CODE_PAIRS.values())]
        both = report.join(users, how="inner")
        compared += len(both)
        for email, row in both.iterrows():
            diff = {a: int(row[a]) - int(row[b]) for a, b in CLAUDE_CODE_PAIRS.items() if row[a] != row[b]}
            if diff:
                mismatches.setdefault(day.isoformat(), {})[email] = diff
    return dg.AssetCheckResult(
        passed=not mismatches,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "days_compared": dg.MetadataValue.json([d.isoformat() for d in common]),
            "user_days_compared": compared,
            "mismatches (report minus enterprise)": dg.MetadataValue.json(mismatches),
        },
    )


claude_code_agrees_across_apis = cross_api_check()
