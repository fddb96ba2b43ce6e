"""Every emulated endpoint: path -> (auth family, handler).

Families decide how a key is checked: "admin" (Admin key, 401 on a bad key, needs
`anthropic-version`), "engagement" (Analytics key, 404 on an unknown key or with access off),
"enterprise_report" (Analytics key, 401 on an unknown key, 404 with access off) and "usage_cost"
(the Usage and Cost Analytics API: the Admin key or the Analytics key, each spending its own rate
budget; 401 on an unknown key, 404 for the Analytics key with access off). The Enterprise families
answer 403 to a known key that lacks `read:analytics` (the Admin key, the scopeless key);
"usage_cost" answers 403 to the scopeless key only.
"""

from __future__ import annotations

from . import adoption_api, admin_reports, claude_code_api, enterprise_reports, usage_cost_api, users_api

ADMIN = "admin"
ENGAGEMENT = "engagement"
ENTERPRISE_REPORT = "enterprise_report"
USAGE_COST = "usage_cost"
_ANALYTICS = "/v1/organizations/analytics"

ROUTES = {
    "/v1/organizations/usage_report/claude_code": (ADMIN, claude_code_api.claude_code_report),
    "/v1/organizations/usage_report/messages": (ADMIN, admin_reports.messages_usage),
    "/v1/organizations/cost_report": (ADMIN, admin_reports.cost_report),
    f"{_ANALYTICS}/users": (ENGAGEMENT, users_api.users),
    f"{_ANALYTICS}/summaries": (ENGAGEMENT, users_api.summaries),
    f"{_ANALYTICS}/apps/chat/projects": (ENGAGEMENT, adoption_api.chat_projects),
    f"{_ANALYTICS}/skills": (ENGAGEMENT, adoption_api.skills),
    f"{_ANALYTICS}/connectors": (ENGAGEMENT, adoption_api.connectors),
    f"{_ANALYTICS}/plugins": (ENGAGEMENT, adoption_api.plugins),
    f"{_ANALYTICS}/artifacts": (ENGAGEMENT, adoption_api.artifacts),
    f"{_ANALYTICS}/user_usage_report": (ENTERPRISE_REPORT, enterprise_reports.user_usage_report),
    f"{_ANALYTICS}/user_cost_report": (ENTERPRISE_REPORT, enterprise_reports.user_cost_report),
    f"{_ANALYTICS}/usage_report": (ENTERPRISE_REPORT, enterprise_reports.usage_report),
    f"{_ANALYTICS}/cost_report": (ENTERPRISE_REPORT, enterprise_reports.cost_report),
    f"{_ANALYTICS}/usage": (USAGE_COST, usage_cost_api.usage),
    f"{_ANALYTICS}/cost": (USAGE_COST, usage_cost_api.cost),
}
