"""nerkit.integrations.spacy_component: nlp.add_pipe("nerkit") through spaCy's entry points,
doc.ents equal to the Tagger's entities, batched nlp.pipe, displaCy, and tokens that disagree."""

import json
import subprocess
import sys

import pytest
import spacy
from spacy import displacy

from nerkit.errors import ConfigError
from nerkit.inference.tagger import Tagger

README_TEXT = "Barack Obama visited Paris."
LONGER = (
    "Angela Merkel met Obama in Berlin. Google opened an office in London, and Microsoft hired Angela in Berlin.\n\n"
    "The Olympics were held in Paris. Merkel spoke to Google staff; London and Berlin are cities."
)


@pytest.fixture(scope="module")
def nlp(model_dir):
    nlp = spacy.blank("en")
    nlp.add_pipe("nerkit", config={"model": str(model_dir)})
    return nlp


def _ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.mark.parametrize("text", [README_TEXT, LONGER])
def test_doc_ents_are_the_taggers_entities(nlp, trained_tiny, text):
    expected = Tagger(trained_tiny)(text)
    assert len(expected) >= 2  # the tiny model finds entities here, so the comparison means something
    doc = nlp(text)
    assert _ents(doc) == [(e["start"], e["end"], e["label"]) for e in expected]
    assert [e.text for e in doc.ents] == [e["text"] for e in expected]
    assert [e._.nerkit_score for e in doc.ents] == [e["score"] for e in expected]


def test_nlp_pipe_tags_each_batch_in_one_call(nlp, trained_tiny, monkeypatch):
    texts = [README_TEXT, LONGER, "", "Obama watched the Olympics."] * 3
    calls = []
    original = Tagger.tag_texts

    def recording(self, batch):
        calls.append(len(batch))
        return original(self, batch)

    monkeypatch.setattr(Tagger, "tag_texts", recording)
    docs = list(nlp.pipe(texts, batch_size=5))
    assert calls == [5, 5, 2]
    tagger = Tagger(trained_tiny)
    assert [_ents(d) for d in docs] == [[(e["start"], e["end"], e["label"]) for e in tagger(t)] for t in texts]


def test_displacy_renders_the_entities(nlp):
    doc = nlp(README_TEXT)
    html = displacy.render(doc, style="ent", jupyter=False)
    for ent in doc.ents:
        assert ent.text in html and ent.label_ in html


def test_an_entity_inside_a_spacy_token_grows_to_the_token(nlp, monkeypatch):
    # nerkit splits "U.S.-based" into "U.S." and "-based"; spaCy keeps one token.
    text = "A U.S.-based firm hired Obama's aide."
    found = [
        {"text": "U.S.", "label": "LOC", "start": 2, "end": 6, "score": 0.5},
        {"text": "Obama", "label": "PER", "start": 24, "end": 29, "score": 0.9},
    ]
    monkeypatch.setattr(Tagger, "tag_texts", lambda self, texts: [found for _ in texts])
    doc = nlp(text)
    assert [(e.text, e.label_) for e in doc.ents] == [("U.S.-based", "LOC"), ("Obama", "PER")]


def test_the_factory_needs_a_model():
    with pytest.raises(ConfigError, match='config=\\{"model": "DIR"\\}'):
        spacy.blank("en").add_pipe("nerkit")


def test_the_component_is_found_through_the_entry_point_without_importing_nerkit(model_dir, trained_tiny):
    # A fresh interpreter that never imports nerkit itself: spaCy finds the factory by its entry point.
    code = (
        "import json, spacy\n"
        "nlp = spacy.blank('en')\n"
        f"nlp.add_pipe('nerkit', config={{'model': {str(model_dir)!r}}})\n"
        f"doc = nlp({README_TEXT!r})\n"
        "print(json.dumps([nlp.pipe_names, [[e.start_char, e.end_char, e.label_] for e in doc.ents]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    names, ents = json.loads(done.stdout)
    assert names == ["nerkit"]
    assert ents == [[e["start"], e["end"], e["label"]] for e in Tagger(trained_tiny)(README_TEXT)]


def test_a_saved_pipeline_loads_the_component_again(nlp, tmp_path):
    nlp.to_disk(tmp_path / "pipeline")  # the config holds the model's folder
    again = spacy.load(tmp_path / "pipeline")
    assert again.pipe_names == ["nerkit"]
    assert _ents(again(LONGER)) == _ents(nlp(LONGER))
