-- Quality history per run
-- Data-quality results (dq_results) per current run and table: expectations checked, passed and
-- failed, the failing expectations and the unexpected values they counted. Current runs are those
-- since the last full refresh (earlier runs' rows are retired); a run without quality results shows
-- once, with table NULL and no expectations.
SELECT r.run_id, r.started_at, r.status, r.full_refresh, r.new_documents, r.rejected,
       q."table",
       count(q.expectation) AS expectations,
       count(*) FILTER (WHERE q.success) AS passed,
       count(*) FILTER (WHERE NOT q.success) AS failed,
       round(count(*) FILTER (WHERE q.success) / nullif(count(q.expectation), 0), 3) AS success_rate,
       CAST(coalesce(sum(q.unexpected_count), 0) AS BIGINT) AS unexpected,
       list(q.expectation || coalesce('(' || q."column" || ')', '') ORDER BY q.expectation)
           FILTER (WHERE NOT q.success) AS failing
FROM runs r
LEFT JOIN dq_results q USING (run_id)
WHERE r.run_id IN (SELECT run_id FROM current_runs)
GROUP BY ALL
ORDER BY r.started_at, r.run_id, q."table" NULLS FIRST;
