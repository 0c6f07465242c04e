"""``embed``: turn a model into a sentence embedder and train it on ``main.triplets``.

Two kinds of base:

* an encoder that is already a sentence-transformer (``minilm``, the offline
  default, or any sentence-transformers folder), trained as is;
* a decoder (a merged ``clm``/``sft`` output), wrapped with a sentence-transformers
  ``Transformer`` + ``Pooling`` (last-token or mean), optionally with a LoRA adapter
  and optionally first turned into a bidirectional encoder (``adaptation:
  llm2vec``: bidirectional attention, masked next-token prediction, unsupervised
  SimCSE on the corpus; :mod:`training.llm2vec`).

With ``adaptation: vocabulary`` (encoders), every champion name first gets its
own token whose embedding is learned from the corpus text around the name
(:mod:`training.vocabulary`); with ``adaptation: inversion`` (the default preset)
that token is fitted so the bare name embeds where the champion's masked corpus
chunks do (:mod:`training.inversion`).  With ``freeze_token_embeddings`` the
triplets then train only the layers above the tokens.  With ``label_head`` a linear
map fitted on the triplets over the frozen embedding is appended beside it
(:mod:`training.head`); ``epochs: 0`` leaves the encoder untrained and fits only that.

Champion triplets (name, name sharing a role, name sharing none) teach the
geometry; text triplets (name, a chunk about that champion, a chunk about a
dissimilar one) tie names to what the corpus says about them, which is what
carries over to champions never seen in a triplet.  Optionally more
(name, chunk about it with its name masked) rows are drawn straight from the
train split of ``corpus_chunks`` (``corpus_pairs_per_champion``), with random
rather than label-chosen negatives, for training champions only or, with
``corpus_pairs_scope: all``, for every champion (no label of theirs is used).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from training import bases, trust
from training.data import (
    Snapshot,
    read_champions,
    read_chunks,
    read_mask_terms,
    read_triplets,
    require_rows,
    split_rows,
)
from training.errors import PresetError, TrainingDataError
from training.runner import FitResult
from warehouse.project import Project

ENCODER_ADAPTATIONS = ("vocabulary", "inversion")
COLUMNS = ["anchor", "positive", "negative"]
PAIR_SCHEMA = pa.schema([(column, pa.string()) for column in COLUMNS])


@dataclass
class EmbedData:
    base_path: Path
    decoder: bool
    train: pa.Table  # anchor, positive, negative
    validation: pa.Table
    champions: pa.Table
    adaptation_texts: list[str] | None = None  # corpus text read by the vocabulary or llm2vec adaptation
    descriptions: list[list[str]] | None = None  # per champion, its masked chunks (name inversion)


def check_triplets(triplets: pa.Table, champions: pa.Table) -> None:
    """Every champion a triplet names exists, and no held-out champion is in a training triplet."""
    known = set(champions["champion_key"].to_pylist())
    heldout = {
        k
        for k, s in zip(champions["champion_key"].to_pylist(), champions["embedding_split"].to_pylist())
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
    """Each champion's chunks (in ``champions`` order), the words naming it (main.champion_mask_terms) replaced by ``mask_token``."""
    from warehouse.sql_functions.text import mask_terms as mask

    terms = dict(zip(mask_terms["champion"].to_pylist(), mask_terms["mask_terms"].to_pylist()))
    texts: dict[str, list[str]] = {}
    for champion, text in zip(chunks["champion"].to_pylist(), chunks["text"].to_pylist()):
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
    base_path = bases.resolve(settings["base"], "embed", project.root)
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
        if settings["adaptation"] in ENCODER_ADAPTATIONS:
            raise PresetError(
                f"embed: adaptation '{settings['adaptation']}' works on encoder bases; {base_path} is a decoder: "
                "set adaptation=llm2vec (or none)"
            )
    elif settings["adaptation"] == "llm2vec":
        raise PresetError(
            f"embed: adaptation 'llm2vec' turns a decoder into an encoder; {base_path} is already a sentence "
            f"encoder: set adaptation to one of {', '.join(ENCODER_ADAPTATIONS)} (or none), or pass a decoder with --base"
        )
    adapting = settings["adaptation"] != "none"
    con = project.connect(read_only=True)
    try:
        champions = snapshot.add("champions", read_champions(con))
        triplets = snapshot.add("triplets", read_triplets(con, settings["kinds"]))
        pairing = settings["corpus_pairs_per_champion"] > 0
        inverting = settings["adaptation"] == "inversion"
        chunks = snapshot.add("corpus_chunks", read_chunks(con)) if pairing or adapting else None
        terms = snapshot.add("champion_mask_terms", read_mask_terms(con)) if pairing or inverting else None
    finally:
        con.close()
    check_triplets(triplets, champions)
    mask_token = project.config["vars"]["mask_token"]
    train = split_rows(triplets, "train")
    require_rows(
        train,
        "main.triplets (split 'train', kinds " + ", ".join(settings["kinds"]) + ")",
        "run `riftlab build` after crawling champions; check the triplet rules",
    )
    train = cap_rows(train, int(settings["max_train_triplets"]), int(settings["seed"])).select(COLUMNS)
    if pairing:
        extra = corpus_pairs(
            champions,
            masked_descriptions(champions, split_rows(chunks, "train"), terms, mask_token),
            int(settings["corpus_pairs_per_champion"]),
            settings["corpus_pairs_scope"],
            int(settings["seed"]),
        )
        train = pa.concat_tables([train, extra])
    validation = split_rows(triplets, "validation")
    validation = cap_rows(validation, int(settings["max_validation_triplets"]), int(settings["seed"])).select(COLUMNS)
    adaptation_texts = descriptions = None
    if adapting:
        scope = chunks if settings["adapt_corpus_split"] == "all" else split_rows(chunks, "train")
        require_rows(
            scope,
            f"main.corpus_chunks (split '{settings['adapt_corpus_split']}')",
            f"run `riftlab build`; the {settings['adaptation']} adaptation reads the corpus",
        )
        if inverting:
            descriptions = masked_descriptions(champions, scope, terms, mask_token)
        else:
            adaptation_texts = [text for text in scope["text"].to_pylist() if text]
    return EmbedData(base_path, decoder, train, validation, champions, adaptation_texts, descriptions)


def build_model(settings: dict[str, Any], data: EmbedData, source: Path | None = None):
    """The SentenceTransformer to train; ``source`` replaces a decoder base's weights (the MNTP output)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    if not data.decoder:
        model = bases.load_sentence_transformer(data.base_path)
    else:
        from training.decoders import decoder_source
        from training.llm2vec import BidirectionalTransformer

        module = BidirectionalTransformer if settings["adaptation"] == "llm2vec" else Transformer
        source = source or decoder_source(data.base_path)
        trust.check_folder(source)
        transformer = module(
            str(source), max_seq_length=int(settings["max_seq_length"]), model_kwargs=dict(trust.WEIGHTS)
        )
        tokenizer = transformer.tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode=settings["pooling"])
        model = SentenceTransformer(modules=[transformer, pooling])
    model.max_seq_length = int(settings["max_seq_length"])
    if settings["use_lora"]:
        from peft import inject_adapter_in_model

        from training.lora import check_targets, lora_config

        check_targets(model[0].auto_model, settings)
        inject_adapter_in_model(lora_config(settings, "FEATURE_EXTRACTION"), model[0].auto_model)
    return model


def build_loss(settings: dict[str, Any], model):
    from sentence_transformers.sentence_transformer import losses

    if settings["loss"] == "triplet":
        return losses.TripletLoss(model, triplet_margin=float(settings["triplet_margin"]))
    if settings["loss"] == "cached_mnrl":
        return losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=int(settings["cached_mini_batch_size"]))
    return losses.MultipleNegativesRankingLoss(model)


def adapt(model, settings: dict[str, Any], data: EmbedData, console, metrics: dict[str, Any]) -> None:
    """Champion-name tokens learned from the corpus (training/vocabulary.py), before any triplet."""
    from tqdm.auto import tqdm

    from training.probe import name_neighbour_rates
    from training.vocabulary import adapt_vocabulary

    names = data.champions["name"].to_pylist()
    stats = adapt_vocabulary(
        model,
        names,
        data.adaptation_texts or [],
        settings,
        progress=lambda batches: tqdm(batches, desc="adapting champion-name tokens", unit="batch"),
    )
    metrics.update(stats.metrics())
    metrics.update({f"{k}_adapted": v for k, v in name_neighbour_rates(model, data.champions).items()})
    missing = stats.unadapted_names
    console.print(
        f"vocabulary adaptation: {stats.names} champion-name tokens ({stats.added_tokens} new) from {stats.mentions} mentions "
        f"in {len(data.adaptation_texts or [])} chunks in {stats.seconds:.0f}s; masked-word head top-1 {stats.head_top1:.3f}"
        + (
            f"; {len(missing)} mentioned under {settings['adapt_min_mentions']} times kept their word pieces ({', '.join(missing[:5])}{'...' if len(missing) > 5 else ''})"
            if missing
            else ""
        )
    )


def invert(model, settings: dict[str, Any], data: EmbedData, console, metrics: dict[str, Any]) -> None:
    """Champion-name tokens fitted to the embedding of their masked descriptions (training/inversion.py)."""
    from tqdm.auto import tqdm

    from training.inversion import invert_names
    from training.probe import name_neighbour_rates

    stats = invert_names(
        model,
        data.champions["name"].to_pylist(),
        data.descriptions or [],
        settings,
        progress=lambda steps: tqdm(steps, desc="inverting champion names", unit="step"),
    )
    metrics.update(stats.metrics())
    metrics.update({f"{k}_inverted": v for k, v in name_neighbour_rates(model, data.champions).items()})
    console.print(
        f"name inversion: {stats.inverted} of {stats.names} names fitted to their descriptions in {stats.seconds:.0f}s; "
        f"cosine of name and descriptions {stats.cosine_before:.3f} -> {stats.cosine_after:.3f}"
    )


def label_head(
    model, settings: dict[str, Any], data: EmbedData, console, metrics: dict[str, Any], after_step: int
) -> list[dict[str, Any]]:
    """A linear map fitted on the training triplets, appended beside the embedding (training/head.py)."""
    from tqdm.auto import tqdm

    from training.head import fit_label_head

    stats, log = fit_label_head(
        model, data.train, settings, progress=lambda steps: tqdm(steps, desc="fitting the label head", unit="step")
    )
    metrics.update(stats.metrics())
    console.print(
        f"label head: {stats.steps} steps on {stats.rows} triplets ({stats.texts} texts embedded once) in {stats.seconds:.0f}s; "
        f"ranking loss {stats.loss_before:.3f} -> {stats.loss_after:.3f}"
    )
    return [{**entry, "step": entry["step"] + after_step} for entry in log]


def adapt_decoder(settings: dict[str, Any], data: EmbedData, folder: Path, console, metrics: dict[str, Any]) -> Path:
    """LLM2Vec's masked next-token prediction on the corpus; returns the folder of the merged decoder."""
    import time

    from tqdm.auto import tqdm

    from training.decoders import decoder_source
    from training.llm2vec import mntp

    started = time.perf_counter()
    folder_texts = data.adaptation_texts or []
    stats = mntp(
        decoder_source(data.base_path),
        folder_texts,
        settings,
        folder,
        progress=lambda batches, total, what: tqdm(batches, total=total, desc=f"LLM2Vec {what}", unit="batch"),
    )
    metrics.update(
        {
            "llm2vec_bidirectional_layers": stats["layers"],
            "llm2vec_mntp_steps": stats["steps"],
            "llm2vec_mntp_loss_before": round(stats["loss_before"], 4),
            "llm2vec_mntp_loss_after": round(stats["loss_after"], 4),
            "llm2vec_mntp_seconds": round(time.perf_counter() - started, 1),
        }
    )
    console.print(
        f"LLM2Vec: {stats['layers']} attention layers made bidirectional; MNTP {stats['steps']} steps on "
        f"{len(folder_texts)} chunks, loss on a fixed batch {stats['loss_before']:.3f} -> {stats['loss_after']:.3f}"
    )
    return folder


def fit(settings: dict[str, Any], data: EmbedData, folder: Path, console) -> FitResult:
    import shutil

    from sentence_transformers.sentence_transformer.evaluation import TripletEvaluator

    from training.probe import name_neighbour_rates

    metrics: dict[str, Any] = {"train_rows": data.train.num_rows, "validation_rows": data.validation.num_rows}
    llm2vec = settings["adaptation"] == "llm2vec"
    mntp_folder = adapt_decoder(settings, data, folder / "llm2vec_mntp", console, metrics) if llm2vec else None
    model = build_model(settings, data, mntp_folder)
    if mntp_folder is not None:
        from training.llm2vec import simcse

        shutil.rmtree(mntp_folder)  # its weights are in the model now; the checkpoint saves them again
        metrics["llm2vec_simcse_loss"] = round(
            simcse(model, data.adaptation_texts or [], settings, folder / "simcse"), 4
        )
    evaluator = None
    if data.validation.num_rows:
        v = data.validation
        evaluator = TripletEvaluator(
            anchors=v["anchor"].to_pylist(),
            positives=v["positive"].to_pylist(),
            negatives=v["negative"].to_pylist(),
            name="validation",
            batch_size=64,
            write_csv=False,
        )
        metrics["validation_accuracy_before"] = round(float(evaluator(model)[evaluator.primary_metric]), 4)
    metrics.update({f"{k}_before": v for k, v in name_neighbour_rates(model, data.champions).items()})
    if settings["adaptation"] == "vocabulary":
        adapt(model, settings, data, console, metrics)
    elif settings["adaptation"] == "inversion" and settings["invert_phase"] == "before":
        invert(model, settings, data, console, metrics)
    if settings["freeze_token_embeddings"]:  # after the adaptation, which replaces the embedding matrix
        model[0].auto_model.get_input_embeddings().weight.requires_grad_(False)

    log_history: list[dict[str, Any]] = []
    if float(settings["epochs"]) > 0:
        log_history = train_triplets(model, settings, data, folder, evaluator, metrics)
    if settings["adaptation"] == "inversion" and settings["invert_phase"] == "after":
        invert(
            model, settings, data, console, metrics
        )  # names fitted to their descriptions as the trained model reads them
    if settings["label_head"]:
        after_step = max((int(entry.get("step", 0)) for entry in log_history), default=0)
        log_history += label_head(model, settings, data, console, metrics, after_step)
    if evaluator is not None:
        metrics["validation_accuracy"] = round(float(evaluator(model)[evaluator.primary_metric]), 4)
    metrics.update(name_neighbour_rates(model, data.champions))
    if settings[
        "use_lora"
    ]:  # full weights: an adapter would point at a base that may move (or, for llm2vec, was temporary)
        from training.lora import merge_adapters

        metrics["merged_lora_layers"] = merge_adapters(model[0].auto_model)
    model.save(str(folder))
    return FitResult(metrics, log_history)


def train_triplets(
    model, settings: dict[str, Any], data: EmbedData, folder: Path, evaluator, metrics: dict[str, Any]
) -> list[dict[str, Any]]:
    """The sentence-transformers trainer on the triplets; returns its log history."""
    import shutil

    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers

    train_dataset = Dataset(data.train).shuffle(seed=int(settings["seed"]))
    eval_dataset = (
        Dataset(data.validation.slice(0, min(data.validation.num_rows, 128))) if evaluator is not None else None
    )
    batch_size = int(settings["batch_size"])
    steps = max(1, int(np.ceil(data.train.num_rows / batch_size) * float(settings["epochs"])))
    eval_steps = int(settings["eval_steps"]) or max(1, steps // 2)
    in_batch_negatives = settings["loss"] in ("mnrl", "cached_mnrl")
    args = SentenceTransformerTrainingArguments(
        output_dir=str(folder / "trainer"),
        num_train_epochs=float(settings["epochs"]),
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        learning_rate=float(settings["learning_rate"]),
        warmup_steps=float(settings["warmup_ratio"]),  # transformers 5: a float below 1 is a ratio
        weight_decay=float(settings["weight_decay"]),
        batch_sampler=BatchSamplers.NO_DUPLICATES if in_batch_negatives else BatchSamplers.BATCH_SAMPLER,
        eval_strategy="steps" if evaluator else "no",
        eval_steps=eval_steps,
        logging_steps=int(settings["logging_steps"]),
        save_strategy="no",
        report_to="none",
        seed=int(settings["seed"]),
        dataloader_pin_memory=False,
        disable_tqdm=False,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        loss=build_loss(settings, model),
        evaluator=evaluator,
    )
    output = trainer.train()
    metrics["train_loss"] = round(float(output.training_loss), 4)
    if evaluator is not None:
        final_eval = trainer.evaluate()
        if "eval_loss" in final_eval:
            metrics["eval_loss"] = round(float(final_eval["eval_loss"]), 4)
    shutil.rmtree(folder / "trainer", ignore_errors=True)
    return list(trainer.state.log_history)
