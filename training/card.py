"""The model card (README.md) written into every checkpoint: what data, what settings, what numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.registry import RunRecord


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_model_card(folder: Path, record: RunRecord, metrics: dict[str, Any], plot: Path | None) -> Path:
    lines = [
        "---",
        "library_name: " + ("sentence-transformers" if record.stage == "embed" else "transformers"),
        "tags: [riftlab, " + record.stage + "]",
        "---",
        f"# riftlab {record.stage} run `{record.run_id}`",
        "",
        f"- **Stage**: {record.stage} (preset `{record.preset}`)",
        f"- **Base model**: `{record.base_model}`",
        f"- **Data snapshot**: `{record.corpus_snapshot_id}` (hash of the warehouse rows read: "
        + ", ".join(f"{name} {rows}" for name, rows in record.data_rows.items())
        + ")",
        f"- **Git commit**: `{record.git_commit or 'unknown'}`",
        f"- **Started**: {record.started_at:%Y-%m-%d %H:%M:%S} UTC",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {key} | {_format(value)} |" for key, value in sorted(metrics.items())]
    if plot is not None:
        lines += ["", "## Loss curves", "", f"![loss curves]({plot.name})"]
    if (folder / "generations.json").is_file():  # sft: greedy answers to fixed questions (training/sft.py)
        lines += ["", "## Generations", ""]
        for item in json.loads((folder / "generations.json").read_text(encoding="utf-8")):
            lines += [f"**Q:** {item['question']}", "", f"**A:** {item['answer']}", ""]
    lines += ["", "## Configuration", "", "```json", json.dumps(record.config, indent=2, default=str), "```", ""]
    path = folder / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
