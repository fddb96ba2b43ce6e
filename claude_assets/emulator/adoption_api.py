"""Enterprise Analytics adoption endpoints for one day: chat projects, skills, connectors,
plugins and artifacts. Each row is an aggregate of the same user-days /users reports.
Projects, skills and connectors rows carry the grouping fields of the newest reference, null
because the emulator does not group them (field report F13).
"""

from __future__ import annotations

from collections import defaultdict

from . import catalog, money
from .activity import SURFACES
from .engagement import filters, paged, the_day, user_passes
from .request import ApiRequest
from .timeutil import rfc3339

_PAGED = ("date", "limit", "page")
SKILL_PRICE_UNITS = 3 * money.UNITS_PER_CENT  # list price attributed to one skill invocation
UNGROUPED = dict.fromkeys(("product", "rbac_group_id", "rbac_group_name", "user_id"))


def chat_projects(req: ApiRequest) -> dict:
    q = req.query(*_PAGED)
    day = the_day(req, q)

    def rows():
        stats = defaultdict(lambda: [set(), 0, 0])
        for ud in req.org.active_user_days(day):
            for p, conversations, messages in ud.projects:
                s = stats[p]
                s[0].add(ud.user.index)
                s[1] += conversations
                s[2] += messages
        out = []
        for p, (users, conversations, messages) in stats.items():
            project = req.org.projects[p]
            creator = req.org.users[project.creator] if project.creator is not None else None
            out.append({
                "project_name": project.name,
                "project_id": project.id,
                "distinct_user_count": len(users),
                "distinct_conversation_count": conversations,
                "message_count": messages,
                "created_at": rfc3339(project.created_at) if project.created_at else None,
                "created_by": {"id": creator.id, "email_address": creator.email, "type": "user"} if creator else None,
                **UNGROUPED,
            })
        return sorted(out, key=lambda row: row["project_id"])

    return paged(req, q, rows, default_limit=100)


def _per_surface(uses) -> tuple[dict, set, dict]:
    """Sum per-surface context counts of skill/connector uses, by item index."""
    contexts = defaultdict(lambda: dict.fromkeys(SURFACES, 0))
    users = defaultdict(set)
    extra = defaultdict(lambda: [0, 0, 0, 0])
    for user_index, use in uses:
        item, surface, n, *rest = use
        contexts[item][surface] += n
        users[item].add(user_index)
        for i, v in enumerate(rest):
            extra[item][i] += v
    return contexts, users, extra


def _surface_blocks(counts: dict, chat_key: str, session_key: str) -> dict:
    return {
        "chat_metrics": {chat_key: counts["chat"]},
        "claude_code_metrics": {session_key: counts["claude_code"]},
        "cowork_metrics": {session_key: counts["cowork"]},
        "office_metrics": {app: {session_key: counts[app]} for app in catalog.OFFICE_APPS},
    }


def skills(req: ApiRequest) -> dict:
    q = req.query(*_PAGED)
    day = the_day(req, q)

    def rows():
        uses = [(ud.user.index, use) for ud in req.org.active_user_days(day) for use in ud.skill_uses]
        contexts, users, extra = _per_surface(uses)
        enabled = defaultdict(int)
        for u in req.org.users:
            if u.is_member(day):
                for s in u.skills:
                    enabled[s] += 1
        out = []
        for s in sorted(contexts, key=lambda i: catalog.SKILLS[i][0]):
            name, display, share = catalog.SKILLS[s]
            invocations = extra[s][0]
            out.append({
                "skill_name": name,
                "skill_display_name": display,
                "share_status": share,
                "distinct_user_count": len(users[s]),
                **_surface_blocks(contexts[s], "distinct_conversation_skill_used_count", "distinct_session_skill_used_count"),
                "enable_count": enabled[s],
                "invocation_count": invocations,
                "attributed_list_price": money.cents_string(invocations * SKILL_PRICE_UNITS),
                "estimated_overage_spend": money.cents_string(0),
                "currency": "USD",
                **UNGROUPED,
            })
        return out

    return paged(req, q, rows, default_limit=100)


def connectors(req: ApiRequest) -> dict:
    q = req.query(*_PAGED)
    day = the_day(req, q)

    def rows():
        uses = [(ud.user.index, use) for ud in req.org.active_user_days(day) for use in ud.connector_uses]
        contexts, users, calls = _per_surface(uses)
        out = []
        for c in sorted(contexts, key=lambda i: catalog.CONNECTORS[i][0]):
            name, display = catalog.CONNECTORS[c]
            managed = c % 2 == 0  # workspace-managed credentials for half of the connectors
            out.append({
                "connector_name": name,
                "connector_display_name": display,
                "distinct_user_count": len(users[c]),
                **_surface_blocks(contexts[c], "distinct_conversation_connector_used_count",
                                  "distinct_session_connector_used_count"),
                "individual_auth_distinct_user_count": 0 if managed else len(users[c]),
                "managed_auth_distinct_user_count": len(users[c]) if managed else 0,
                "read_call_count": calls[c][0],
                "write_call_count": calls[c][1],
                "unclassified_call_count": calls[c][2],
                **UNGROUPED,
            })
        return out

    return paged(req, q, rows, default_limit=100)


def plugins(req: ApiRequest) -> dict:
    q = req.query(*_PAGED)
    day = the_day(req, q)

    def rows():
        stats = defaultdict(lambda: {"claude_code": 0, "cowork": 0, "users": set(), "installs": 0, "invocations": 0})
        for ud in req.org.active_user_days(day):
            for p, surface, sessions, invocations in ud.plugin_uses:
                s = stats[p]
                s[surface] += sessions
                s["users"].add(ud.user.index)
                s["invocations"] += invocations
            for p in ud.plugin_installs:
                stats[p]["installs"] += 1
        return [
            {
                "plugin_id": req.org.plugin_ids[p],
                "plugin_name": catalog.PLUGINS[p],
                "distinct_user_count": len(s["users"]),
                "claude_code_metrics": {"distinct_session_plugin_used_count": s["claude_code"]},
                "cowork_metrics": {"distinct_session_plugin_used_count": s["cowork"]},
                "install_count": s["installs"],
                "invocation_count": s["invocations"],
            }
            for p, s in sorted(stats.items(), key=lambda kv: catalog.PLUGINS[kv[0]])
        ]

    return paged(req, q, rows, default_limit=100)


def artifacts(req: ApiRequest) -> dict:
    """Ungrouped: the full cube (every type x shared flag, zeros included) with no paging.
    Grouped by user_id and/or rbac_group_id: one row per group and cell, paged."""
    q = req.query(*_PAGED, "filter[]", "group_by[]")
    day = the_day(req, q)
    flt = filters(q, ("user_id", "rbac_group_id"))
    requested = q.many("group_by[]", ("user_id", "rbac_group_id"))
    group_by = [g for g in ("user_id", "rbac_group_id") if g in requested]
    groups = dict(req.org.rbac_groups)

    def rows():
        cells = defaultdict(lambda: [0, set(), 0])
        for ud in req.org.active_user_days(day):
            if not user_passes(req, ud.user, flt):
                continue
            keys = [()]
            if "user_id" in group_by:
                keys = [(ud.user.id,)]
            if "rbac_group_id" in group_by:
                keys = [k + (req.org.rbac_groups[g][0],) for k in keys for g in ud.user.rbac_groups]
            for kind, shared, created, published in ud.artifacts:
                for key in keys:
                    cell = cells[key + (kind, shared)]
                    cell[0] += created
                    cell[1].add(ud.user.index)
                    cell[2] += published
        if not group_by:
            cube = [((), k, s) for k in range(len(catalog.ARTIFACT_TYPES)) for s in (False, True)]
        else:
            cube = sorted(((key[:-2], key[-2], key[-1]) for key in cells), key=lambda c: (c[0], c[1], c[2]))
        out = []
        for key, kind, shared in cube:
            created, users, published = cells.get(key + (kind, shared), (0, (), 0))
            row = {
                "artifact_type": catalog.ARTIFACT_TYPES[kind],
                "is_shared": shared,
                "artifacts_created_count": created,
                "published_artifacts_created_count": published,
                "distinct_user_count": len(users),
            }
            dims = dict(zip(group_by, key))
            if "user_id" in dims:
                row["user_id"] = dims["user_id"]
            if "rbac_group_id" in dims:
                row["rbac_group_id"] = dims["rbac_group_id"]
                row["rbac_group_name"] = groups[dims["rbac_group_id"]]
            out.append(row)
        return out

    if not group_by:
        q.integer("limit", 100, 1, 1000)  # validated, but the ungrouped cube is always one page
        _, as_of = req.page(q)
        return {"data": req.cached(as_of, rows), "next_page": None}
    return paged(req, q, rows, default_limit=100)
