-- claude_code_user_daily: one row per UTC day and person, from the first source that covers them.
--
-- Precedence: telemetry (claude_code_telemetry), else the Claude Code Analytics report
-- (claude_code_usage with claude_code_model_usage), else the Enterprise users endpoint
-- (enterprise_user_activity) with its Claude Code tokens and list cost from the per-user usage and
-- cost reports. People are matched by lowercased e-mail. The views hold the run's days only; an input
-- that is not in the lake for a day has no rows that day.

-- The value of the source that won the row.
CREATE OR REPLACE TEMP MACRO chosen(source, telemetry, report, enterprise) AS
    CASE source WHEN 'telemetry' THEN telemetry WHEN 'claude_code_report' THEN report ELSE enterprise END;

-- The API number telemetry is compared with: the report's where the report has the person, else Enterprise's.
CREATE OR REPLACE TEMP MACRO api(in_report, report, enterprise) AS
    CASE WHEN in_report THEN report ELSE enterprise END;

WITH
-- Account ids to e-mails, per day. Telemetry from a client that sends no e-mail carries an account id;
-- the Usage and Cost Analytics API's actors and the Enterprise users both name its e-mail, and where
-- both do, the Enterprise users win.
account_emails AS (
    SELECT date, account_id, arg_max(email, rank) AS email
    FROM (
        SELECT date, actor_id AS account_id, lower(email) AS email, 1 AS rank
        FROM claude_usage
        WHERE grouping = 'actor' AND actor_id IS NOT NULL AND email IS NOT NULL
        UNION ALL
        SELECT date, user_id, lower(email), 2
        FROM enterprise_user_activity
        WHERE user_id IS NOT NULL AND email IS NOT NULL
    )
    GROUP BY date, account_id
),

-- Telemetry's person: its e-mail; else the e-mail of its account id; else the identity it carries
-- (an account id nobody named, an enduser.id, an install's user.id); else "unattributed".
-- A day read before telemetry rows named their identity has only the account id.
telemetry_named AS (
    SELECT t.*,
           lower(coalesce(nullif(t.email, 'unattributed'), a.email,
                          coalesce(t.identity, t.account_id, 'unattributed'))) AS person_email,
           -- an install's user.id or nothing at all is kept, but is no person
           coalesce(t.identity_source, '') NOT IN ('user.id', 'unattributed') AS is_person
    FROM claude_code_telemetry AS t
    LEFT JOIN account_emails AS a USING (date, account_id)
),
telemetry_users AS (
    SELECT date, person_email AS email,
           sum(coalesce(sessions, 0)) AS sessions, sum(coalesce(lines_added, 0)) AS lines_added,
           sum(coalesce(lines_removed, 0)) AS lines_removed, sum(coalesce(commits, 0)) AS commits,
           sum(coalesce(pull_requests, 0)) AS pull_requests,
           sum(coalesce(edit_accepted, 0)) AS edit_accepted, sum(coalesce(edit_rejected, 0)) AS edit_rejected,
           sum(coalesce(input_tokens, 0)) AS input_tokens, sum(coalesce(output_tokens, 0)) AS output_tokens,
           sum(coalesce(cache_read_tokens, 0)) AS cache_read_tokens,
           sum(coalesce(cache_creation_tokens, 0)) AS cache_creation_tokens,
           sum(coalesce(cost_usd, 0)) AS cost_usd,
           bool_or(is_person) AS person
    FROM telemetry_named
    GROUP BY date, person_email
),

-- The Claude Code Analytics report: user actors summed over terminals. Edit decisions are those of the
-- tools telemetry also counts (Edit, Write, NotebookEdit); MultiEdit, which telemetry never sees, apart.
-- Tokens and estimated cost come from its per-model breakdown, where the day has one.
report_activity AS (
    SELECT date, lower(email) AS email,
           sum(coalesce(sessions, 0)) AS sessions, sum(coalesce(lines_added, 0)) AS lines_added,
           sum(coalesce(lines_removed, 0)) AS lines_removed, sum(coalesce(commits, 0)) AS commits,
           sum(coalesce(pull_requests, 0)) AS pull_requests,
           sum(coalesce(edit_tool_accepted, 0) + coalesce(write_tool_accepted, 0)
               + coalesce(notebook_edit_tool_accepted, 0)) AS edit_accepted,
           sum(coalesce(edit_tool_rejected, 0) + coalesce(write_tool_rejected, 0)
               + coalesce(notebook_edit_tool_rejected, 0)) AS edit_rejected,
           sum(coalesce(multi_edit_tool_accepted, 0)) AS multi_edit_accepted,
           sum(coalesce(multi_edit_tool_rejected, 0)) AS multi_edit_rejected
    FROM claude_code_usage
    WHERE actor_type = 'user_actor'
    GROUP BY date, lower(email)
),
report_tokens AS (
    SELECT date, lower(email) AS email,
           sum(coalesce(input_tokens, 0)) AS input_tokens, sum(coalesce(output_tokens, 0)) AS output_tokens,
           sum(coalesce(cache_read_tokens, 0)) AS cache_read_tokens,
           sum(coalesce(cache_creation_tokens, 0)) AS cache_creation_tokens,
           sum(coalesce(estimated_cost_usd, 0)) AS cost_usd
    FROM claude_code_model_usage
    WHERE actor_type = 'user_actor'
    GROUP BY date, lower(email)
),
report_users AS (
    SELECT a.*, t.input_tokens, t.output_tokens, t.cache_read_tokens, t.cache_creation_tokens, t.cost_usd
    FROM report_activity AS a
    LEFT JOIN report_tokens AS t USING (date, email)
),

-- The Enterprise users who used Claude Code that day, with their Claude Code tokens and list cost from
-- the per-user reports: the Usage and Cost Analytics API's actor rows, or on days it lacks, the legacy
-- user usage and cost reports (their views hold only those days).
enterprise_coders AS (
    SELECT date, lower(email) AS email,
           sum(coalesce(claude_code_sessions, 0)) AS sessions,
           sum(coalesce(claude_code_lines_added, 0)) AS lines_added,
           sum(coalesce(claude_code_lines_removed, 0)) AS lines_removed,
           sum(coalesce(claude_code_commits, 0)) AS commits,
           sum(coalesce(claude_code_pull_requests, 0)) AS pull_requests,
           sum(coalesce(claude_code_edit_tool_accepted, 0) + coalesce(claude_code_write_tool_accepted, 0)
               + coalesce(claude_code_notebook_edit_tool_accepted, 0)) AS edit_accepted,
           sum(coalesce(claude_code_edit_tool_rejected, 0) + coalesce(claude_code_write_tool_rejected, 0)
               + coalesce(claude_code_notebook_edit_tool_rejected, 0)) AS edit_rejected,
           sum(coalesce(claude_code_multi_edit_tool_accepted, 0)) AS multi_edit_accepted,
           sum(coalesce(claude_code_multi_edit_tool_rejected, 0)) AS multi_edit_rejected
    FROM enterprise_user_activity
    WHERE coalesce(claude_code_sessions, 0) + coalesce(claude_code_lines_added, 0)
          + coalesce(claude_code_commits, 0) > 0
    GROUP BY date, lower(email)
),
per_user_usage AS (
    SELECT date, email, product, uncached_input_tokens, output_tokens, cache_read_input_tokens,
           cache_creation_5m_input_tokens, cache_creation_1h_input_tokens
    FROM claude_usage WHERE grouping = 'actor'
    UNION ALL
    SELECT date, email, product, uncached_input_tokens, output_tokens, cache_read_input_tokens,
           cache_creation_5m_input_tokens, cache_creation_1h_input_tokens
    FROM enterprise_user_usage
),
enterprise_tokens AS (
    SELECT date, lower(email) AS email,
           sum(coalesce(uncached_input_tokens, 0)) AS input_tokens,
           sum(coalesce(output_tokens, 0)) AS output_tokens,
           sum(coalesce(cache_read_input_tokens, 0)) AS cache_read_tokens,
           sum(coalesce(cache_creation_5m_input_tokens, 0) + coalesce(cache_creation_1h_input_tokens, 0))
               AS cache_creation_tokens
    FROM per_user_usage
    WHERE product = 'claude_code'
    GROUP BY date, lower(email)
),
per_user_cost AS (
    SELECT date, email, product, list_amount_usd FROM claude_cost WHERE grouping = 'actor'
    UNION ALL
    SELECT date, email, product, list_amount_usd FROM enterprise_user_cost
),
enterprise_list_cost AS (
    SELECT date, lower(email) AS email, sum(coalesce(list_amount_usd, 0)) AS cost_usd
    FROM per_user_cost
    WHERE product = 'claude_code'
    GROUP BY date, lower(email)
),
enterprise_users AS (
    SELECT c.*, t.input_tokens, t.output_tokens, t.cache_read_tokens, t.cache_creation_tokens, l.cost_usd
    FROM enterprise_coders AS c
    LEFT JOIN enterprise_tokens AS t USING (date, email)
    LEFT JOIN enterprise_list_cost AS l USING (date, email)
),

-- Everyone any source has for the day, and which source wins.
people AS (
    SELECT date, email FROM telemetry_users
    UNION SELECT date, email FROM report_users
    UNION SELECT date, email FROM enterprise_users
),
sourced AS (
    SELECT p.date, p.email,
           CASE WHEN t.email IS NOT NULL THEN 'telemetry'
                WHEN r.email IS NOT NULL THEN 'claude_code_report'
                ELSE 'enterprise_users' END AS source,
           -- telemetry named only by an install's user.id (or nobody) is no person, unless an API knows them
           t.person IS DISTINCT FROM false OR r.email IS NOT NULL OR e.email IS NOT NULL AS person,
           r.email IS NOT NULL AS in_report,
           t.sessions AS t_sessions, t.lines_added AS t_lines_added, t.lines_removed AS t_lines_removed,
           t.commits AS t_commits, t.pull_requests AS t_pull_requests, t.edit_accepted AS t_edit_accepted,
           t.edit_rejected AS t_edit_rejected, t.input_tokens AS t_input_tokens, t.output_tokens AS t_output_tokens,
           t.cache_read_tokens AS t_cache_read_tokens, t.cache_creation_tokens AS t_cache_creation_tokens,
           t.cost_usd AS t_cost_usd,
           r.sessions AS r_sessions, r.lines_added AS r_lines_added, r.lines_removed AS r_lines_removed,
           r.commits AS r_commits, r.pull_requests AS r_pull_requests, r.edit_accepted AS r_edit_accepted,
           r.edit_rejected AS r_edit_rejected, r.multi_edit_accepted AS r_multi_edit_accepted,
           r.multi_edit_rejected AS r_multi_edit_rejected, r.input_tokens AS r_input_tokens,
           r.output_tokens AS r_output_tokens, r.cache_read_tokens AS r_cache_read_tokens,
           r.cache_creation_tokens AS r_cache_creation_tokens, r.cost_usd AS r_cost_usd,
           e.sessions AS e_sessions, e.lines_added AS e_lines_added, e.lines_removed AS e_lines_removed,
           e.commits AS e_commits, e.pull_requests AS e_pull_requests, e.edit_accepted AS e_edit_accepted,
           e.edit_rejected AS e_edit_rejected, e.multi_edit_accepted AS e_multi_edit_accepted,
           e.multi_edit_rejected AS e_multi_edit_rejected, e.input_tokens AS e_input_tokens,
           e.output_tokens AS e_output_tokens, e.cache_read_tokens AS e_cache_read_tokens,
           e.cache_creation_tokens AS e_cache_creation_tokens, e.cost_usd AS e_cost_usd
    FROM people AS p
    LEFT JOIN telemetry_users AS t USING (date, email)
    LEFT JOIN report_users AS r USING (date, email)
    LEFT JOIN enterprise_users AS e USING (date, email)
)

-- Each measure from the winning source; MultiEdit decisions, which telemetry never counts, from the
-- APIs on every row. `<measure>_delta` is telemetry minus the API where telemetry won and an API has it.
SELECT date, email,
       chosen(source, t_sessions, r_sessions, e_sessions)::BIGINT AS sessions,
       chosen(source, t_lines_added, r_lines_added, e_lines_added)::BIGINT AS lines_added,
       chosen(source, t_lines_removed, r_lines_removed, e_lines_removed)::BIGINT AS lines_removed,
       chosen(source, t_commits, r_commits, e_commits)::BIGINT AS commits,
       chosen(source, t_pull_requests, r_pull_requests, e_pull_requests)::BIGINT AS pull_requests,
       chosen(source, t_edit_accepted, r_edit_accepted, e_edit_accepted)::BIGINT AS edit_accepted,
       chosen(source, t_edit_rejected, r_edit_rejected, e_edit_rejected)::BIGINT AS edit_rejected,
       api(in_report, r_multi_edit_accepted, e_multi_edit_accepted)::BIGINT AS multi_edit_accepted,
       api(in_report, r_multi_edit_rejected, e_multi_edit_rejected)::BIGINT AS multi_edit_rejected,
       chosen(source, t_input_tokens, r_input_tokens, e_input_tokens)::BIGINT AS input_tokens,
       chosen(source, t_output_tokens, r_output_tokens, e_output_tokens)::BIGINT AS output_tokens,
       chosen(source, t_cache_read_tokens, r_cache_read_tokens, e_cache_read_tokens)::BIGINT AS cache_read_tokens,
       chosen(source, t_cache_creation_tokens, r_cache_creation_tokens, e_cache_creation_tokens)::BIGINT
           AS cache_creation_tokens,
       chosen(source, t_cost_usd, r_cost_usd, e_cost_usd)::DOUBLE AS cost_usd,
       source,
       person,
       (t_sessions - api(in_report, r_sessions, e_sessions))::DOUBLE AS sessions_delta,
       (t_lines_added - api(in_report, r_lines_added, e_lines_added))::DOUBLE AS lines_added_delta,
       (t_lines_removed - api(in_report, r_lines_removed, e_lines_removed))::DOUBLE AS lines_removed_delta,
       (t_commits - api(in_report, r_commits, e_commits))::DOUBLE AS commits_delta,
       (t_pull_requests - api(in_report, r_pull_requests, e_pull_requests))::DOUBLE AS pull_requests_delta,
       (t_edit_accepted - api(in_report, r_edit_accepted, e_edit_accepted))::DOUBLE AS edit_accepted_delta,
       (t_edit_rejected - api(in_report, r_edit_rejected, e_edit_rejected))::DOUBLE AS edit_rejected_delta,
       NULL::DOUBLE AS multi_edit_accepted_delta,
       NULL::DOUBLE AS multi_edit_rejected_delta,
       (t_input_tokens - api(in_report, r_input_tokens, e_input_tokens))::DOUBLE AS input_tokens_delta,
       (t_output_tokens - api(in_report, r_output_tokens, e_output_tokens))::DOUBLE AS output_tokens_delta,
       (t_cache_read_tokens - api(in_report, r_cache_read_tokens, e_cache_read_tokens))::DOUBLE
           AS cache_read_tokens_delta,
       (t_cache_creation_tokens - api(in_report, r_cache_creation_tokens, e_cache_creation_tokens))::DOUBLE
           AS cache_creation_tokens_delta,
       (t_cost_usd - api(in_report, r_cost_usd, e_cost_usd))::DOUBLE AS cost_usd_delta
FROM sourced
ORDER BY date, email
