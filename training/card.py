"""The model card (README.md) of every checkpoint riftlab writes, in the Hub's own format.

YAML front matter as ``huggingface_hub.ModelCardData`` writes it: ``base_model`` (the Hub id of
the pretrained model the chain of runs started from), ``base_model_relation``, ``library_name``
(``peft`` for a folder holding a LoRA adapter), ``pipeline_tag``, ``license``, ``datasets`` (the
warehouse snapshot id of the rows the run read) and a ``model-index`` of the run's evaluation
results: its own validation numbers, and every ``meta.eval_results`` row for it once
``riftlab eval`` or ``riftlab export`` ran (:func:`refresh_evaluations`).  Below: what data, what
settings, what numbers, and the run's plots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.registry import RunRecord

CARD = "README.md"
#: the pretrained bases riftlab resolves by name: Hub id and license
HUB_BASES = {
    "smollm2": ("HuggingFaceTB/SmolLM2-135M-Instruct", "apache-2.0"),
    "smollm2-135m-instruct": ("HuggingFaceTB/SmolLM2-135M-Instruct", "apache-2.0"),
    "minilm": ("sentence-transformers/all-MiniLM-L6-v2", "apache-2.0"),
    "all-minilm-l6-v2": ("sentence-transformers/all-MiniLM-L6-v2", "apache-2.0"),
    "sentence-transformers/all-minilm-l6-v2": ("sentence-transformers/all-MiniLM-L6-v2", "apache-2.0"),
}
#: a run's own metric -> (dataset the run read, split) for the model-index
RUN_EVALUATIONS = {
    "eval_perplexity": ("corpus_chunks", "validation"),
    "eval_loss": (None, "validation"),
    "mean_token_accuracy": ("instruct_pairs", "validation"),
    "validation_accuracy": ("triplets", "validation"),
    "validation_reward_accuracies": ("preference_pairs", "validation"),
    "validation_reward_margins": ("preference_pairs", "validation"),
}
PIPELINES = {"embed": "sentence-similarity"}
#: the card: the Hub's front matter, then riftlab's body
TEMPLATE = "---\n{{ card_data }}\n---\n\n{{ body }}\n"
LIBRARIES = {"embed": "sentence-transformers"}


@dataclass(frozen=True)
class Evaluation:
    """One number for the model-index: ``task`` on ``dataset`` (``split``), ``metric`` = ``value``."""

    task: str
    dataset: str
    split: str
    metric: str
    value: float


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def lineage(base: str | None) -> tuple[str | None, str | None]:
    """(Hub id, license) of the pretrained model ``base`` descends from: a named base, or the card of a local folder."""
    if not base:
        return None, None
    if base.lower() in HUB_BASES:
        return HUB_BASES[base.lower()]
    folder = Path(base)
    for candidate in (folder, folder.parent):  # a run's merged/ folder: the card is in the run folder
        card = candidate / CARD
        if card.is_file():
            data = read_card(card).data
            return data.base_model, data.license
    return None, None


def read_card(path: Path):
    """The card at ``path`` as ``huggingface_hub.ModelCard`` (front matter parsed as the Hub parses it)."""
    from huggingface_hub import ModelCard

    return ModelCard.load(path, ignore_metadata_errors=False)


def run_evaluations(stage: str, metrics: dict[str, Any]) -> list[Evaluation]:
    """The run's own validation numbers, as model-index entries."""
    out = []
    for key, (dataset, split) in RUN_EVALUATIONS.items():
        value = metrics.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            table = dataset or {"sft": "instruct_pairs", "dpo": "preference_pairs"}.get(stage, "corpus_chunks")
            out.append(Evaluation(f"{stage} validation", table, split, key, float(value)))
    return out


def card_data(
    record: RunRecord, folder: Path, evaluations: list[Evaluation], relation: str | None = None, adapter: bool = False
):
    """The ``ModelCardData`` of the checkpoint in ``folder``."""
    from huggingface_hub import ModelCardData

    hub_base, license_ = lineage(record.base_model)
    pipeline = PIPELINES.get(record.stage, "text-generation")
    results = eval_results(pipeline, evaluations)
    return ModelCardData(
        base_model=hub_base,
        base_model_relation=relation or ("adapter" if adapter else "finetune") if hub_base else None,
        library_name="peft" if adapter else LIBRARIES.get(record.stage, "transformers"),
        pipeline_tag=pipeline,
        license=license_ or "other",
        datasets=[record.corpus_snapshot_id],
        tags=["riftlab", record.stage],
        model_name=record.run_id,
        eval_results=results or None,
        riftlab={"run_id": record.run_id, "stage": record.stage, "base": record.base_model},
    )


def write_model_card(
    folder: Path,
    record: RunRecord,
    metrics: dict[str, Any],
    plots: list[Path] | Path | None,
    evaluations: list[Evaluation] | None = None,
    relation: str | None = None,
    sections: list[str] | None = None,
) -> Path:
    """Write ``folder/README.md``; ``evaluations`` default to the run's own validation numbers."""
    from huggingface_hub import ModelCard

    if isinstance(plots, Path):
        plots = [plots]
    adapter = (folder / "adapter_config.json").is_file()
    evaluations = run_evaluations(record.stage, metrics) if evaluations is None else evaluations
    data = card_data(record, folder, evaluations, relation, adapter)
    lines = [
        f"# riftlab {record.stage} run `{record.run_id}`",
        "",
        f"- **Stage**: {record.stage} (preset `{record.preset}`)",
        f"- **Base model**: `{record.base_model}`" + (f" (from `{data.base_model}`)" if data.base_model else ""),
        f"- **Data snapshot**: `{record.corpus_snapshot_id}` (hash of the warehouse rows read: "
        + ", ".join(f"{name} {rows}" for name, rows in record.data_rows.items())
        + ")",
        f"- **Git commit**: `{record.git_commit or 'unknown'}`",
        f"- **Started**: {record.started_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    if adapter:
        merged = ", and the merged model in `merged/`" if (folder / "merged").is_dir() else ""
        lines.append("- **Weights**: a LoRA adapter (peft)" + merged)
    lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_format(value)} |" for key, value in sorted(metrics.items())]
    lines += evaluation_table(evaluations)
    for section in sections or []:
        lines += ["", section.rstrip()]
    for plot in [p for p in plots or [] if p is not None]:
        lines += ["", f"## {plot.stem.replace('_', ' ').capitalize()}", "", f"![{plot.stem}]({plot.name})"]
    if (folder / "generations.json").is_file():  # sft: greedy answers to fixed questions (training/sft.py)
        lines += ["", "## Generations", ""]
        for item in json.loads((folder / "generations.json").read_text(encoding="utf-8")):
            lines += [f"**Q:** {item['question']}", "", f"**A:** {item['answer']}", ""]
    lines += ["", "## Configuration", "", "```json", json.dumps(record.config, indent=2, default=str), "```", ""]
    card = ModelCard.from_template(data, template_str=TEMPLATE, body="\n".join(lines))
    path = folder / CARD
    card.save(path)
    return path


def evaluation_table(evaluations: list[Evaluation]) -> list[str]:
    if not evaluations:
        return []
    lines = ["", "## Evaluation", "", "| task | dataset | split | metric | value |", "|---|---|---|---|---|"]
    lines += [f"| {e.task} | {e.dataset} | {e.split} | {e.metric} | {e.value:.4g} |" for e in evaluations]
    return lines


def refresh_evaluations(path: Path, evaluations: list[Evaluation]) -> Path:
    """Replace the model-index and the Evaluation table of the card at ``path`` with ``evaluations``."""

    card = read_card(path)
    pipeline = card.data.pipeline_tag or "text-generation"
    card.data.eval_results = eval_results(pipeline, evaluations) or None
    if card.data.model_name is None:
        card.data.model_name = path.parent.name
    body = card.text
    start = body.find("\n## Evaluation\n")
    if start >= 0:
        end = body.find("\n## ", start + 5)
        body = body[:start] + (body[end:] if end >= 0 else "\n")
    table = "\n".join(evaluation_table(evaluations))
    anchor = body.find("\n## ", body.find("\n## Metrics\n") + 5) if "\n## Metrics\n" in body else -1
    body = body[:anchor] + table + body[anchor:] if anchor >= 0 else body.rstrip() + "\n" + table + "\n"
    card.text = body
    card.save(path)
    return path


def eval_results(pipeline: str, evaluations: list[Evaluation]) -> list:
    """The Hub's model-index entries (``huggingface_hub.EvalResult``) for a run's evaluations."""
    from huggingface_hub import EvalResult

    return [
        EvalResult(
            task_type=pipeline,
            task_name=e.task,
            dataset_type=f"riftlab/{e.dataset}",
            dataset_name=e.dataset,
            dataset_split=e.split,
            metric_type=e.metric,
            metric_name=e.metric,
            metric_value=round(e.value, 6),
        )
        for e in evaluations
    ]
