"""``riftlab export``: a merged decoder quantised weight-only with torchao, saved so transformers loads it back.

The source is a training run's ``merged/`` model or a decoder folder.  ``int8``: torchao's
``Int8WeightOnlyConfig`` on every linear layer, stored as safetensors that
``AutoModelForCausalLM.from_pretrained`` loads back on a CPU; what torchao leaves unquantised (the
embedding matrix, tied to the output layer in SmolLM2: a fifth of its weights, which transformers'
``include_input_output_embeddings`` leaves in full precision when tied) and the norms are stored in
bfloat16.  ``int4``: ``Int4WeightOnlyConfig`` (group 128) in the ``tile_packed_to_4d`` layout over
bfloat16, which needs CUDA: the installed torchao (0.18) dropped its CPU int4 layout (``opaque``),
and its other layouts need CUDA, XPU or the mslk kernels,
so on a CPU ``int4`` is refused up front.  The export is a run of stage ``export`` in
``meta.training_runs`` (its data snapshot is the source run's), in a folder that is complete or
absent; its metrics hold the weights' size on disk and the validation perplexity of the source and
the export on the same chunks (``main.corpus_chunks``, split validation).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training import bases, registry
from training.data import Snapshot, read_chunks, split_rows
from training.decoders import check_decoder
from training.errors import BaseModelError, TrainingError
from warehouse.db import utcnow
from warehouse.project import Project

METHODS = ("int8", "int4")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")


@dataclass
class ExportResult:
    run_id: str
    output_path: Path
    source: Path
    source_run_id: str | None
    snapshot_id: str
    metrics: dict[str, Any]


def source_of(project: Project, reference: str) -> tuple[Path, dict[str, Any] | None]:
    """The decoder folder ``reference`` names (a finished run id, a run folder, a checkpoint) and its run row."""
    for row in registry.list_runs(project, limit=100000):
        if row["run_id"] == reference or (row["output_path"] and str(row["output_path"]) == reference):
            if row["status"] != "finished":
                raise BaseModelError(f"run {row['run_id']} is {row['status']}, not finished: export a finished run")
            return check_decoder(Path(row["output_path"]), "export"), row
    try:
        folder = bases.resolve(reference, "export", project.root)
    except BaseModelError:
        raise BaseModelError(
            f"export {reference}: not a run id in meta.training_runs nor a model folder; "
            "`riftlab runs --stage dpo` lists the runs to export"
        ) from None
    row = next((r for r in registry.list_runs(project, limit=100000) if r["output_path"] == str(folder)), None)
    return check_decoder(folder, "export"), row


def weights_bytes(folder: Path) -> int:
    """Bytes of the weight files in ``folder`` (safetensors; the quantised export stores scales beside int8 data)."""
    return sum(p.stat().st_size for p in folder.glob("*.safetensors"))


def quantisation_config(method: str):
    from torchao.quantization import Int4WeightOnlyConfig, Int8WeightOnlyConfig
    from transformers import TorchAoConfig

    if method == "int8":
        return TorchAoConfig(Int8WeightOnlyConfig())
    return TorchAoConfig(Int4WeightOnlyConfig(group_size=128, int4_packing_format="tile_packed_to_4d"))


def check_method(method: str) -> None:
    """Refuse an unknown method, and int4 without CUDA (before any model is loaded)."""
    import torch

    if method not in METHODS:
        raise TrainingError(f"export method '{method}' unknown; use one of {', '.join(METHODS)}")
    if method == "int4" and not torch.cuda.is_available():
        raise TrainingError(
            "export --method int4 needs CUDA: torchao's int4 weight-only layouts here run on CUDA (tile_packed_to_4d), "
            "XPU or the mslk kernels, not on a CPU; use --method int8 on a CPU"
        )


def quantise(source: Path, target: Path, method: str) -> None:
    """Load ``source`` quantised with ``method`` and save it (with its tokenizer) into ``target``."""
    import torch
    from transformers import AutoModelForCausalLM

    from training import trust
    from training.decoders import load_tokenizer

    check_method(method)
    trust.check_folder(source)
    if not (source / "config.json").is_file():
        raise BaseModelError(f"{source} holds an adapter only: train with merge=true, or export its run folder")
    model = AutoModelForCausalLM.from_pretrained(
        str(source),
        quantization_config=quantisation_config(method),
        dtype=torch.bfloat16,
        **trust.WEIGHTS,
    )
    model.save_pretrained(str(target))
    load_tokenizer(source).save_pretrained(str(target))


def load_quantised(folder: Path):
    from transformers import AutoModelForCausalLM

    from training import trust

    trust.check_folder(folder)
    return AutoModelForCausalLM.from_pretrained(str(folder), **trust.WEIGHTS)


def perplexity(model, tokenizer, texts: list[str], max_length: int) -> float:
    """exp of the mean token loss over ``texts`` (each truncated to ``max_length`` tokens)."""
    import torch

    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_length)["input_ids"]
            if ids.shape[1] < 2:
                continue
            loss = model(input_ids=ids, labels=ids).loss.float().item()
            total += loss * (ids.shape[1] - 1)
            count += ids.shape[1] - 1
    if count == 0:
        raise TrainingError("no validation chunk has two tokens: nothing to measure perplexity on")
    return math.exp(min(total / count, 50))


def validation_texts(project: Project, limit: int, snapshot: Snapshot) -> list[str]:
    con = project.connect(read_only=True)
    try:
        chunks = snapshot.add("corpus_chunks", read_chunks(con, "chunk_id, text, split"))
    finally:
        con.close()
    texts = split_rows(chunks, "validation").column("text").to_pylist()
    return texts[:limit] if limit else texts


def export(
    project: Project, reference: str, method: str = "int8", max_chunks: int = 64, max_length: int = 256, console=None
) -> ExportResult:
    """Quantise ``reference`` with ``method`` into ``runs/<export run>``, measured against its source, registered."""
    from training.card import write_model_card
    from training.decoders import load_causal_lm, load_tokenizer
    from training.runner import _configure_torch, output_root

    say = console.print if console is not None else print
    started = time.perf_counter()
    check_method(method)
    source, source_run = source_of(project, reference)
    snapshot = Snapshot()
    texts = validation_texts(project, max_chunks, snapshot)
    _configure_torch(project)
    root = output_root(project)
    run_id = registry.new_run_id("export")
    final = root / run_id
    settings = {"source": reference, "method": method, "max_chunks": max_chunks, "max_length": max_length}
    record = registry.RunRecord(
        run_id=run_id,
        stage="export",
        preset=method,
        base_model=str(source_run["output_path"]) if source_run else str(source),
        config=settings,
        # the export trained on nothing: its data is its source run's
        corpus_snapshot_id=source_run["corpus_snapshot_id"] if source_run else snapshot.id,
        data_rows=snapshot.rows,
        output_path=final,
        git_commit=registry.git_commit(project.root),
        started_at=utcnow(),
    )
    registry.start(project, record)
    workdir = root / f".{run_id}.partial"
    workdir.mkdir(parents=True, exist_ok=False)
    registry.write_owner(workdir, run_id)
    say(f"[bold]{run_id}[/bold]: {method} export of [cyan]{source}[/cyan]")
    try:
        quantise(source, workdir, method)
        tokenizer = load_tokenizer(source)
        before = perplexity(load_causal_lm(source), tokenizer, texts, max_length)
        after = perplexity(load_quantised(workdir), tokenizer, texts, max_length)
        source_bytes, export_bytes = weights_bytes(source), weights_bytes(workdir)
        metrics = {
            "method": method,
            "source_run_id": source_run["run_id"] if source_run else None,
            "source_weights_bytes": source_bytes,
            "weights_bytes": export_bytes,
            "size_ratio": round(source_bytes / export_bytes, 3),
            "validation_chunks": len(texts),
            "source_eval_perplexity": round(before, 3),
            "eval_perplexity": round(after, 3),
            "export_seconds": round(time.perf_counter() - started, 1),
        }
        (workdir / registry.OWNER_FILE).unlink()
        write_model_card(workdir, record, metrics, None, relation="quantized")
        (workdir / "riftlab_run.json").write_text(
            json.dumps(
                {"run_id": run_id, "stage": "export", "snapshot_id": record.corpus_snapshot_id, "metrics": metrics}
            ),
            encoding="utf-8",
        )
        registry.write_pending(workdir, run_id, "finished", metrics)
        workdir.rename(final)
    except BaseException as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        message = (
            "interrupted"
            if isinstance(exc, KeyboardInterrupt)
            else (str(exc).splitlines() or [type(exc).__name__])[0][:500]
        )
        workdir.mkdir(parents=True, exist_ok=True)
        if registry.settle(project, run_id, registry.write_pending(workdir, run_id, "failed", error=message), say=say):
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    registry.settle(project, run_id, final / registry.PENDING_CLOSE_FILE, say=say)
    source_run_id = source_run["run_id"] if source_run else None
    return ExportResult(run_id, final, source, source_run_id, record.corpus_snapshot_id, metrics)
