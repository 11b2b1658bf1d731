"""Political events (PLOVER types, CAMEO codes) and quotations from tokenised Arabic sentences.

Candidates come from the lexicon (seeds/event_patterns.csv, see seeds/README.md); per candidate:
negation, modality, reported speech, source/target actors, location, date, a confidence and the
rule id. The package follows the stage's seams: seeds (and their contract), tokens, match,
modality, actors, quotes, extract.
"""
from tasks.events.extract import cluster, event_id, events_of, extract_events
from tasks.events.seeds import seeds

__all__ = ["cluster", "event_id", "events_of", "extract_events", "seeds"]
