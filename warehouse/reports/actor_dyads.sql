-- Actor dyads: source -> target
-- One row per directed pair of actors over the events that have both. An actor is its CAMEO code,
-- else its text when the dictionaries had no code; *_name is the text most often used for it.
-- goldstein_mean averages the Goldstein scale (-10 conflict .. +10 cooperation); the quad
-- columns count mentions per CAMEO quad class (1 verbal / 2 material cooperation,
-- 3 verbal / 4 material conflict).
WITH e AS (
    SELECT *, coalesce(source_code, source_text) AS source, coalesce(target_code, target_text) AS target
    FROM events
), names AS (
    SELECT actor, name
    FROM (SELECT source AS actor, source_text AS name FROM e UNION ALL SELECT target, target_text FROM e)
    WHERE actor IS NOT NULL AND name IS NOT NULL
    GROUP BY actor, name
    QUALIFY row_number() OVER (PARTITION BY actor ORDER BY count(*) DESC, name) = 1
)
SELECT e.source, e.target,
       s.name AS source_name,
       t.name AS target_name,
       count(*) AS mentions,
       count(DISTINCT e.event_id) AS events,
       round(avg(e.goldstein), 2) AS goldstein_mean,
       count(*) FILTER (WHERE e.quad_class = 1) AS verbal_coop,
       count(*) FILTER (WHERE e.quad_class = 2) AS material_coop,
       count(*) FILTER (WHERE e.quad_class = 3) AS verbal_conflict,
       count(*) FILTER (WHERE e.quad_class = 4) AS material_conflict
FROM e
LEFT JOIN names s ON s.actor = e.source
LEFT JOIN names t ON t.actor = e.target
WHERE e.source IS NOT NULL AND e.target IS NOT NULL
GROUP BY ALL
ORDER BY mentions DESC, e.source, e.target;
