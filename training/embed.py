"""``embed``: a sentence embedder trained on ``main.triplets``, its preset an ordered list of steps.

The base is an encoder that already is a sentence-transformer (``minilm``, the offline default, or
any sentence-transformers folder) or a decoder (a merged ``clm``/``sft`` output), wrapped with a
``Transformer`` and a ``Pooling``.  :func:`prepare` reads and checks the rows before a run starts;
:func:`fit` builds the model, applies the preset's steps (:mod:`training.steps`) in order, measures
validation accuracy and name neighbours before and after, and saves the checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from training import bases
from training.data import (
    Snapshot,
    read_champions,
    read_chunks,
    read_mask_terms,
    read_triplets,
    require_rows,
    split_rows,
)
from training.defaults import Embed
from training.errors import PresetError, TrainingDataError
from training.runner import FitResult
from training.steps import Step
from warehouse.project import Project

COLUMNS = ["anchor", "positive", "negative"]
#: what a step reads of main.corpus_chunks (``source``: the text_triplets step picks kit cards by it)
CHUNK_COLUMNS = "chunk_id, champion, text, split, source"
PAIR_SCHEMA = pa.schema([(column, pa.string()) for column in COLUMNS])


@dataclass
class EmbedData:
    """The rows an embed run reads, read and checked before the run starts."""

    base_path: Path
    decoder: bool
    train: pa.Table  # anchor, positive, negative
    validation: pa.Table
    champions: pa.Table
    chunks: pa.Table | None  # main.corpus_chunks, when a step or the corpus pairs read the corpus
    mask_terms: pa.Table | None  # main.champion_mask_terms, when names are masked
    mask_token: str  # vars.mask_token: what a champion's names become in masked text

    def corpus(self, split: str) -> pa.Table:
        """The corpus chunks a step reads: every split ('all') or the train split."""
        assert self.chunks is not None, "prepare reads the corpus when a step does"
        return self.chunks if split == "all" else split_rows(self.chunks, "train")

    def corpus_texts(self, split: str) -> list[str]:
        return [text for text in self.corpus(split)["text"].to_pylist() if text]

    def descriptions(self, split: str) -> list[list[str]]:
        """Per champion, its chunks with its names masked (:func:`masked_descriptions`)."""
        return masked_descriptions(self.champions, self.corpus(split), self.mask_terms, self.mask_token)

    def description_sources(self, split: str) -> list[list[str]]:
        """The source of each text :meth:`descriptions` gives, in the same order."""
        chunks = self.corpus(split)
        known = set(self.mask_terms["champion"].to_pylist())
        sources: dict[str, list[str]] = {}
        for champion, text, source in zip(
            chunks["champion"].to_pylist(), chunks["text"].to_pylist(), chunks["source"].to_pylist(), strict=True
        ):
            if text and champion in known:
                sources.setdefault(champion, []).append(source)
        return [sources.get(key, []) for key in self.champions["champion_key"].to_pylist()]


@dataclass
class EmbedState:
    """What the steps of a run share: its preset, data, folder and console, the model, the numbers so far."""

    preset: Embed
    data: EmbedData
    folder: Path
    console: Any
    metrics: dict[str, Any]
    evaluator: Any = None  # the validation TripletEvaluator (None without validation rows)
    log_history: list[dict[str, Any]] = field(default_factory=list)
    card_directions: Any = None  # (k, d) orthonormal rows: where the invert step put kit-card facts, if it did
    _model: Any = None

    @property
    def model(self):
        """The SentenceTransformer the steps train, built from the base when first needed."""
        if self._model is None:
            self._model = build_model(self.preset, self.data)
        return self._model

    def rebuild(self, source: Path, bidirectional: bool) -> None:
        """Build the model anew from the decoder weights at ``source`` (what the llm2vec step trained)."""
        self._model = build_model(self.preset, self.data, source, bidirectional)

    def log(self, entries: list[dict[str, Any]]) -> None:
        """Add a step's loss log, its steps counted on from the last one logged (one curve per run)."""
        offset = max((int(entry.get("step", 0)) for entry in self.log_history), default=0)
        self.log_history += [
            {**entry, "step": entry["step"] + offset} if "step" in entry else entry for entry in entries
        ]

    def measure_names(self, suffix: str) -> None:
        """Held-out name-neighbour rates, as ``<rate><suffix>`` metrics."""
        from training.probe import name_neighbour_rates

        rates = name_neighbour_rates(self.model, self.data.champions)
        self.metrics.update({f"{key}{suffix}": value for key, value in rates.items()})

    def measure(self, suffix: str) -> None:
        """Validation triplet accuracy and name-neighbour rates, as metrics ending ``suffix``."""
        if self.evaluator is not None:
            accuracy = self.evaluator(self.model)[self.evaluator.primary_metric]
            self.metrics[f"validation_accuracy{suffix}"] = round(float(accuracy), 4)
        self.measure_names(suffix)


def check_triplets(triplets: pa.Table, champions: pa.Table) -> None:
    """Every champion a triplet names exists, and no held-out champion is in a training triplet."""
    known = set(champions["champion_key"].to_pylist())
    heldout = {
        k
        for k, s in zip(champions["champion_key"].to_pylist(), champions["embedding_split"].to_pylist(), strict=True)
        if s == "heldout"
    }
    for column in ("anchor_champion", "positive_champion", "negative_champion"):
        values = triplets[column]
        missing = pc.invert(
            pc.or_kleene(pc.is_in(values, value_set=pa.array(sorted(known), pa.string())), pc.is_null(values))
        )
        bad = triplets.filter(missing)
        if bad.num_rows:
            names = sorted(set(bad[column].to_pylist()))
            raise TrainingDataError(
                f"main.triplets: {column} '{names[0]}' (triplet {bad['triplet_id'][0]}) is not in main.champions "
                f"({len(names)} unknown champion(s) in all): rebuild both tables with `riftlab build`"
            )
        leak = triplets.filter(
            pc.and_(
                pc.equal(triplets["split"], "train"), pc.is_in(values, value_set=pa.array(sorted(heldout), pa.string()))
            )
        )
        if leak.num_rows:
            raise TrainingDataError(
                f"training triplet {leak['triplet_id'][0]} names held-out champion '{leak[column][0]}' in {column}: "
                f"held-out champions must stay out of training triplets (check the held-out list and rebuild)"
            )


def cap_rows(table: pa.Table, cap: int, seed: int) -> pa.Table:
    """At most ``cap`` rows, drawn without replacement, keeping each kind's share."""
    if cap <= 0 or table.num_rows <= cap:
        return table
    rng = np.random.default_rng(seed)
    kinds = np.array(table["kind"].to_pylist())
    keep: list[int] = []
    for kind in sorted(set(kinds)):
        idx = np.flatnonzero(kinds == kind)
        share = max(1, round(cap * len(idx) / table.num_rows))
        keep.extend(rng.choice(idx, size=min(share, len(idx)), replace=False).tolist())
    return table.take(sorted(keep)[:cap] if len(keep) > cap else sorted(keep))


def masked_descriptions(
    champions: pa.Table, chunks: pa.Table, mask_terms: pa.Table, mask_token: str
) -> list[list[str]]:
    """Each champion's chunks (in ``champions`` order), the words naming it (main.champion_mask_terms) replaced
    by ``mask_token``."""
    from warehouse.sql_functions.text import mask_terms as mask

    terms = dict(zip(mask_terms["champion"].to_pylist(), mask_terms["mask_terms"].to_pylist(), strict=True))
    texts: dict[str, list[str]] = {}
    for champion, text in zip(chunks["champion"].to_pylist(), chunks["text"].to_pylist(), strict=True):
        if text and champion in terms:
            texts.setdefault(champion, []).append(mask(text, terms[champion], mask_token))
    return [texts.get(key, []) for key in champions["champion_key"].to_pylist()]


def corpus_pairs(
    champions: pa.Table, descriptions: list[list[str]], per_champion: int, scope: str, seed: int
) -> pa.Table:
    """(name, a chunk about the champion, a chunk about another champion), chunks masked (:func:`masked_descriptions`).

    Only corpus text is used: the negative is a chunk about any other champion drawn at random,
    so no position, class or subclass label reaches these rows, and the masking makes the pair
    teach what the text says rather than a name match.  ``scope`` 'train' pairs champions of
    embedding_split 'train' only; 'all' pairs every champion with its own corpus text (held-out
    names meet their pages, never their labels).
    """
    rng = np.random.default_rng(seed)
    rows = champions.to_pylist()
    described = [i for i, texts in enumerate(descriptions) if texts]
    anchors, positives, negatives = [], [], []
    for i, row in enumerate(rows):
        own = descriptions[i]
        if (row["embedding_split"] != "train" and scope != "all") or not own or len(described) < 2:
            continue
        for text in rng.choice(own, size=min(per_champion, len(own)), replace=False):
            other = described[rng.integers(len(described) - 1)]
            other = described[-1] if other == i else other  # any champion but this one, uniformly
            anchors.append(row["name"])
            positives.append(str(text))
            negatives.append(descriptions[other][rng.integers(len(descriptions[other]))])
    return pa.table({"anchor": anchors, "positive": positives, "negative": negatives}, schema=PAIR_SCHEMA)


def prepare(project: Project, settings: dict[str, Any], snapshot: Snapshot) -> EmbedData:
    """Resolve the base, check the steps suit it, read and check the rows (before any run row is written)."""
    preset = Embed.model_validate(settings)
    steps = [entry.step for entry in preset.steps]
    base_path = bases.resolve(preset.base, "embed", project.root)
    decoder = not bases.is_sentence_transformer(base_path)
    if decoder:
        from training.decoders import decoder_source

        source = decoder_source(base_path)
        if not (source / "config.json").is_file():
            raise bases.BaseModelError(
                f"{base_path} holds only a LoRA adapter: embed needs full weights; train it with --set merge=true"
            )
        if not bases.is_decoder(source):
            raise bases.BaseModelError(
                f"base model {base_path} is neither a sentence-transformers folder nor a decoder"
            )
    for step in steps:
        _check_base(step, decoder, base_path)
    pairing = preset.corpus_pairs_per_champion > 0
    reading = pairing or any(step.reads_corpus for step in steps)
    masking = pairing or any(step.reads_mask_terms for step in steps)
    con = project.connect(read_only=True)
    try:
        champions = snapshot.add("champions", read_champions(con))
        triplets = snapshot.add("triplets", read_triplets(con, preset.kinds))
        chunks = snapshot.add("corpus_chunks", read_chunks(con, CHUNK_COLUMNS)) if reading else None
        terms = snapshot.add("champion_mask_terms", read_mask_terms(con)) if masking else None
    finally:
        con.close()
    check_triplets(triplets, champions)
    mask_token = project.config["vars"]["mask_token"]
    train = split_rows(triplets, "train")
    require_rows(
        train,
        "main.triplets (split 'train', kinds " + ", ".join(preset.kinds) + ")",
        "run `riftlab build` after crawling champions; check the triplet rules",
    )
    train = cap_rows(train, preset.max_train_triplets, preset.seed).select(COLUMNS)
    if pairing:
        extra = corpus_pairs(
            champions,
            masked_descriptions(champions, split_rows(chunks, "train"), terms, mask_token),
            preset.corpus_pairs_per_champion,
            preset.corpus_pairs_scope,
            preset.seed,
        )
        train = pa.concat_tables([train, extra])
    validation = split_rows(triplets, "validation")
    validation = cap_rows(validation, preset.max_validation_triplets, preset.seed).select(COLUMNS)
    data = EmbedData(base_path, decoder, train, validation, champions, chunks, terms, mask_token)
    for step in steps:
        if step.reads_corpus:
            require_rows(
                data.corpus(step.corpus_split),
                f"main.corpus_chunks (split '{step.corpus_split}')",
                f"run `riftlab build`; the {step.name} step reads the corpus",
            )
    return data


def _check_base(step: Step, decoder: bool, base_path: Path) -> None:
    """A step that needs an encoder refuses a decoder base, and the other way round."""
    if step.needs == "encoder" and decoder:
        raise PresetError(
            f"embed: step '{step.name}' works on encoder bases; {base_path} is a decoder: drop '{step.name}' "
            "(the llm2vec step makes a decoder an encoder)"
        )
    if step.needs == "decoder" and not decoder:
        raise PresetError(
            f"embed: step '{step.name}' turns a decoder into an encoder; {base_path} is already a sentence "
            "encoder: drop the step, or pass a decoder with --base"
        )


def build_model(preset: Embed, data: EmbedData, source: Path | None = None, bidirectional: bool = False):
    """The SentenceTransformer to train; ``source`` replaces a decoder base's weights (the llm2vec output)."""
    if not data.decoder:
        model = bases.load_sentence_transformer(data.base_path)
    else:
        from training.decoders import decoder_source

        source = source or decoder_source(data.base_path)
        model = bases.wrap_decoder(source, preset.pooling, preset.max_seq_length, bidirectional)
    model.max_seq_length = preset.max_seq_length
    return model


def fit(settings: dict[str, Any], data: EmbedData, folder: Path, console) -> FitResult:
    """Apply the preset's steps in order; the ``*_before`` metrics follow the steps that make the encoder."""
    preset = Embed.model_validate(settings)
    state = EmbedState(
        preset,
        data,
        folder,
        console,
        {"train_rows": data.train.num_rows, "validation_rows": data.validation.num_rows},
        validation_evaluator(data.validation),
    )
    steps = [entry.step for entry in preset.steps]
    first_teaching = next((i for i, step in enumerate(steps) if not step.makes_encoder), len(steps))
    for step in steps[:first_teaching]:
        step.apply(state)
    state.measure("_before")
    for step in steps[first_teaching:]:
        step.apply(state)
    state.measure("")
    state.model.save(str(folder))
    return FitResult(state.metrics, state.log_history)


def validation_evaluator(validation: pa.Table):
    """The TripletEvaluator of the validation rows, or None without any."""
    if not validation.num_rows:
        return None
    from sentence_transformers.sentence_transformer.evaluation import TripletEvaluator

    return TripletEvaluator(
        anchors=validation["anchor"].to_pylist(),
        positives=validation["positive"].to_pylist(),
        negatives=validation["negative"].to_pylist(),
        name="validation",
        batch_size=64,
        write_csv=False,
    )
