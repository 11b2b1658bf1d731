-- Quotes per speaker
-- Statements grouped by who said them (speaker code, else speaker text; NULL: unattributed;
-- name is the text most often used for the speaker), with the verbs used and the longest quote
-- as an example.
WITH q AS (
    SELECT *, coalesce(speaker_code, speaker_text) AS speaker FROM quotes
), names AS (
    SELECT speaker, speaker_text AS name FROM q WHERE speaker_text IS NOT NULL
    GROUP BY speaker, speaker_text
    QUALIFY row_number() OVER (PARTITION BY speaker ORDER BY count(*) DESC, speaker_text) = 1
)
SELECT q.speaker,
       n.name,
       count(*) AS quotes,
       count(DISTINCT q.doc_id) AS documents,
       list(DISTINCT q.verb ORDER BY q.verb) AS verbs,
       arg_max(q.text, length(q.text)) AS example
FROM q
LEFT JOIN names n USING (speaker)
GROUP BY q.speaker, n.name
ORDER BY quotes DESC, q.speaker NULLS LAST;
