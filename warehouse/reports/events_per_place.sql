-- Events per place
-- One row per GeoNames place and PLOVER type: the place's name as most often written, its GeoNames
-- id, country (ISO alpha-3), coordinates and precision (country, region or city: the geocoded
-- entity's), with the event mentions and distinct events of that type there. Events whose place
-- has no coordinates (not placed, or no place named) are left out.
WITH names AS (
    SELECT location_geonames_id AS geonames_id, location_text AS place FROM events
    WHERE location_geonames_id IS NOT NULL
    GROUP BY location_geonames_id, location_text
    QUALIFY row_number() OVER (PARTITION BY geonames_id ORDER BY count(*) DESC, place) = 1
), precision AS (
    SELECT geonames_id, any_value(precision) AS precision FROM entities
    WHERE geonames_id IS NOT NULL GROUP BY ALL
)
SELECT e.location_geonames_id AS geonames_id,
       n.place,
       any_value(e.location_country) AS country,
       any_value(e.location_latitude) AS latitude,
       any_value(e.location_longitude) AS longitude,
       any_value(p.precision) AS precision,
       e.event_type,
       count(*) AS mentions,
       count(DISTINCT e.event_id) AS events
FROM events e
JOIN names n ON n.geonames_id = e.location_geonames_id
LEFT JOIN precision p ON p.geonames_id = e.location_geonames_id
GROUP BY e.location_geonames_id, n.place, e.event_type
ORDER BY mentions DESC, geonames_id, e.event_type;
