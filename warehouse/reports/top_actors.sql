-- Top actors
-- Actors by the event mentions they take part in, as source or target (an actor is its CAMEO
-- code, else its text; name is the text most often used for it). text_mentions counts the entity
-- mentions carrying that actor code.
WITH roles AS (
    SELECT coalesce(source_code, source_text) AS actor, source_text AS name, 'source' AS role,
           event_id, goldstein
    FROM events WHERE coalesce(source_code, source_text) IS NOT NULL
    UNION ALL
    SELECT coalesce(target_code, target_text), target_text, 'target', event_id, goldstein
    FROM events WHERE coalesce(target_code, target_text) IS NOT NULL
), names AS (
    SELECT actor, name FROM roles WHERE name IS NOT NULL
    GROUP BY actor, name
    QUALIFY row_number() OVER (PARTITION BY actor ORDER BY count(*) DESC, name) = 1
), mentioned AS (
    SELECT actor_code AS actor, count(*) AS text_mentions
    FROM entities WHERE actor_code IS NOT NULL GROUP BY ALL
)
SELECT r.actor,
       n.name,
       count(*) AS mentions,
       count(*) FILTER (WHERE r.role = 'source') AS as_source,
       count(*) FILTER (WHERE r.role = 'target') AS as_target,
       count(DISTINCT r.event_id) AS events,
       round(avg(r.goldstein), 2) AS goldstein_mean,
       coalesce(any_value(m.text_mentions), 0) AS text_mentions
FROM roles r
LEFT JOIN names n USING (actor)
LEFT JOIN mentioned m USING (actor)
GROUP BY r.actor, n.name
ORDER BY mentions DESC, r.actor;
