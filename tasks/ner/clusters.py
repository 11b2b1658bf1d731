"""Distributional word clusters for the NER model, learned without labels from SaudiNewsNet.

    python -m tasks.ner.clusters [CORPUS_DIR] [OUT]     (default ../shared/corpus/saudinewsnet, models/ner/clusters.tsv)

Every article (title and content) goes through the text stage's own normalisation and tokeniser,
and each token becomes its matching form (tokens.norm; digits become <num>). gensim's word2vec
(skip-gram, one worker, fixed seed and a fixed word hash, so two builds give the same vectors)
embeds the words seen at least MIN_COUNT times; scikit-learn's k-means (k-means++ seeding, one
initialisation, fixed seed) groups the unit vectors at each of GRANULARITIES. The output is one
line per word: the word and its cluster id at each granularity; no text of the corpus is kept. A summary (parameters, input
hashes) goes beside it as clusters.json.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

from tasks.config import ROOT, SHARED
from tasks.normalize import match_form, normalize
from tasks.segment import tokenize

CORPUS = SHARED / "corpus" / "saudinewsnet"
OUT = ROOT / "models" / "ner" / "clusters.tsv"
GRANULARITIES = (64, 256, 1024)
MIN_COUNT = 5
SEED = 13
KMEANS_ITER = 30
W2V = {"vector_size": 100, "window": 5, "sg": 1, "negative": 5, "epochs": 5, "sample": 1e-4}


def sentences(corpus: Path = CORPUS) -> Iterator[list[str]]:
    """Lines of every article as lists of matching forms, in file and article order."""
    for path in sorted(corpus.glob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            articles = json.load(f)
        for a in articles:
            for line in f"{a.get('title') or ''}\n{a.get('content') or ''}".splitlines():
                norm, starts, ends = normalize(line)
                words = ["<num>" if w[0].isdigit() else match_form(w) for _, _, w in tokenize(norm, starts, ends, 0, len(norm))]
                if len(words) > 1:
                    yield words


def _hash(s: str) -> int:
    """A word hash that does not change between processes (Python's str hash does)."""
    return zlib.crc32(s.encode("utf-8"))


def build(corpus: Path = CORPUS, out: Path = OUT) -> dict:
    """Train the vectors, cluster them and write `out`; returns a summary for the model card."""
    import numpy as np
    from gensim.models import Word2Vec
    from sklearn.cluster import KMeans

    text = list(sentences(corpus))
    model = Word2Vec(text, min_count=MIN_COUNT, workers=1, seed=SEED, hashfxn=_hash, **W2V)
    words = list(model.wv.index_to_key)
    vecs = model.wv.vectors.astype(np.float64)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    ids = []
    for k in GRANULARITIES:
        ids.append(KMeans(k, n_init=1, max_iter=KMEANS_ITER, random_state=SEED + k).fit_predict(vecs))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as f:
        for i, w in enumerate(words):
            f.write(w + "".join(f"\t{c[i]}" for c in ids) + "\n")
    summary = {"words": len(words), "tokens": sum(map(len, text)), "granularities": list(GRANULARITIES),
               "min_count": MIN_COUNT, "seed": SEED, "word2vec": W2V, "kmeans": f"scikit-learn KMeans, k-means++, one init, at most {KMEANS_ITER} iterations",
               "corpus": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(corpus.glob("*.json.gz"))}}
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    summary = build(Path(args[0]) if args else CORPUS, Path(args[1]) if len(args) > 1 else OUT)
    print(f"{summary['words']} words from {summary['tokens']} tokens -> {args[1] if len(args) > 1 else OUT}")


if __name__ == "__main__":
    main()
