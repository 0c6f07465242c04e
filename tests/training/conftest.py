"""Fixtures for the training tests: a temp riftlab project whose warehouse holds the
contract tables filled with :mod:`fixture_data`, and a tiny Llama-shaped decoder with
a BPE tokenizer trained locally on that corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest
import training_fixture_data as fixture_data

from training import smollm2

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DDL = {
    "champions": "CREATE TABLE main.champions (champion_key VARCHAR, name VARCHAR, title VARCHAR, positions VARCHAR[], "
    "classes VARCHAR[], subclasses VARCHAR[], sources VARCHAR[], embedding_split VARCHAR)",
    "corpus_chunks": "CREATE TABLE main.corpus_chunks (chunk_id VARCHAR, document_id VARCHAR, source VARCHAR, "
    "champion VARCHAR, section VARCHAR, text VARCHAR, n_tokens INTEGER, split VARCHAR)",
    "triplets": "CREATE TABLE main.triplets (triplet_id VARCHAR, kind VARCHAR, anchor VARCHAR, positive VARCHAR, "
    "negative VARCHAR, anchor_champion VARCHAR, positive_champion VARCHAR, negative_champion VARCHAR, rule VARCHAR, "
    "split VARCHAR)",
    "champion_mask_terms": "CREATE TABLE main.champion_mask_terms (champion VARCHAR, mask_terms VARCHAR[])",
    "instruct_pairs": "CREATE TABLE main.instruct_pairs (pair_id VARCHAR, kind VARCHAR, "
    "messages STRUCT(role VARCHAR, content VARCHAR)[], champion VARCHAR, split VARCHAR, source_ids VARCHAR[])",
}

ROWS = {
    "champions": fixture_data.champion_rows,
    "corpus_chunks": fixture_data.chunk_rows,
    "triplets": fixture_data.triplet_rows,
    "champion_mask_terms": fixture_data.mask_term_rows,
    "instruct_pairs": fixture_data.instruct_rows,
}


def fill_table(con, name: str, rows: list[dict]) -> None:
    """(Re)create ``main.<name>`` per its contract and insert ``rows`` in one batch."""
    con.execute(f"DROP TABLE IF EXISTS main.{name}")
    con.execute(DDL[name])
    if rows:
        batch = pa.Table.from_pylist(rows)  # noqa: F841 (read by DuckDB below)
        columns = ", ".join(rows[0])
        con.execute(f"INSERT INTO main.{name} ({columns}) SELECT {columns} FROM batch")


@pytest.fixture
def make_project(tmp_path: Path):
    """Build a project; ``tables`` overrides the rows of any contract table (None = fixture rows)."""
    from warehouse.project import Project

    def make(**tables: list[dict] | None) -> Project:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "riftlab.yaml").write_text(
            "name: test\nwarehouse:\n  path: data/test.duckdb\ntraining:\n  num_threads: 1\n", encoding="utf-8"
        )
        project = Project.load(root)
        con = project.connect()
        try:
            for name, default in ROWS.items():
                rows = tables.get(name)
                fill_table(con, name, default() if rows is None else rows)
        finally:
            con.close()
        return project

    return make


@pytest.fixture
def project(make_project):
    return make_project()


def _corpus_lines() -> list[str]:
    lines = [row["text"] for row in fixture_data.chunk_rows()]
    for row in fixture_data.instruct_rows():
        lines += [m["content"] for m in row["messages"]]
    return lines


@pytest.fixture(scope="session")
def tiny_decoder(tmp_path_factory) -> Path:
    """A 2-layer, 64-wide LlamaForCausalLM (random init) with a byte-level BPE tokenizer trained here."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(
        _corpus_lines(),
        trainers.BpeTrainer(
            vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory) -> Path:
    """One conversion for the whole session (about 30 s on 2 cores); projects link their data/models to it."""
    pytest.importorskip("gguf")
    try:
        smollm2.gguf_path()
    except Exception as exc:  # the package is in the lock; a venv without it skips with the reason
        pytest.skip(str(exc))
    cache = tmp_path_factory.mktemp("models")
    smollm2.checkpoint(cache)
    return cache


def link_cache(root: Path, cache: Path) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / smollm2.CACHE).symlink_to(cache, target_is_directory=True)
