-- org_daily_overview: one row per UTC day of the run, from whichever inputs the lake has that day.
--
-- A figure whose input is not in the lake for the day is null; an input that is there but has no rows
-- gives 0. `input_days` says which inputs were read for each day (see claude_assets/assets/inputs.py).

WITH
-- Which inputs each day was built from, in the asset's order of inputs.
present AS (
    SELECT r.date,
           coalesce(list(i.asset ORDER BY i.position) FILTER (WHERE i.asset IS NOT NULL), []) AS inputs
    FROM run_days AS r
    LEFT JOIN input_days AS i USING (date)
    GROUP BY r.date
),
-- The Enterprise summary of the day (its first row, should the endpoint ever send more).
summary AS (
    SELECT * FROM enterprise_summaries
    QUALIFY row_number() OVER (PARTITION BY date ORDER BY starting_at NULLS LAST) = 1
),
-- Claude Code from the joined user days: people only (not an install's user.id, not unattributed).
history AS (
    SELECT date,
           count(DISTINCT email) FILTER (WHERE coalesce(person, true)) AS claude_code_users,
           sum(sessions) AS sessions, sum(lines_added) AS lines_added, sum(lines_removed) AS lines_removed,
           sum(commits) AS commits, sum(pull_requests) AS pull_requests,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens
    FROM claude_code_user_daily
    GROUP BY date
),
report_estimate AS (SELECT date, sum(estimated_cost_usd) AS usd FROM claude_code_model_usage GROUP BY date),
telemetry_estimate AS (SELECT date, sum(cost_usd) AS usd FROM claude_code_telemetry GROUP BY date),
enterprise_spend AS (
    SELECT date, sum(amount_usd) AS billed, sum(list_amount_usd) AS list FROM enterprise_cost GROUP BY date
),
api_spend AS (SELECT date, sum(amount_usd) AS billed FROM api_cost GROUP BY date),
-- The Usage and Cost Analytics API: one grouping (who spent it) adds up to the day's total.
all_spend AS (
    SELECT date, sum(amount_usd) AS billed, sum(list_amount_usd) AS list
    FROM claude_cost WHERE grouping = 'actor' GROUP BY date
),
flags AS (
    SELECT date, inputs,
           list_contains(inputs, 'claude_code_user_daily') AS has_history,
           list_contains(inputs, 'claude_code_model_usage') AS has_report,
           list_contains(inputs, 'claude_code_telemetry') AS has_telemetry,
           list_contains(inputs, 'enterprise_cost') AS has_enterprise_cost,
           list_contains(inputs, 'api_cost') AS has_api_cost,
           list_contains(inputs, 'claude_cost') AS has_claude_cost
    FROM present
)

SELECT f.date,
       s.daily_active_users, s.weekly_active_users, s.monthly_active_users, s.assigned_seats, s.pending_invites,
       CASE WHEN has_history THEN coalesce(h.claude_code_users, 0) END AS claude_code_users,
       CASE WHEN has_history THEN coalesce(h.sessions, 0) END::BIGINT AS claude_code_sessions,
       CASE WHEN has_history THEN coalesce(h.lines_added, 0) END::BIGINT AS lines_added,
       CASE WHEN has_history THEN coalesce(h.lines_removed, 0) END::BIGINT AS lines_removed,
       CASE WHEN has_history THEN coalesce(h.commits, 0) END::BIGINT AS commits,
       CASE WHEN has_history THEN coalesce(h.pull_requests, 0) END::BIGINT AS pull_requests,
       CASE WHEN has_history THEN coalesce(h.input_tokens, 0) END::BIGINT AS input_tokens,
       CASE WHEN has_history THEN coalesce(h.output_tokens, 0) END::BIGINT AS output_tokens,
       -- the Claude Code report's estimate, else telemetry's
       CASE WHEN has_report THEN coalesce(re.usd, 0)
            WHEN has_telemetry THEN coalesce(te.usd, 0) END AS claude_code_estimated_cost_usd,
       CASE WHEN has_enterprise_cost THEN coalesce(es.list, 0) END AS enterprise_list_cost_usd,
       CASE WHEN has_enterprise_cost THEN coalesce(es.billed, 0) END AS enterprise_billed_cost_usd,
       CASE WHEN has_api_cost THEN coalesce(ap.billed, 0) END AS api_billed_cost_usd,
       -- all usage: the Usage and Cost Analytics API where it has the day, else the legacy cost reports
       CASE WHEN has_claude_cost THEN coalesce(al.billed, 0)
            WHEN has_enterprise_cost OR has_api_cost THEN coalesce(es.billed, 0) + coalesce(ap.billed, 0)
       END AS billed_cost_usd,
       CASE WHEN has_claude_cost THEN coalesce(al.list, 0)
            WHEN has_enterprise_cost THEN coalesce(es.list, 0) END AS list_cost_usd,
       CASE WHEN has_claude_cost THEN 'claude_cost'
            ELSE nullif(concat_ws(', ', CASE WHEN has_enterprise_cost THEN 'enterprise_cost' END,
                                        CASE WHEN has_api_cost THEN 'api_cost' END), '') END AS cost_source,
       array_to_string(inputs, ', ') AS sources
FROM flags AS f
LEFT JOIN summary AS s USING (date)
LEFT JOIN history AS h USING (date)
LEFT JOIN report_estimate AS re USING (date)
LEFT JOIN telemetry_estimate AS te USING (date)
LEFT JOIN enterprise_spend AS es USING (date)
LEFT JOIN api_spend AS ap USING (date)
LEFT JOIN all_spend AS al USING (date)
ORDER BY f.date
