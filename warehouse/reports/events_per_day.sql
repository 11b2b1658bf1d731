-- Events per day and PLOVER type
-- day is the event's own date, else its document's publication date (UTC); NULL when neither is
-- known. mentions counts event rows, events distinct event_id, asserted the mentions that are
-- neither negated nor hedged (modality 'asserted').
SELECT coalesce(e.event_date, CAST(timezone('UTC', d.published_at) AS DATE)) AS day,
       e.event_type,
       count(DISTINCT e.event_id) AS events,
       count(*) AS mentions,
       count(*) FILTER (WHERE NOT e.negated AND e.modality = 'asserted') AS asserted
FROM events e
LEFT JOIN documents d USING (doc_id)
GROUP BY ALL
ORDER BY day NULLS LAST, e.event_type;
