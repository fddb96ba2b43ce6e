"""The Claude Enterprise Analytics API's engagement endpoints (Analytics key): users, summaries, projects,
skills, connectors. Day D is served about three days later, for the last 90 days."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import pyarrow as pa

from claude_assets.engine.calendars import ENTERPRISE_FLOOR, Calendar
from claude_assets.engine.client import KeyKind, Pagination
from claude_assets.engine.endpoint import Endpoint, data
from claude_assets.engine.source import Probe, Source
from claude_assets.engine.tables import Column, Table, count, day, dimension, money_cents, text, timestamp
from claude_assets.sources.common import ANALYTICS, DAILY_SYNC_HOURS, TOOLS

GROUP = "enterprise_engagement"
# Engagement day N-1 is aggregated at 10:00 UTC on day N and served three days later.
CALENDAR = Calendar(
    "engagement", lag_days=3, settles_after=dt.timedelta(days=3), floor=ENTERPRISE_FLOOR, window_days=90,
    deadline_hour=16,
)
SUMMARY_DAYS_PER_REQUEST = 31  # the summaries span limit of the original contract (newer docs allow 366)
ENTERPRISE_API = "Claude Enterprise Analytics API (Analytics key)"
# One question vouches for the engagement and the usage and cost endpoints: the same key, scope and toggle.
ENTERPRISE_PROBE = Probe("Claude Enterprise Analytics", "enterprise_summaries",
                         "scope read:analytics, Access toggle on (a Claude Enterprise organization)")

_OFFICE = ("excel", "powerpoint", "outlook", "word")
_CHAT = ("distinct_conversation_count", "message_count", "distinct_projects_created_count",
         "distinct_projects_used_count", "distinct_files_uploaded_count", "distinct_artifacts_created_count",
         "distinct_shared_artifacts_viewed_count", "thinking_message_count", "distinct_skills_used_count",
         "connectors_used_count", "distinct_connectors_used_count", "shared_conversations_viewed_count")
_COWORK = ("distinct_session_count", "message_count", "action_count", "dispatch_turn_count", "skills_used_count",
           "distinct_skills_used_count", "connectors_used_count", "distinct_connectors_used_count",
           "artifacts_created_count", "plugins_used_count", "distinct_plugins_used_count", "edit_tool_count",
           "multi_edit_tool_count", "write_tool_count", "notebook_edit_tool_count", "file_edit_count",
           "sessions_with_file_edits_count")
_OFFICE_METRICS = ("distinct_session_count", "message_count", "skills_used_count", "distinct_skills_used_count",
                   "connectors_used_count", "distinct_connectors_used_count")
_DESIGN = ("distinct_projects_created_count", "distinct_projects_used_count", "distinct_session_count",
           "message_count")
_SCIENCE = ("delegation_count", "distinct_session_count", "message_count", "remote_compute_job_count",
            "skills_used_count")


def _block(prefix: str, path: str, names: Iterable[str]) -> tuple:
    return tuple(count(f"{prefix}_{n}", f"{path}.{n}") for n in names)


# Grouping fields the newest reference puts on every engagement row (F13), null unless grouped on.
_GROUPING = (dimension("rbac_group_id", "rbac_group_id"), dimension("rbac_group_name", "rbac_group_name"))
_ADOPTION_GROUPING = (dimension("product", "product"), *_GROUPING, dimension("user_id", "user_id"))


ENTERPRISE_USER_ACTIVITY = Table(
    asset="enterprise_user_activity",
    description="One row per user and UTC day: claude.ai chat, Claude Code, Cowork, Office, Design and "
    "Science activity.",
    natural_key=("date", "user_id"),
    columns=(
        day("date"),
        text("user_id", "user.id", "tagged user id (user_...)"),
        text("email", "user.email_address"),
        text("user_type", "user.type"),
        day("last_activity_date", "last_activity_date"),
    )
    + _GROUPING
    + (count("distinct_users", "distinct_user_count", "users in the group (grouped rows only)"),)
    + _block("chat", "chat_metrics", _CHAT)
    + (
        count("claude_code_sessions", "claude_code_metrics.core_metrics.distinct_session_count"),
        count("claude_code_lines_added", "claude_code_metrics.core_metrics.lines_of_code.added_count"),
        count("claude_code_lines_removed", "claude_code_metrics.core_metrics.lines_of_code.removed_count"),
        count("claude_code_commits", "claude_code_metrics.core_metrics.commit_count"),
        count("claude_code_pull_requests", "claude_code_metrics.core_metrics.pull_request_count"),
        count("claude_code_artifacts_created", "claude_code_metrics.core_metrics.artifacts_created_count"),
    )
    + tuple(
        count(f"claude_code_{tool}_{decision}", f"claude_code_metrics.tool_actions.{tool}.{decision}_count")
        for tool in TOOLS
        for decision in ("accepted", "rejected")
    )
    + (count("web_search_count", "web_search_count"),)
    + _block("cowork", "cowork_metrics", _COWORK)
    + tuple(c for product in _OFFICE for c in _block(f"office_{product}", f"office_metrics.{product}", _OFFICE_METRICS))
    + _block("design", "design_metrics", _DESIGN)
    + _block("science", "science_metrics", _SCIENCE),
)

_PRODUCTS = ("chat", "claude_code", "claude_design", "office_agent", "science")
ENTERPRISE_SUMMARIES = Table(
    asset="enterprise_summaries",
    description="One row per UTC day for the whole organization: daily, weekly and monthly active users, seats, "
    "pending invites and adoption.",
    natural_key=("date",),
    columns=(
        day("date", "starting_at|starting_date"),
        timestamp("starting_at", "starting_at|starting_date"),
        timestamp("ending_at", "ending_at|ending_date"),
        count("daily_active_users", "daily_active_user_count"),
        count("weekly_active_users", "weekly_active_user_count", "7-day window ending on the day"),
        count("monthly_active_users", "monthly_active_user_count", "30-day window ending on the day"),
        count("assigned_seats", "assigned_seat_count"),
        count("pending_invites", "pending_invite_count"),
        Column("daily_adoption_rate", pa.float64(), "daily_adoption_rate", description="percent of assigned seats"),
        Column("weekly_adoption_rate", pa.float64(), "weekly_adoption_rate", description="percent of assigned seats"),
        Column("monthly_adoption_rate", pa.float64(), "monthly_adoption_rate", description="percent of assigned seats"),
    )
    + tuple(
        count(f"{product}_{window}_active_users", f"{product}_{window}_active_user_count")
        for product in ("cowork",) + _PRODUCTS
        for window in ("daily", "weekly", "monthly")
    )
    + (count("science_entitled_users", "science_entitled_user_count"),),
)

ENTERPRISE_CHAT_PROJECTS = Table(
    asset="enterprise_chat_projects",
    description="One row per claude.ai project and UTC day: users, conversations and messages.",
    natural_key=("date", "project_id", "product", "rbac_group_id", "user_id"),
    columns=(
        day("date"),
        text("project_id", "project_id"),
        text("project_name", "project_name"),
        count("distinct_users", "distinct_user_count"),
        count("distinct_conversations", "distinct_conversation_count"),
        count("messages", "message_count"),
        timestamp("created_at", "created_at", "null if the project was deleted before attribution was recorded"),
        text("created_by_user_id", "created_by.id"),
        text("created_by_email", "created_by.email_address"),
        text("created_by_type", "created_by.type"),
    )
    + _ADOPTION_GROUPING,
)


def _usage_by_surface(name: str, unit: str) -> tuple:
    """The per-product counts that skills and connectors share, e.g. `..._skill_used_count`."""
    return (
        count(f"chat_conversations_{name}", f"chat_metrics.distinct_conversation_{unit}_used_count"),
        count(f"claude_code_sessions_{name}", f"claude_code_metrics.distinct_session_{unit}_used_count"),
        count(f"cowork_sessions_{name}", f"cowork_metrics.distinct_session_{unit}_used_count"),
    ) + tuple(
        count(f"office_{product}_sessions_{name}", f"office_metrics.{product}.distinct_session_{unit}_used_count")
        for product in _OFFICE
    )


ENTERPRISE_SKILLS = Table(
    asset="enterprise_skills",
    description="One row per skill and UTC day: users and conversations or sessions that used it, per product.",
    natural_key=("date", "skill_name", "product", "rbac_group_id", "user_id"),
    columns=(
        day("date"),
        text("skill_name", "skill_name"),
        text("skill_display_name", "skill_display_name"),
        text("share_status", "share_status"),
        count("distinct_users", "distinct_user_count"),
        count("invocations", "invocation_count"),
        count("enables", "enable_count"),
    )
    + _usage_by_surface("using_skill", "skill")
    + (
        text("currency", "currency"),
        *money_cents("attributed_list_price", "attributed_list_price", exact=True),
        *money_cents("estimated_overage_spend", "estimated_overage_spend", exact=True),
    )
    + _ADOPTION_GROUPING,
)

ENTERPRISE_CONNECTORS = Table(
    asset="enterprise_connectors",
    description="One row per connector (normalized name) and UTC day: users, calls and use per product.",
    natural_key=("date", "connector_name", "product", "rbac_group_id", "user_id"),
    columns=(
        day("date"),
        text("connector_name", "connector_name"),
        text("connector_display_name", "connector_display_name"),
        count("distinct_users", "distinct_user_count"),
        count("individual_auth_distinct_users", "individual_auth_distinct_user_count"),
        count("managed_auth_distinct_users", "managed_auth_distinct_user_count"),
        count("read_calls", "read_call_count"),
        count("write_calls", "write_call_count"),
        count("unclassified_calls", "unclassified_call_count"),
    )
    + _usage_by_surface("using_connector", "connector")
    + _ADOPTION_GROUPING,
)


def _engagement(name: str, path: str, table: Table, query=None, pagination=Pagination.NEXT_PAGE, records=data,
                days_per_request=1):
    return Endpoint(
        name=name, path=f"{ANALYTICS}{path}", key_kind=KeyKind.ANALYTICS, group=GROUP,
        calendar=CALENDAR, pagination=pagination,
        query=query or (lambda start, end: {"date": start.isoformat(), "limit": 1000}),
        records=records, tables=(table,), api=ENTERPRISE_API, days_per_request=days_per_request,
    )


def _summaries(page: dict) -> list[dict]:
    """The newest shape has `data` and the deprecated `summaries` (same objects); older ones only `summaries`."""
    return page["summaries"] if isinstance(page.get("summaries"), list) else data(page)


SOURCE = Source(
    group=GROUP,
    description="Claude Enterprise Analytics API (Analytics key): per-user activity, summaries, projects, skills, "
    "connectors",
    calendar=CALENDAR,
    cron="30 10 * * *",
    freshness_hours=DAILY_SYNC_HOURS,
    key_kinds=(KeyKind.ANALYTICS,),
    provisional=False,
    probe=ENTERPRISE_PROBE,
    derived=False,
    endpoints=(
        _engagement("enterprise_user_activity", "/users", ENTERPRISE_USER_ACTIVITY),
        _engagement(
            "enterprise_summaries", "/summaries", ENTERPRISE_SUMMARIES, pagination=Pagination.NONE,
            records=_summaries, days_per_request=SUMMARY_DAYS_PER_REQUEST,
            query=lambda start, end: {"starting_date": start.isoformat(), "ending_date": end.isoformat()},
        ),
        _engagement("enterprise_chat_projects", "/apps/chat/projects", ENTERPRISE_CHAT_PROJECTS),
        _engagement("enterprise_skills", "/skills", ENTERPRISE_SKILLS),
        _engagement("enterprise_connectors", "/connectors", ENTERPRISE_CONNECTORS),
    ),
)
