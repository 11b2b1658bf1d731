"""Named-entity recognition: a CRF trained on ANERcorp over the text stage's tokens.

features.py  the feature groups (cached per word type)     tag.py    the shipped model, tagging
clusters.py  word clusters learnt from SaudiNewsNet        train.py  training, dev measurement
Artefacts: models/ner/ (`make models` rebuilds them; card.json says how and what they scored).
"""

VERSION = 3  # of the recipe and its artefacts: bump with any change to features, recipe or training data
