-- Entity co-occurrence (same sentence)
-- Pairs of distinct entities (canonical name, else mention text; dates left out) mentioned in the
-- same sentence; each unordered pair once, entity_a sorting before entity_b. sentences counts the
-- sentences holding both, documents the documents.
WITH m AS (
    SELECT DISTINCT doc_id, sentence_id, coalesce(canonical, text) AS entity, label
    FROM entities WHERE label <> 'DATE'
)
SELECT a.entity AS entity_a, a.label AS label_a, b.entity AS entity_b, b.label AS label_b,
       count(*) AS sentences,
       count(DISTINCT a.doc_id) AS documents
FROM m a
JOIN m b ON a.doc_id = b.doc_id AND a.sentence_id = b.sentence_id
        AND (a.entity < b.entity OR (a.entity = b.entity AND a.label < b.label))
GROUP BY ALL
ORDER BY sentences DESC, entity_a, entity_b;
