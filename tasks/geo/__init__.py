"""Places: the Arabic gazetteer, the geo stage and the event's place.

- tasks.geo.gazetteer: seeds/gazetteer.csv (GeoNames, converted by `python -m tasks.geo.build`) with
  seeds/places.csv's corrections on top, loaded once per process (`gazetteer()`);
- tasks.geo.resolve: every LOC/GPE entity to a GeoNames id, coordinates, country and precision, or to
  none with the reason (`geocode(docs, entities)`, the pipeline's "geo" stage); `dateline(gz, text)`;
- tasks.geo.place: `event_place(trigger_start, trigger_end, sentence_tokens, places, dateline)`, the
  place of an event's own clause, for the events stage.
"""
from tasks.geo.gazetteer import PRECISIONS, Gazetteer, Place, gazetteer, key
from tasks.geo.place import Located, event_place
from tasks.geo.resolve import COLS, Resolved, dateline, geocode, resolve

__all__ = ["COLS", "PRECISIONS", "Gazetteer", "Located", "Place", "Resolved", "dateline", "event_place",
           "gazetteer", "geocode", "key", "resolve"]
