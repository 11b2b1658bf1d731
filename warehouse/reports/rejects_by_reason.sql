-- Rejects by reason
-- Quarantined records and rows per stage and reason code, with the files they came from and one
-- example explanation.
SELECT stage, reason,
       count(*) AS rejects,
       count(DISTINCT source_path) AS files,
       min(detail) AS example
FROM rejects
GROUP BY ALL
ORDER BY rejects DESC, stage, reason;
