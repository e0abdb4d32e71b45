"""A saved model in plain transformers: the custom code gives nerkit's own entities.

Every test here runs the copied custom code the way a user without nerkit would
(``trust_remote_code=True``), with transformers' module cache in a temporary folder.
"""

from __future__ import annotations

import ast
import json
import sys
import warnings

import pytest
import torch

import nerkit
from nerkit.modeling.portable import is_portable
from nerkit.modeling.remote import FILES

TEXTS = [
    "Barack Obama visited Paris. Angela Merkel met Obama in Berlin.",
    # casing: the same words in other shapes
    "BARACK OBAMA visited paris. barack obama met MERKEL in berlin.",
    # punctuation, abbreviations, quotes and brackets
    'Google (the U.S. firm) opened an office in London, "near" Berlin; Merkel said: Paris!',
    # one long sentence: many windows of 16 pieces
    " ".join(["Obama and Merkel met Google staff in London and Berlin"] * 6) + ".",
    "",
    "is a city",
]


@pytest.fixture(scope="module")
def hf_modules(tmp_path_factory):
    """transformers' cache of remote code in a temporary folder (hermetic, and nothing left behind)."""
    import transformers.dynamic_module_utils as dynamic

    cache = tmp_path_factory.mktemp("hf-modules")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HOME", str(cache / "home"))
        mp.setenv("HF_MODULES_CACHE", str(cache / "modules"))
        mp.setattr(dynamic, "HF_MODULES_CACHE", str(cache / "modules"))
        mp.setattr(sys, "path", list(sys.path))
        yield cache / "modules"
    for name in [m for m in sys.modules if m == "transformers_modules" or m.startswith("transformers_modules.")]:
        del sys.modules[name]


def _train(tiny_model_dir, tiny_data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(
            tiny_data, str(tiny_model_dir), epochs=12, batch_size=4, lr=5e-3, warmup=0.0, progress=False,
            freeze_word_embeddings=False,  # random, not pretrained: they learn (tests/conftest.py, TINY_WORDS)
            **options,
        )  # fmt: skip


@pytest.fixture(scope="module")
def saved(tiny_model_dir, tiny_data, tmp_path_factory):
    """A tiny model with casing and a CRF, windows of 16 pieces, saved."""
    model = _train(tiny_model_dir, tiny_data, max_len=16)
    assert model.casing and model.crf is not None
    return model.save(tmp_path_factory.mktemp("saved") / "crf-casing")


@pytest.fixture(scope="module")
def saved_bio(tiny_model_dir, tiny_data, tmp_path_factory):
    """A tiny model trained on BIO classes for IO data, without a CRF: entities are merged as IO reads them."""
    model = _train(tiny_model_dir, tiny_data, max_len=16, scheme="BIO", crf=False)
    return model.save(tmp_path_factory.mktemp("saved") / "bio-plain")


@pytest.fixture(scope="module")
def saved_context(tiny_model_dir, tiny_data, tmp_path_factory):
    """A tiny model that reads 4 word pieces of document context on each side, windows of 24 pieces."""
    model = _train(tiny_model_dir, tiny_data, max_len=24, context=4)
    return model.save(tmp_path_factory.mktemp("saved") / "context")


def _pipeline(directory, **options):
    from transformers import pipeline

    return pipeline(
        "token-classification", model=str(directory), trust_remote_code=True, aggregation_strategy="first", **options
    )


def _tagger_entities(directory, texts):
    tagger = nerkit.Tagger.load(directory, precision="fp32")
    return [[(e["label"], e["start"], e["end"], e["text"], e["score"]) for e in ents] for ents in tagger(texts)]


def _pipeline_entities(results):
    return [[(e["entity_group"], e["start"], e["end"], e["word"], e["score"]) for e in ents] for ents in results]


@pytest.mark.parametrize("which", ["saved", "saved_bio", "saved_context"])
def test_the_transformers_pipeline_gives_the_taggers_entities(which, request, hf_modules):
    directory = request.getfixturevalue(which)
    expected = _tagger_entities(directory, TEXTS)
    assert sum(map(len, expected)) > 10  # the tiny model finds entities, so the comparison means something
    ner = _pipeline(directory, precision="fp32")
    assert _pipeline_entities(ner(TEXTS)) == expected
    assert _pipeline_entities([ner(text) for text in TEXTS]) == expected  # one text at a time
    assert _pipeline_entities(ner(TEXTS, batch_size=4)) == expected  # windows batched and padded
    assert any(hf_modules.rglob("pipeline_nerkit.py"))  # the code ran from the hermetic cache


def test_the_pipeline_reads_the_texts_other_sentences_as_context(saved_context, hf_modules):
    ner = _pipeline(saved_context, precision="fp32")
    text = TEXTS[0]
    together = ner(text)
    first, second = text.split(". ")
    apart = ner(first + ".") + [{**e, "start": e["start"] + len(first) + 2, "end": e["end"] + len(first) + 2}
                                for e in ner(second)]  # fmt: skip
    # The same words and boundaries, but read beside their neighbour the scores differ.
    assert [e["score"] for e in together] != [e["score"] for e in apart]
    assert _pipeline_entities([together]) == _tagger_entities(saved_context, [text])


def test_the_pipeline_reads_windows_casing_and_the_crf(saved, hf_modules):
    ner = _pipeline(saved, precision="fp32")
    long_text = TEXTS[3]
    assert len(ner.tokenizer(long_text)["input_ids"]) > 3 * 16  # the long sentence needs several windows
    config = ner.model.config
    assert config.casing and config.use_crf and ner.model.crf is not None
    # The words' shapes reach the model: other shapes, other scores.
    lower, upper = ner("obama visited paris."), ner("OBAMA visited PARIS.")
    assert [e["score"] for e in lower] != [e["score"] for e in upper] or lower != upper


def test_pre_split_words_give_the_taggers_entities(saved, hf_modules):
    words = ["Angela", "Merkel", "met", "Obama", "in", "Berlin", "."]
    tagger = nerkit.Tagger.load(saved, precision="fp32")
    expected = [(e["label"], e["start"], e["end"]) for e in tagger([words])[0]]
    got = _pipeline(saved, precision="fp32")(words, is_split_into_words=True)[0]  # transformers: a list per input
    assert [(e["entity_group"], e["start"], e["end"]) for e in got] == expected and expected


def test_aggregation_none_gives_one_entry_per_tagged_word(saved, hf_modules):
    text = TEXTS[0]
    model = nerkit.load_model(saved)
    words = [w for s in nerkit.text.sentences.sentences_of(text) for w in s]
    tags = [t for s in nerkit.predict(model, [[w.text for w in words]], precision="fp32").tags for t in s]
    ner = _pipeline(saved, precision="fp32")
    got = ner(text, aggregation_strategy="none")
    tagged = [(w.start, w.end, t) for w, t in zip(words, tags) if t != "O"]
    assert [(e["start"], e["end"], e["entity"]) for e in got] == tagged and tagged


def test_the_default_precision_is_the_models_own(saved, hf_modules):
    # "auto": bf16 where the CPU has it natively, as nerkit does; the two agree either way.
    expected = [[(e["label"], e["start"], e["end"]) for e in ents] for ents in nerkit.Tagger.load(saved)(TEXTS[:3])]
    got = [[(e["entity_group"], e["start"], e["end"]) for e in ents] for ents in _pipeline(saved)(TEXTS[:3])]
    assert got == expected


def test_the_remote_model_computes_nerkits_logits(saved, hf_modules):
    from transformers import AutoModelForTokenClassification

    remote = AutoModelForTokenClassification.from_pretrained(str(saved), trust_remote_code=True).eval()
    assert type(remote).__name__ == "NerkitForTokenClassification"
    model = nerkit.load_model(saved)
    ids = torch.tensor([[2, 7, 9, 11, 3]])
    types = torch.tensor([[0, 2, 1, 6, 0]])
    with torch.no_grad():
        mine = model.network(ids, torch.ones_like(ids), types).logits
        theirs = remote(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=types).logits
    torch.testing.assert_close(theirs, mine)
    for name, value in model.crf.state_dict().items():
        torch.testing.assert_close(remote.crf.state_dict()[name], value)


def test_plain_transformers_without_custom_code_fails_naming_trust_remote_code(saved, hf_modules):
    from transformers import AutoModelForTokenClassification, pipeline

    with pytest.raises(ValueError, match="trust_remote_code=True"):
        AutoModelForTokenClassification.from_pretrained(str(saved))
    with pytest.raises(ValueError, match="trust_remote_code"):
        pipeline("token-classification", model=str(saved))


def test_nerkit_loads_the_directory_with_its_answers(saved, trained_tiny, tmp_path):
    meta = json.loads((saved / "nerkit.json").read_text())
    config = json.loads((saved / "config.json").read_text())
    assert meta["format_version"] == 2 and is_portable(saved)
    assert config["model_type"] == "nerkit" and config["auto_map"]["AutoModelForTokenClassification"]
    assert (
        config["custom_pipelines"]["token-classification"]["impl"]
        == "pipeline_nerkit.NerkitTokenClassificationPipeline"
    )
    sentences = [["Obama", "met", "Merkel", "in", "Paris", "."]]
    again = trained_tiny.save(tmp_path / "again")
    loaded = nerkit.load_model(again)
    assert loaded.casing == trained_tiny.casing and loaded.crf is not None
    before = nerkit.predict(trained_tiny, sentences, probabilities=True, precision="fp32")
    after = nerkit.predict(loaded, sentences, probabilities=True, precision="fp32")
    assert after.tags == before.tags
    torch.testing.assert_close(torch.tensor(after.probabilities[0]), torch.tensor(before.probabilities[0]))


def test_a_saved_model_is_a_starting_point_for_a_new_one(saved, tiny_data):
    model = nerkit.build(str(saved), labels=["O", "I-PER", "I-LOC"])
    saved_model = nerkit.load_model(saved)
    name = "encoder.bert.embeddings.word_embeddings.weight"
    torch.testing.assert_close(model.network.state_dict()[name], saved_model.network.state_dict()[name])
    assert model.label_map.tags == ("O", "I-LOC", "I-PER")


def test_the_custom_code_needs_only_torch_and_transformers():
    allowed = {"__future__", "torch", "transformers", "numpy"} | set(sys.stdlib_module_names)
    siblings = {name.removesuffix(".py") for name in FILES}
    for name, source in FILES.items():
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.module in siblings, f"{name} imports .{node.module}, which is not copied with it"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                for module in names:
                    assert module.split(".")[0] in allowed, f"{name} imports {module}"


def test_a_bad_consistency_argument_is_named(saved, hf_modules):
    ner = _pipeline(saved, precision="fp32")
    with pytest.raises(ValueError, match="consistency must be True or False"):
        ner(TEXTS[0], consistency="yes")
    assert ner(TEXTS[0], consistency=False) is not None
