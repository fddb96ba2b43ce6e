-- cost_reconciliation: one row per UTC day, person (lowercased e-mail) and model: Claude Code's cost as
-- telemetry and the Claude Code report estimate it, against what the per-user cost report lists and bills.
--
-- The per-user cost report is the Usage and Cost Analytics API's actor rows (claude_cost), or on days it
-- lacks, the legacy user cost report (enterprise_user_cost, whose view holds only those days).
-- Rows without an e-mail or a model are left out: they cannot be matched.

WITH
telemetry AS (
    SELECT date, lower(email) AS email, model, coalesce(sum(cost_usd), 0) AS usd
    FROM claude_code_telemetry
    WHERE email IS NOT NULL AND model IS NOT NULL
    GROUP BY ALL
),
report AS (
    SELECT date, lower(email) AS email, model, coalesce(sum(estimated_cost_usd), 0) AS usd
    FROM claude_code_model_usage
    WHERE actor_type = 'user_actor' AND email IS NOT NULL AND model IS NOT NULL
    GROUP BY ALL
),
per_user_cost AS (
    SELECT date, email, model, product, list_amount_usd, amount_usd FROM claude_cost WHERE grouping = 'actor'
    UNION ALL
    SELECT date, email, model, product, list_amount_usd, amount_usd FROM enterprise_user_cost
),
spend AS (
    SELECT date, lower(email) AS email, model,
           coalesce(sum(list_amount_usd), 0) AS list, coalesce(sum(amount_usd), 0) AS billed
    FROM per_user_cost
    WHERE product = 'claude_code' AND email IS NOT NULL AND model IS NOT NULL
    GROUP BY ALL
),
pairs AS (
    SELECT date, email, model FROM telemetry
    UNION SELECT date, email, model FROM report
    UNION SELECT date, email, model FROM spend
),
costs AS (
    SELECT p.date, p.email, p.model,
           t.usd AS telemetry_estimated_usd, r.usd AS report_estimated_usd, s.list AS list_usd, s.billed AS billed_usd,
           -- the estimate billed cost is compared with: the report's, else telemetry's
           coalesce(r.usd, t.usd) AS estimate
    FROM pairs AS p
    LEFT JOIN telemetry AS t USING (date, email, model)
    LEFT JOIN report AS r USING (date, email, model)
    LEFT JOIN spend AS s USING (date, email, model)
)

SELECT date, email, model, telemetry_estimated_usd, report_estimated_usd, list_usd, billed_usd,
       billed_usd - estimate AS variance_usd,
       (billed_usd - estimate) / nullif(estimate, 0) * 100 AS variance_pct
FROM costs
ORDER BY date, email, model
