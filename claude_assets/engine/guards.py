"""Guards: a day is replaced only by an answer at least as good, and never by another organization's.

An answer that looks worse than the day in the lake (`worse`) is quarantined with the reason; one that names
another organization than the lake's, or two organizations in one listing, stops before anything lands.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Iterator

import pyarrow as pa

from claude_assets.engine.client.errors import ClaudeAssetsError
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.lake import META_KEY, Lake
from claude_assets.engine.tables import Flattened, Table


class OrganizationMismatchError(ClaudeAssetsError):
    """One organization's day would land in a lake whose days came from another: two organizations' people and
    totals would mix, and days of the other one would be skipped as already done."""

    def __init__(self, asset: str, day: dt.date | None, lake: Lake, held: str, answered: str):
        where = f"{asset} {day.isoformat()}" if day else asset
        super().__init__(
            f"{where}: the API answers for organization {answered}, but the lake at {lake.base} holds {asset} days "
            f"of organization {held}, so nothing was written. A lake holds one organization. Point "
            "CLAUDE_ASSETS_DATA_DIR (or the organization's data_dir in the file CLAUDE_ASSETS_ORGANIZATIONS names) "
            f"at a folder of its own for {answered}, or check that the keys are those of {held}. If {held} is the "
            "demo's emulated organization (a `make demo` from before the demo had its own ./demo folder), delete "
            "the demo's days from this lake, or the lake if it holds nothing else, and run again."
        )


class OrganizationChangedError(ClaudeAssetsError):
    """One answer's pages name two organizations: landing it would mix them in one day, as the rule above
    stops between days."""

    def __init__(self, endpoint: Endpoint, answer: dict, first: tuple[str, str], then: tuple[str, str]):
        super().__init__(
            f"{endpoint.name} {answer['first']}..{answer['last']}: GET {endpoint.path} answered for organization "
            f"{first[0]} on {first[1]} and for {then[0]} on {then[1]}, so nothing was written. One listing is one "
            "organization's. Check that ANTHROPIC_BASE_URL is the API, not a proxy or cache that mixes answers, and "
            "that the key is one organization's; then run again: days already written are kept."
        )


def names_organization(endpoint: Endpoint) -> bool:
    """Whether the endpoint's answers carry an `organization_id` (in their envelope or in every row)."""
    return any(c.name == "organization_id" for t in endpoint.tables for c in t.columns)


def answered_organization(endpoint: Endpoint, answer: dict) -> str | None:
    """The organization an answer is for: what the sync recorded in it, its pages' envelope, or its rows'."""
    if answer.get("organization_id"):
        return answer["organization_id"]
    if not names_organization(endpoint):
        return None
    return next((said for said, _ in organizations_named(endpoint, answer)), None)


def organizations_named(endpoint: Endpoint, answer: dict) -> Iterator[tuple[str, str]]:
    """(organization, where) for each envelope and row of an answer's pages that names one."""
    for grouping, pages in answer_parts(answer):
        for number, page in enumerate(pages, 1):
            where = f"page {number}" + (f" of grouping {grouping}" if grouping else "")
            for record in [page, *endpoint.records(page)]:
                said = record.get("organization_id") if isinstance(record, dict) else None
                if isinstance(said, str) and said:
                    yield said, where


def answer_parts(answer: dict) -> list[tuple[str | None, list[dict]]]:
    """(grouping, pages) of a kept answer: one part, or one per grouping of an endpoint that has them."""
    if "parts" in answer:
        return [(part["grouping"], part["pages"]) for part in answer["parts"]]
    return [(None, answer["pages"])]


def refuse_two_organizations(endpoint: Endpoint, answer: dict) -> None:
    """Stop before an answer whose pages (or groupings) name two organizations lands: one answer is one
    organization's days, as a lake is one organization's."""
    first = None
    for said, where in organizations_named(endpoint, answer):
        if first is None:
            first = (said, where)
        elif said != first[0]:
            raise OrganizationChangedError(endpoint, answer, first, (said, where))


def check_organization(lake: Lake, asset: str, day: dt.date, before: pa.Table | None, organization: str,
                        held: dict[str, str | None] | None) -> dict[str, str | None]:
    """Stop before a day of `organization` replaces another organization's day, or joins a lake of another's.

    Days written before days recorded their organization say none, and are accepted. Returns `held`, looked up
    once when the caller had not."""
    held = {} if held is None else held
    if asset not in held:
        held[asset] = lake.organization(asset)
    kept = json.loads((before.schema.metadata or {}).get(META_KEY, b"{}")) if before is not None else {}
    theirs = kept.get("organization_id") or held[asset]
    if theirs and theirs != organization:
        raise OrganizationMismatchError(asset, day, lake, theirs, organization)
    return held


MIN_ROWS_SHARE = 0.5  # a settled day answered with fewer rows than this share of the kept ones is suspect
MIN_ROWS_EMPTIED = 3  # a column all null in one or two rows may be the data (a deleted project), not drift


def worse(endpoint: Endpoint, table: Table, day: dt.date, before: pa.Table | None, new: Flattened) -> list[str]:
    """Why a new answer for a day would make the day in the lake worse; empty when it is at least as good.

    Worse means: a key column that had a value in every row of a kind (`KINDS`) now has nulls in that kind;
    columns that had values are now empty in every one of three or more rows (a block of fields gone); values
    that parsed before no longer do; or, for a day that had settled, far fewer rows. A new field is not worse:
    it goes to `extra`. Dimensions are left out, as which of them hold values follows the query's grouping."""
    after = new.table
    if before is None or before.num_rows == 0:
        return []
    shared = [c for c in after.column_names if c in before.column_names and c != "extra"]
    key = [c for c in table.natural_key if c in shared and c != "date"]
    dimensions = {c.name for c in table.columns if c.blank_is_null}
    problems = _unidentified(key, before, after)
    emptied = [c for c in shared if c not in key and c not in dimensions and after.num_rows >= MIN_ROWS_EMPTIED
               and before[c].null_count < before.num_rows and after[c].null_count == after.num_rows]
    if emptied:
        problems.append(f"{len(emptied)} column(s) that had values are now empty ({', '.join(emptied[:8])}"
                        f"{', ...' if len(emptied) > 8 else ''})")
    problems += [f"{n} value(s) of {c} no longer parse (kept in extra._unparsed)" for c, n in new.unparsed_values.items()
                 if c in shared and before[c].null_count < before.num_rows]
    kept = json.loads((before.schema.metadata or {}).get(META_KEY, b"{}"))
    settled = kept.get("fetched_at") and endpoint.calendar.is_settled(day, dt.datetime.fromisoformat(kept["fetched_at"]))
    if settled and after.num_rows < before.num_rows * MIN_ROWS_SHARE:
        problems.append(f"{after.num_rows} rows where the settled day had {before.num_rows}")
    return problems


KINDS = ("grouping", "actor_type")  # key columns that say what kind of row it is: which other key columns it has


def _unidentified(key: list[str], before: pa.Table, after: pa.Table) -> list[str]:
    """Key columns that had a value in every row of a kind of row and now have nulls in rows of that kind.

    A row's identity is its whole key, judged per kind of row: an API key's row has no e-mail, so the first such
    row in a day of members' rows is new data, not drift. The kind columns themselves are judged over every row."""
    kinds = [c for c in key if c in KINDS]
    problems = [(c, after[c].null_count, "row") for c in kinds if before[c].null_count == 0 and after[c].null_count]
    kind_before = list(zip(*(before[c].to_pylist() for c in kinds))) if kinds else [()] * before.num_rows
    kind_after = list(zip(*(after[c].to_pylist() for c in kinds))) if kinds else [()] * after.num_rows
    for c in key:
        if c in kinds:
            continue
        gaps = {kind for kind, value in zip(kind_before, before[c].to_pylist()) if value is None}
        full = set(kind_before) - gaps
        nulls = sum(1 for kind, value in zip(kind_after, after[c].to_pylist()) if value is None and kind in full)
        if nulls:
            problems.append((c, nulls, f"row of its {' and '.join(kinds)}" if kinds else "row"))
    return [f"key column {c} is null in {nulls} of {after.num_rows} rows (it had a value in every {where})"
            for c, nulls, where in problems]
