"""What the Usage and Cost Analytics API aggregates: each slice of a day's usage with every
dimension it can be grouped or filtered on, read from the same truth as the legacy reports.

A fact is (dims, pricing tier, vector). `dims` maps a dimension to the values the slice counts
under: one value, except `rbac_group_id` (a user in several groups counts in each, as on
`/users`); a dimension missing from `dims` is null. The vector is (uncached, 5m, 1h, cache_read,
output, web_search, requests), the Enterprise reports' order.

Seat facts (what Enterprise `usage_report`/`cost_report` serve) are revised while provisional
exactly as those reports revise them. Console facts (Admin `usage_report/messages` and
`cost_report`) are final. For cost, a Console web search is a slice of its own with no model,
tier, context window, geo or speed, because the Admin cost report bills it without them (F10):
so per-model cost equals the legacy reports' on both sides.
"""

from __future__ import annotations

import itertools
import math
from datetime import date

from .enterprise_reports import FINAL_AFTER_DAYS
from .org import SyntheticOrg

SEAT, CONSOLE = "seat", "console"
NULL = (None,)
_NOT_BILLED_PER_MODEL = ("model", "service_tier", "context_window", "inference_geo", "speed")


def seat_facts(org: SyntheticOrg, day: date, today: date, exclude_deleted: bool):
    """Every seat's usage on `day` as the Enterprise reports serve it on `today`."""
    pending = max(0, FINAL_AFTER_DAYS - (today - day).days) / FINAL_AFTER_DAYS
    group_ids = [gid for gid, _ in org.rbac_groups]
    for ud in org.active_user_days(day):
        user = ud.user
        if exclude_deleted and user.deleted(today):
            continue
        keep = 1 - ud.revision * pending
        who = {"actor": (user.id,), "actor_type": ("user_actor",),
               "rbac_group_id": tuple(group_ids[g] for g in user.rbac_groups)}
        for item in ud.usage:
            v = (item.uncached, item.cache_5m, item.cache_1h, item.cache_read, item.output,
                 item.web_search, item.requests)
            if keep < 1:
                v = tuple(math.floor(x * keep) for x in v)
            yield {**who, "product": (item.product,), "model": (item.model,),
                   "context_window": (item.context_window,), "inference_geo": (item.inference_geo,),
                   "speed": (item.speed,)}, "standard", v


def console_facts(org: SyntheticOrg, day: date, cost: bool):
    """The Console's usage on `day`, attributed to the API key that made it (product null)."""
    for item in org.api_usage(day):
        dims = {"actor": (item.api_key_id,), "actor_type": ("api_key_actor",),
                "api_key_id": (item.api_key_id,), "workspace_id": (item.workspace_id,),
                "model": (item.model,), "service_tier": (item.service_tier,),
                "context_window": (item.context_window,), "inference_geo": (item.inference_geo,),
                "speed": (item.speed,)}
        v = (item.uncached, item.cache_5m, item.cache_1h, item.cache_read, item.output,
             item.web_search, item.requests)
        if cost and item.web_search:
            yield dims, item.service_tier, (*v[:5], 0, v[6])
            yield {**dims, **dict.fromkeys(_NOT_BILLED_PER_MODEL, NULL)}, None, (0, 0, 0, 0, 0, v[5], 0)
        else:
            yield dims, item.service_tier, v


def day_groups(facts, filters: dict[str, set], group_dims: tuple[str, ...]) -> dict[tuple, list[int]]:
    """Vectors of the facts that pass every filter, summed per (group key, model, pricing tier):
    the model and tier stay in the key so that cost can be priced after cutting. A filtered
    dimension is grouped on the wanted values only (a user's other groups are left out)."""
    groups: dict[tuple, list[int]] = {}
    for dims, tier, v in facts:
        if any(not wanted.intersection(dims.get(d, NULL)) for d, wanted in filters.items()):
            continue
        for key in itertools.product(*(_grouped(dims.get(d, NULL), filters.get(d)) for d in group_dims)):
            acc = groups.setdefault((key, dims["model"][0], tier), [0] * 7)
            for i, x in enumerate(v):
                acc[i] += x
    return groups


def _grouped(values: tuple, wanted: set | None) -> tuple:
    """The values a fact is grouped under: all of them, or only those a filter wants."""
    return values if wanted is None else tuple(v for v in values if v in wanted)
