"""Run models on the warehouse tasks with mteb and store the scores.

The warehouse is opened only to read the task rows and, at the end, to write the scores, so a
long evaluation does not hold its write lock.  A (model, task) whose every split is already
scored on the same data snapshot is skipped unless ``force``.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evaluation import definitions, models
from evaluation.definitions import TaskData
from evaluation.errors import EvaluationError
from evaluation.results import Score, existing_splits, store
from warehouse.project import Project


@dataclass
class EvalSummary:
    models: list[models.ModelRef]
    tasks: list[str]
    evaluated: list[tuple[str, str]] = field(default_factory=list)  # (model, task)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    rows_written: int = 0
    empty_splits: list[tuple[str, str]] = field(default_factory=list)  # (task, split)

    def line(self) -> str:
        names = ", ".join(m.label for m in self.models)
        text = (
            f"{len(self.evaluated)} evaluation(s) run, {len(self.skipped)} already done, "
            f"on {len(self.tasks)} task(s) for {names}"
        )
        if self.empty_splits:
            text += "; empty splits skipped: " + ", ".join(f"{t}/{s}" for t, s in self.empty_splits)
        return text


def results_dir(project: Project) -> Path:
    return (project.root / project.config["evaluation"]["results_dir"]).resolve()


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()
    for name in ("mteb", "datasets", "sentence_transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


def prepare(project: Project, references: list[str], task_names: list[str] | tuple[str, ...]):
    """Resolve models and read every task's rows (fails fast, before any model loads).

    Only the tasks of the models' families are read: embedding tasks for embedders, the language-model
    tasks for ``smollm2`` and ``clm``/``sft`` runs.  A task named with ``--tasks`` that no model can run fails.
    """
    config = project.config["evaluation"]
    named = list(task_names) or config["tasks"]
    specs = definitions.select(definitions.load_specs(definitions.tasks_dir(config, project.root)), named)
    mask_token = project.config["vars"]["mask_token"]
    specs = [spec if spec.mask_token else replace(spec, mask_token=mask_token) for spec in specs]
    con = project.connect()
    try:
        refs = [models.resolve(reference, con, project.root) for reference in references]
        families = {ref.family for ref in refs}
        if task_names:
            for spec in specs:
                if spec.family not in families:
                    kind = "a language-model" if spec.family == "lm" else "an embedding"
                    raise EvaluationError(
                        f"task {spec.name} is {kind} task and no --model is one: "
                        + ("name smollm2 or a clm/sft run" if spec.family == "lm" else "name minilm or an embed run")
                    )
        specs = [spec for spec in specs if spec.family in families]
        datas = [definitions.load_task_data(con, spec) for spec in specs]
    finally:
        con.close()
    if len({r.model for r in refs}) != len(refs):
        raise EvaluationError("the same model is named twice in --model")
    return refs, datas


def _scores(ref: models.ModelRef, data: TaskData, task_result) -> list[Score]:
    out = []
    for split in data.splits:
        entries = task_result.scores.get(split) or []
        if not entries:
            raise EvaluationError(f"mteb returned no scores for {data.spec.name}/{split}")
        values: dict[str, Any] = entries[0]
        for metric in data.spec.metrics:
            if metric not in values:
                known = ", ".join(sorted(k for k, v in values.items() if isinstance(v, (int, float))))
                raise EvaluationError(
                    f"{data.spec.source}: metric '{metric}' is not produced by a {data.spec.kind} task; "
                    f"available: {known}"
                )
            value = float(values[metric])
            out.append(
                Score(
                    model=ref.model,
                    run_id=ref.run_id,
                    task=data.spec.name,
                    split=split,
                    metric=metric,
                    value=value if not math.isinf(value) else float("nan"),
                    is_main=metric == data.spec.main_metric,
                    data_snapshot_id=data.snapshot_id,
                )
            )
    return out


def _pending(project: Project, refs: list[models.ModelRef], datas: list[TaskData], force: bool):
    """Per model, the tasks not yet scored on every split of their data snapshot (all of them when ``force``)."""
    con = project.connect(read_only=True)
    try:
        return {
            ref.model: [
                d
                for d in datas
                if d.spec.family == ref.family
                and (force or not set(d.splits) <= existing_splits(con, ref.model, d.spec.name, d.snapshot_id))
            ]
            for ref in refs
        }
    finally:
        con.close()


def _progress(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=False)


def _evaluate_model(project: Project, ref: models.ModelRef, datas: list[TaskData], cache, advance) -> list[Score]:
    """Score one model on ``datas`` with mteb (results JSON under ``cache``); ``advance(text)`` reports progress."""
    import mteb

    from evaluation.encoder import DedupEncoder
    from evaluation.mteb_tasks import build_task

    config = project.config["evaluation"]
    advance(f"loading {ref.label}", 0)
    if ref.family == "lm":
        from evaluation import lm_tasks

        language_model, tokenizer = models.load_language_model(ref)
        return lm_tasks.evaluate(ref, language_model, tokenizer, datas, advance)
    model = models.load(ref, decoder_pooling=config["decoder_pooling"])
    revision = ref.run_id or ("all-MiniLM-L6-v2" if ref.model == models.BASE_NAME else "local")
    wrapper = DedupEncoder(model, name=ref.mteb_name, revision=revision)
    scores: list[Score] = []
    for data in datas:
        advance(f"{ref.label}: {data.spec.name}", 0)
        result = mteb.evaluate(
            wrapper,
            [build_task(data)],
            cache=cache,
            overwrite_strategy="always",
            show_progress_bar=False,
            encode_kwargs={"batch_size": int(config["batch_size"]), "show_progress_bar": False},
        )
        scores.extend(_scores(ref, data, result.task_results[0]))
        advance(f"{ref.label}: {data.spec.name}", 1)
    return scores


def evaluate(
    project: Project,
    references: list[str],
    task_names: list[str] | tuple[str, ...] = (),
    force: bool = False,
    console=None,
) -> EvalSummary:
    """Evaluate each model on each task; store scores in meta.eval_results and mteb's result folder."""
    refs, datas = prepare(project, references, task_names)
    summary = EvalSummary(models=refs, tasks=[d.spec.name for d in datas])
    summary.empty_splits = [(d.spec.name, s) for d in datas for s in d.skipped_splits]
    todo = _pending(project, refs, datas, force)
    for ref in refs:
        summary.skipped.extend(
            (ref.label, d.spec.name) for d in datas if d.spec.family == ref.family and d not in todo[ref.model]
        )
    if not any(todo.values()):
        return summary

    _quiet_libraries()
    cache = None
    if any(ref.family == "embedding" and todo[ref.model] for ref in refs):
        import mteb

        cache = mteb.ResultCache(cache_path=str(results_dir(project)))
    with _progress(console) as progress:
        bar = progress.add_task("evaluating", total=sum(len(v) for v in todo.values()))

        def advance(description: str, done: int) -> None:
            progress.update(bar, description=description, advance=done)

        for ref in (r for r in refs if todo[r.model]):
            scores = _evaluate_model(project, ref, todo[ref.model], cache, advance)
            summary.evaluated.extend((ref.label, d.spec.name) for d in todo[ref.model])
            con = project.connect()  # stored per model, so a later failure keeps these
            try:
                summary.rows_written += store(con, scores)
            finally:
                con.close()
    return summary
