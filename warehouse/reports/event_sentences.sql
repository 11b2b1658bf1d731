-- Event sentences (traceability)
-- Every event mention with the sentence and document it was read from. start/end (the trigger)
-- and the source/target spans are character offsets into documents.text; *_at/*_to are the same
-- spans relative to sentence_text (0-based, end exclusive), so in Python
-- sentence_text[trigger_at:trigger_to] == trigger_text. A source or target read from another
-- sentence (a speaker named earlier) has NULL *_at/*_to; its document offsets still hold.
SELECT e.mention_id, e.event_id, e.doc_id, e.sentence_id,
       e.event_type, e.cameo_code, e.goldstein, e.quad_class,
       e.source_text, e.source_code, e.target_text, e.target_code, e.trigger_text,
       e."start", e."end", e.source_start, e.source_end, e.target_start, e.target_end,
       e.negated, e.modality, e.reported_speech, e.event_date, e.date_granularity,
       e.location_text, e.confidence, e.rule,
       s."start" AS sentence_start, s."end" AS sentence_end, s.text AS sentence_text,
       e."start" - s."start" AS trigger_at, e."end" - s."start" AS trigger_to,
       CASE WHEN e.source_start >= s."start" AND e.source_end <= s."end" THEN e.source_start - s."start" END AS source_at,
       CASE WHEN e.source_start >= s."start" AND e.source_end <= s."end" THEN e.source_end - s."start" END AS source_to,
       CASE WHEN e.target_start >= s."start" AND e.target_end <= s."end" THEN e.target_start - s."start" END AS target_at,
       CASE WHEN e.target_start >= s."start" AND e.target_end <= s."end" THEN e.target_end - s."start" END AS target_to,
       d.title, d.url, d.outlet, d.published_at, d.source_path
FROM events e
JOIN documents d USING (doc_id)
LEFT JOIN sentences s USING (doc_id, sentence_id)
ORDER BY d.published_at NULLS LAST, e.doc_id, e."start", e.mention_id;
