-- Rows per table
-- How many rows each warehouse view holds, over all committed runs.
SELECT 'runs' AS "table", count(*) AS "rows" FROM runs
UNION ALL SELECT 'documents', count(*) FROM documents
UNION ALL SELECT 'sentences', count(*) FROM sentences
UNION ALL SELECT 'tokens', count(*) FROM tokens
UNION ALL SELECT 'entities', count(*) FROM entities
UNION ALL SELECT 'events', count(*) FROM events
UNION ALL SELECT 'quotes', count(*) FROM quotes
UNION ALL SELECT 'rejects', count(*) FROM rejects
UNION ALL SELECT 'dq_results', count(*) FROM dq_results;
