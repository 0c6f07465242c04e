"""Name vectors (issue 17): a second fitted vector per champion name beside the embedding, and label
probabilities for names only, so that champions are placed by their kits while a text still ranks the
names exactly as the embedding alone does (retrieval untouched)."""

from __future__ import annotations

import numpy as np
import pytest
from saved_modules import reloads_the_same

NAMES = ["Jinx", "Ashe", "Malphite"]
TEXTS = ["Jinx", "Ashe", "Malphite", "Jinx and Ashe", "a ranged marksman who attacks from a distance"]


@pytest.fixture(scope="module")
def named():
    """MiniLM with each of NAMES as its own token (as invert leaves it), and the names' token ids."""
    from sentence_transformers import SentenceTransformer

    from training.bases import load_sentence_transformer, minilm_path
    from training.steps.vocabulary import add_name_tokens

    model = SentenceTransformer(modules=list(load_sentence_transformer(minilm_path())))
    ids, _, _, _ = add_name_tokens(model[0].tokenizer, model[0].auto_model, NAMES)
    return model, ids


def with_modules(named, *modules):
    from sentence_transformers import SentenceTransformer

    model, _ = named
    return SentenceTransformer(modules=[*list(model), *modules])


def name_vectors(named, vectors, weight):
    import torch

    from training.modules import NameVectors

    module = NameVectors(384, named[1], vectors.shape[1], weight)
    with torch.no_grad():
        module.vectors.copy_(torch.from_numpy(vectors))
    return module


def test_names_get_their_vector_beside_the_embedding_and_other_texts_zeros(named, tmp_path):
    from sentence_transformers.sentence_transformer.modules import Normalize

    vectors = np.eye(3, 4, dtype=np.float32)
    model = with_modules(named, name_vectors(named, vectors, 2.0), Normalize())
    raw = named[0].encode(TEXTS, normalize_embeddings=True)
    out = model.encode(TEXTS)
    assert out.shape == (5, 384 + 4)
    both = (vectors[0] + vectors[1]) / np.linalg.norm(vectors[0] + vectors[1])  # two names: their unit mean
    blocks = np.stack([vectors[0], vectors[1], vectors[2], both, np.zeros(4)]) * 2.0
    expected = np.concatenate([raw, blocks], axis=1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert out == pytest.approx(expected, abs=1e-4)

    reloads_the_same(model, tmp_path / "saved", "training.modules.name_vectors.NameVectors", TEXTS)


def test_names_only_probabilities_are_square_roots_for_names_and_zeros_for_texts(named):
    from training.steps.label_probabilities import append_probabilities

    model = with_modules(named)
    labels = {"position": ["Bottom", "Middle", "Top"], "class": ["Mage", "Marksman"]}
    rng = np.random.default_rng(1)
    weight, bias = rng.normal(size=(5, 384)).astype(np.float32), rng.normal(size=5).astype(np.float32)
    append_probabilities(model, labels, weight, bias, 2.0, name_ids=named[1])
    raw = named[0].encode(TEXTS, normalize_embeddings=True)
    out = model.encode(TEXTS)
    logits = raw @ weight.T + bias
    probs = np.concatenate([np.exp(b) / np.exp(b).sum(axis=1, keepdims=True) for b in np.split(logits, [3], axis=1)], 1)
    blocks = 2.0 / np.sqrt(2) * np.sqrt(probs)
    blocks[-1] = 0.0  # the text without a name gets no guess
    expected = np.concatenate([raw, blocks], axis=1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert out == pytest.approx(expected, abs=1e-4)
    assert np.linalg.norm(out[:4, 384:], axis=1) == pytest.approx(np.full(4, 2.0 / np.sqrt(5)), abs=1e-4)


def test_a_text_ranks_the_names_exactly_as_the_embedding_alone_does(named):
    from sentence_transformers.sentence_transformer.modules import Normalize

    from training.steps.label_probabilities import append_probabilities

    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(3, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    model = with_modules(named, name_vectors(named, vectors, 3.0), Normalize())
    weight = rng.normal(scale=5, size=(4, 390)).astype(np.float32)
    append_probabilities(
        model, {"position": ["A", "B"], "class": ["C", "D"]}, weight, np.zeros(4, np.float32), 4.0, name_ids=named[1]
    )
    queries = ["attacks from a distance with rockets", "a rock giant who charges in", "frost arrows slow enemies"]
    plain = named[0].encode(queries, normalize_embeddings=True) @ named[0].encode(NAMES, normalize_embeddings=True).T
    full = model.encode(queries) @ model.encode(NAMES).T
    assert (np.argsort(-full, axis=1) == np.argsort(-plain, axis=1)).all()
    assert full / plain == pytest.approx(np.full_like(full, (full / plain)[0, 0]), rel=1e-3)  # one common factor


def card_chunks() -> list[dict]:
    """Two kit-card sentences per fixture champion (source kit_card), written from made-up facts."""
    import training_fixture_data as data

    ranged = {"Ahri", "Annie", "Syndra", "Ryze", "Jinx", "Caitlyn", "Ashe", "Miss Fortune", "Soraka", "Janna", "Lulu"}
    rows = []
    for i, champion in enumerate(data.champion_rows()):
        name = champion["name"]
        reach = "is ranged and attacks from a distance" if name in ranged else "is melee and fights up close"
        body = "is very durable and hard to kill" if i % 3 == 0 else "is fragile and dies quickly"
        text = f"{name} {reach}. {name} {body}."
        rows.append(
            {
                "chunk_id": f"card-{i}",
                "document_id": f"card-doc-{i}",
                "source": "kit_card",
                "champion": champion["champion_key"],
                "section": "Kit card",
                "text": text,
                "n_tokens": len(text.split()),
                "split": "train",
            }
        )
    return rows


FAST = ["max_seq_length=48", "invert.steps=10", "name_vectors.steps=10", "max_validation_triplets=16"]


def test_embed_default_gives_each_name_a_second_vector_and_puts_its_token_back(make_project):
    import training_fixture_data as data

    from evaluation.neighbours import reader
    from training.bases import load_sentence_transformer
    from training.runner import train

    project = make_project(corpus_chunks=data.chunk_rows() + card_chunks())
    one = train(project, "embed", "embed_default", overrides=[*FAST, "seed=1"])
    two = train(project, "embed", "embed_default", overrides=[*FAST, "seed=2"])
    inverted_only = train(project, "embed", "embed_default", overrides=[*FAST, "steps=[invert]"])

    names = [row["name"] for row in data.champion_rows()]
    model = load_sentence_transformer(one.output_path)
    kinds = [type(module).__name__ for module in model]
    assert kinds[-4:] == ["NameVectors", "Normalize", "LabelProbabilities", "Normalize"]
    assert one.metrics["name_vectors_names"] == len(names)
    # the token each name reads with is the one inversion fitted to its crawled text: the second fit was undone
    plain = load_sentence_transformer(inverted_only.output_path).encode(names, normalize_embeddings=True)
    first = reader(model).encode(names, normalize_embeddings=True)
    assert first == pytest.approx(plain, abs=1e-4)
    # ... and the second vector is another place: the name fitted to its cards as well
    table = model[kinds.index("NameVectors")]
    second = table.vectors.numpy()[[table.name_ids.index(i) for i in name_ids(model, names)]]
    assert np.mean(np.sum(second * first, axis=1)) < 0.99
    # a text ranks the names as the first vector alone does (retrieval untouched), names come closer by their kits
    texts = [masked(row["text"], names) for row in data.chunk_rows()[:12]]  # as retrieval's queries are
    full = model.encode(texts) @ model.encode(names).T
    alone = reader(model).encode(texts, normalize_embeddings=True) @ first.T
    assert (np.argsort(-full, axis=1) == np.argsort(-alone, axis=1)).all()
    # the kit search compares text with names there too: a description no card fits ranks them as retrieval does
    from evaluation.neighbours import NAME_WEIGHT, KitSearch

    found = KitSearch(model, data.champion_rows(), {}).rank("attacks from a distance", k=len(names))
    alone = reader(model).encode(["attacks from a distance"], normalize_embeddings=True) @ first.T
    assert [n.name for n in found] == [names[j] for j in np.argsort(-alone[0], kind="stable")]
    # at the reader's own scale (one part, so the part's and the whole text's cosines add up), not shrunk by the
    # extra blocks a name carries in the full embedding
    assert found[0].score == pytest.approx((1 + NAME_WEIGHT) * float(alone[0].max()), abs=1e-4)
    # no step draws random numbers: another seed gives the same embeddings
    assert load_sentence_transformer(two.output_path).encode(names) == pytest.approx(model.encode(names), abs=1e-5)


def masked(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, "this champion")
    return text


def name_ids(model, names: list[str]) -> list[int]:
    from training.steps.vocabulary import name_token_ids

    return name_token_ids(model[0].tokenizer, names, "test")


def test_embed_default_without_kit_cards_says_so_and_keeps_the_rest(project):
    from training.bases import load_sentence_transformer
    from training.runner import train

    result = train(project, "embed", "embed_default", overrides=FAST)  # the fixture corpus holds no kit card
    kinds = [type(module).__name__ for module in load_sentence_transformer(result.output_path)]
    assert "NameVectors" not in kinds and kinds[-2:] == ["LabelProbabilities", "Normalize"]
    assert result.metrics["name_vectors_names"] == 0 and result.metrics["invert_names"] > 0


def test_a_name_vectors_step_before_names_have_tokens_names_the_fix(make_project):
    import training_fixture_data as data

    from training.errors import PresetError
    from training.runner import train

    project = make_project(corpus_chunks=data.chunk_rows() + card_chunks())
    with pytest.raises(PresetError, match="list invert or vocabulary before name_vectors"):
        train(project, "embed", "embed_default", overrides=[*FAST, "steps=[name_vectors]"])


def test_card_offsets_centre_and_normalise_and_fact_indicators_mark_shared_sentences():
    from training.steps.name_vectors import card_offsets, fact_indicators

    cards = [["is ranged.", "is fragile."], ["is ranged.", "is durable."], []]
    indicators = fact_indicators(cards)
    assert indicators.tolist() == [[0, 1, 1], [1, 0, 1], [0, 0, 0]]  # columns: durable, fragile, ranged
    offsets = card_offsets(indicators)
    assert np.linalg.norm(offsets[:2], axis=1) == pytest.approx([1.0, 1.0])
    assert offsets[2].tolist() == [0.0, 0.0, 0.0]  # no cards: no vector
    assert offsets[:2, 2] == pytest.approx([0.0, 0.0])  # a fact every carded name shares tells them nothing
    assert float(offsets[0] @ offsets[1]) == pytest.approx(-1.0)


def test_the_other_readings_of_the_cards_give_one_row_per_name(make_project):
    import training_fixture_data as data

    from training.bases import load_sentence_transformer
    from training.runner import train

    project = make_project(corpus_chunks=data.chunk_rows() + card_chunks())
    for read, width in (("facts", 4), ("offsets", 384)):  # 4 distinct masked card sentences in card_chunks
        result = train(project, "embed", "embed_default", overrides=[*FAST, f"name_vectors.read={read}"])
        assert result.metrics["name_vectors_width"] == width
        model = load_sentence_transformer(result.output_path)
        vectors = next(m for m in model if type(m).__name__ == "NameVectors").vectors.numpy()
        assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(len(vectors)), abs=1e-5)
