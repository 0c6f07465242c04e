"""LLM2Vec-style adaptation of a decoder: bidirectional attention, MNTP, SimCSE, triplets; reloads bidirectional."""

from __future__ import annotations

import pytest

FAST = [
    "triplets.epochs=1",
    "triplets.batch_size=16",
    "max_seq_length=32",
    "triplets.learning_rate=1e-3",
    "max_validation_triplets=16",
    "llm2vec.steps=12",
    "simcse.steps=4",
    "llm2vec.batch_size=8",
    "simcse.batch_size=8",
    "llm2vec.max_seq_length=48",
    "llm2vec.learning_rate=2e-3",
    "simcse.learning_rate=2e-3",
    "lora_preset=light",
]


def _first_token_vectors(model, texts):
    return model.encode(texts, output_value="token_embeddings", convert_to_numpy=False)


def test_llm2vec_adapts_a_decoder_and_the_checkpoint_reloads_bidirectional(project, tiny_decoder):
    import torch
    from sentence_transformers import SentenceTransformer

    from training.llm2vec import BidirectionalTransformer
    from training.runner import train

    run = train(project, "embed", "embed_llm2vec", base=str(tiny_decoder), overrides=FAST)
    m = run.metrics
    assert m["llm2vec_bidirectional_layers"] == 2  # the tiny model's two attention layers
    assert m["llm2vec_mntp_steps"] == 12 and m["llm2vec_mntp_loss_after"] < m["llm2vec_mntp_loss_before"], m
    assert m["llm2vec_simcse_loss"] > 0 and "validation_accuracy" in m
    assert not (run.output_path / "llm2vec_mntp").exists() and not (run.output_path / "simcse").exists()

    from training.bases import load_sentence_transformer

    reloaded = load_sentence_transformer(run.output_path)
    assert isinstance(reloaded[0], BidirectionalTransformer)
    assert reloaded[0].auto_model.config.is_causal is False
    assert m["merged_lora_layers"] > 0 and not (run.output_path / "adapter_config.json").exists()
    # the saved weights are the trained ones, LoRA folded in: the validation score comes back exactly
    from sentence_transformers.sentence_transformer.evaluation import TripletEvaluator

    from training.data import read_triplets, split_rows
    from training.embed import cap_rows

    con = project.connect(read_only=True)
    try:
        validation = cap_rows(split_rows(read_triplets(con, ["champion", "text"]), "validation"), 16, 42)
    finally:
        con.close()
    evaluator = TripletEvaluator(
        *(validation[c].to_pylist() for c in ("anchor", "positive", "negative")), batch_size=64
    )
    assert round(float(evaluator(reloaded)[evaluator.primary_metric]), 4) == m["validation_accuracy"]
    # Bidirectional: the first token's state depends on the tokens after it (a causal decoder's cannot).
    a, b = _first_token_vectors(reloaded, ["Jinx fires rockets", "Jinx heals allies"])
    assert not torch.allclose(a[0], b[0], atol=1e-5)

    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    plain = Transformer(str(tiny_decoder), max_seq_length=32)
    plain.tokenizer.pad_token = plain.tokenizer.pad_token or plain.tokenizer.eos_token
    baseline = SentenceTransformer(modules=[plain, Pooling(plain.get_embedding_dimension(), pooling_mode="mean")])
    a, b = _first_token_vectors(baseline, ["Jinx fires rockets", "Jinx heals allies"])
    assert torch.allclose(a[0], b[0], atol=1e-5)  # the control: causal attention

    # riftlab's evaluation loads it by run id, bidirectional too
    from evaluation.models import load, resolve

    con = project.connect(read_only=True)
    try:
        ref = resolve(run.run_id, con)
    finally:
        con.close()
    evaluated = load(ref)
    assert isinstance(evaluated[0], BidirectionalTransformer)


def test_llm2vec_needs_a_decoder_and_vocabulary_needs_an_encoder(project, tiny_decoder):
    from training.errors import PresetError
    from training.runner import train

    with pytest.raises(PresetError, match="step 'llm2vec' turns a decoder into an encoder"):
        train(project, "embed", overrides=["steps=[llm2vec, triplets]"])
    with pytest.raises(PresetError, match=r"drop 'vocabulary' \(the llm2vec step makes a decoder an encoder\)"):
        train(project, "embed", "embed_decoder", base=str(tiny_decoder), overrides=["steps=[vocabulary, triplets]"])
