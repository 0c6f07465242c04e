"""One training run from start to finish: preset -> data -> registry row -> fit -> checkpoint.

The checkpoint is built in a hidden folder beside its final place and renamed only once the
model, loss curves and model card are written, so a folder under ``runs/`` is always complete;
any error (or Ctrl-C) deletes it and closes the run ``failed`` (:mod:`training.registry`).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from training import distributed, registry
from training.card import write_model_card
from training.data import Snapshot
from training.errors import TrainingError
from training.plots import LOSS_CURVES, save_loss_curves
from training.presets import load_preset
from warehouse.db import utcnow
from warehouse.errors import RiftlabError
from warehouse.project import Project

#: stage name -> module holding ``prepare`` and ``fit``
STAGE_MODULES = {"embed": "training.embed", "clm": "training.clm", "sft": "training.sft", "dpo": "training.dpo"}


@dataclass
class FitResult:
    metrics: dict[str, Any]
    log_history: list[dict[str, Any]]


class StageModule(Protocol):
    def prepare(self, project: Project, settings: dict[str, Any], snapshot: Snapshot) -> Any: ...

    def fit(self, settings: dict[str, Any], prepared: Any, folder: Path, console) -> FitResult: ...


@dataclass
class RunResult:
    run_id: str
    stage: str
    output_path: Path
    metrics: dict[str, Any]
    snapshot_id: str
    seconds: float


def output_root(project: Project) -> Path:
    return (project.root / project.config["training"]["output_dir"]).resolve()


def _configure_torch(project: Project) -> None:
    threads = int(project.config["training"].get("num_threads") or 0)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def _out_of_memory(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def _close_failed(project: Project, workdir: Path, run_id: str, message: str, console) -> None:
    """Close the run as failed; its (emptied) partial folder keeps the record while the warehouse stays locked."""
    workdir.mkdir(parents=True, exist_ok=True)
    if registry.settle(
        project, run_id, registry.write_pending(workdir, run_id, "failed", error=message), say=console.print
    ):
        shutil.rmtree(workdir, ignore_errors=True)


def train(
    project: Project,
    stage: str,
    preset: str | Path | None = None,
    base: str | None = None,
    overrides: tuple[str, ...] | list[str] = (),
    console=None,
) -> RunResult:
    """Run ``stage`` with ``preset`` (default: the one riftlab.yaml names) and register it."""
    if console is None:
        from rich.console import Console

        console = Console()
    started = time.perf_counter()
    default_preset = project.config["training"]["presets"].get(stage)
    settings, preset_name = load_preset(stage, preset, overrides, project.root, default_preset)
    if base:
        settings["base"] = base
    _configure_torch(project)
    module: StageModule = importlib.import_module(STAGE_MODULES[stage])  # type: ignore[assignment]

    distributed.init()
    snapshot = Snapshot()
    # reads the warehouse and checks inputs; ranks read in turn, then rank 0 alone writes
    prepared = distributed.run_in_turn(module.prepare, project, settings, snapshot)
    root = output_root(project)
    run_id = distributed.broadcast(registry.new_run_id(stage))
    final = root / run_id
    record = registry.RunRecord(
        run_id=run_id,
        stage=stage,
        preset=preset_name,
        base_model=str(settings.get("base")),
        config=settings,
        corpus_snapshot_id=snapshot.id,
        data_rows=snapshot.rows,
        output_path=final,
        git_commit=registry.git_commit(project.root),
        started_at=utcnow(),
    )
    workdir = root / f".{run_id}.partial"
    main = distributed.is_main()
    if main:
        for closed in registry.close_pending(project, root):
            console.print(f"[yellow]{closed}: ended while the warehouse was locked; its row is now closed[/yellow]")
        for stale in registry.reap_abandoned(project, root):
            console.print(f"[yellow]{stale}: its process is gone; closed as failed[/yellow]")
        registry.start(project, record)
        console.print(
            f"[bold]{run_id}[/bold]: {stage} from [cyan]{record.base_model}[/cyan], preset {preset_name}, "
            f"data snapshot {record.corpus_snapshot_id} ({', '.join(f'{k} {v}' for k, v in record.data_rows.items())})"
        )
        workdir.mkdir(parents=True, exist_ok=False)
        registry.write_owner(workdir, run_id)
    distributed.barrier()
    try:
        result = module.fit(settings, prepared, workdir, console)
        distributed.barrier()
        if not main:
            return RunResult(
                run_id, stage, final, dict(result.metrics), record.corpus_snapshot_id, time.perf_counter() - started
            )
        metrics = dict(result.metrics)
        metrics["train_seconds"] = round(time.perf_counter() - started, 1)
        plot = save_loss_curves(result.log_history, workdir / LOSS_CURVES, f"{run_id} ({stage})")
        (workdir / "log_history.json").write_text(
            json.dumps(result.log_history, indent=1, default=str), encoding="utf-8"
        )
        write_model_card(workdir, record, metrics, [plot, *sorted(p for p in workdir.glob("*.png") if p != plot)])
        (workdir / registry.OWNER_FILE).unlink()
        (workdir / "riftlab_run.json").write_text(
            json.dumps(
                {"run_id": run_id, "stage": stage, "snapshot_id": record.corpus_snapshot_id, "metrics": metrics},
                indent=2,
                default=str,
            ),
            encoding="utf-8",
        )
        registry.write_pending(workdir, run_id, "finished", metrics)
        workdir.rename(final)
    except BaseException as exc:
        if not main:
            raise
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            message = "interrupted"
        elif _out_of_memory(exc):
            message = (
                f"out of memory ({str(exc).splitlines()[0][:200]}): lower batch_size or max_seq_length, "
                "or set gradient_checkpointing=true"
            )
        else:
            message = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
        _close_failed(project, workdir, run_id, message, console)
        if _out_of_memory(exc) and not isinstance(exc, RiftlabError):
            raise TrainingError(f"run {run_id} ran out of memory: {message}") from exc
        raise
    registry.settle(project, run_id, final / registry.PENDING_CLOSE_FILE, say=console.print)
    return RunResult(run_id, stage, final, metrics, record.corpus_snapshot_id, time.perf_counter() - started)
