"""The NER model (tasks/ner, models/ner): the shipped CRF on real sentences; its dev figure reproduces."""
import json

import pytest

from tasks import ner
from tasks.config import SHARED, SetupError
from tasks.entities import find_entities
from tasks.ingest import doc_id
from tasks.ner import tag, train
from tasks.ner.features import LISTS, list_hashes, load_clusters
from tasks.schema import PIPELINE_VERSION
from tasks.segment import process_text

AQMAR = SHARED / "eval" / "ner_aqmar_dev.jsonl"


def entities_of(text: str) -> tuple[dict, dict, list[dict]]:
    doc = {"doc_id": doc_id(text), "text": text, "published_at": None}
    out = process_text([doc])
    return doc, out, find_entities(doc, out["sentences"], out["tokens"])


def test_card_names_the_shipped_files():
    card = tag.model().card
    assert card["version"] == ner.VERSION and f"+ner.{ner.VERSION}" in PIPELINE_VERSION
    for f in card["files"].values():
        assert train.sha256(tag.MODEL_DIR / f["name"]) == f["sha256"], f["name"]
    assert card["dev"]["anercorp_dev"]["macro_F1"] > 0.7
    assert card["lists"] == list_hashes(SHARED / "train") == list_hashes(tag.LISTS_DIR)
    size = sum((tag.MODEL_DIR / f["name"]).stat().st_size for f in card["files"].values())
    assert size < 40 * 2**20


@pytest.mark.parametrize("gid", ["aqmar-Crusades-75", "aqmar-Portugal_football_team-11",
                                 "aqmar-Portugal_football_team-29"])
def test_shipped_model_tags_real_sentences(gid):
    """AQMAR dev sentences (Wikipedia, never trained on): every gold entity comes out with its exact
    offsets and label, clitics included (والشام, لخوسيه توريس), names no dictionary lists too."""
    g = next(g for g in map(json.loads, AQMAR.open(encoding="utf-8")) if g["id"] == gid)
    _, _, ents = entities_of(g["text"])
    got = {(e["start"], e["end"], "LOC" if e["label"] == "GPE" else e["label"]) for e in ents}
    for e in g["entities"]:
        assert (e["start"], e["end"], e["label"]) in got, (e, got)


def test_unknown_names_are_entities_without_a_code():
    """AQMAR dev sentences (Wikipedia, never trained on): names no dictionary lists come out uncoded."""
    gold = {g["id"]: g for g in map(json.loads, AQMAR.open(encoding="utf-8"))}
    text = "\n".join(gold[f"aqmar-Linux-{i}"]["text"] for i in (13, 14))
    _, _, ents = entities_of(text)
    person = {e["text"]: e for e in ents if e["label"] == "PERS"}
    assert "أندرو تانينباوم" in person and person["أندرو تانينباوم"]["actor_code"] is None


def test_spans_stay_in_their_sentence_and_on_word_boundaries():
    """AQMAR dev articles and seed text: every entity is exact text, inside one sentence, and starts and
    ends where a whitespace word does (a right-to-left mark glued to a word is taken with it)."""
    rows = [json.loads(line) for line in AQMAR.open(encoding="utf-8")][:400]
    text = "\n".join(r["text"] for r in rows) + "\nقال المتحدث باسم الجيش اللبناني\u200f إن بيروت\u200f هادئة ."
    doc, out, ents = entities_of(text)
    sents = {s["sentence_id"]: s for s in out["sentences"]}
    assert len([e for e in ents if e["label"] != "DATE"]) > 300
    for e in ents:
        s = sents[e["sentence_id"]]
        assert s["start"] <= e["start"] < e["end"] <= s["end"]
        assert text[e["start"]:e["end"]] == e["text"]
        if e["label"] != "DATE":
            assert e["start"] == 0 or text[e["start"] - 1].isspace() or not text[e["start"] - 1].isalpha(), e
            assert e["end"] == len(text) or text[e["end"]].isspace() or not text[e["end"]].isalpha(), e
    assert "بيروت\u200f" in {e["text"] for e in ents}


def test_lists_other_than_the_trained_ones_are_refused(tmp_path, monkeypatch):
    """The gazetteer features' name lists must be the ones the model was trained on, or be missing loudly."""
    monkeypatch.setattr(tag, "LISTS_DIR", tmp_path)
    with pytest.raises(SetupError, match="make setup"):
        tag.model.__wrapped__(tag.MODEL_DIR)
    for name in LISTS.values():
        (tmp_path / name).write_bytes((SHARED / "train" / name).read_bytes())
    assert tag.model.__wrapped__(tag.MODEL_DIR).card["lists"] == list_hashes(tmp_path)
    (tmp_path / LISTS["PERS"]).write_text("محمد\n", encoding="utf-8")
    with pytest.raises(SetupError, match="not the ones"):
        tag.model.__wrapped__(tag.MODEL_DIR)


def test_fast_tagger_agrees_with_crfsuite():
    """Model.tags (cached score vectors + numpy Viterbi) gives pycrfsuite's own tags on 600 AQMAR dev sentences."""
    import pycrfsuite

    m = tag.model()
    rows = [json.loads(line) for line in AQMAR.open(encoding="utf-8")][:600]
    _, out, _ = entities_of("\n".join(r["text"] for r in rows))
    sents: dict[int, list[dict]] = {}
    for t in out["tokens"]:
        sents.setdefault(t["sentence_id"], []).append(t)
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tag.MODEL_DIR / m.card["files"]["model"]["name"]))
    toks = list(sents.values())
    assert len(toks) > 500
    assert m.tags(toks) == [tagger.tag(m.featurizer.sentence(x)) for x in toks]


def test_decode_and_encode_agree():
    spans = [(0, 2, "PERS"), (3, 4, "LOC"), (4, 6, "ORG")]
    for scheme in ("BIO", "BILOU"):
        assert tag.decode(tag.encode(7, spans, scheme)) == spans
    assert tag.decode(["I-PERS", "I-PERS", "O", "B-LOC", "I-ORG"]) == [(0, 2, "PERS"), (3, 4, "LOC"), (4, 5, "ORG")]


def test_make_models_recipe_reproduces_the_dev_figure():
    """The shipped recipe and clusters, trained again on the first 90% of ANERcorp's training file,
    score on its last 10% exactly what the card records (CRF training is deterministic)."""
    card = tag.model().card
    head, tail = train.split(train.read_gold(SHARED / train.TRAIN))
    clusters = card["files"].get("clusters")
    clusters = load_clusters(tag.MODEL_DIR / clusters["name"]) if clusters else {}
    dev = train.dev_run(train.analyse(head), {"anercorp_dev": train.analyse(tail)}, clusters, card["recipe"],
                        train.gazetteer(SHARED / "train"))
    assert dev["anercorp_dev"] == card["dev"]["anercorp_dev"]
