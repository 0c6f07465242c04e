"""Decoder embeddings (SmolLM2-135M) against MiniLM and embed_default on the held-out tasks.

On a real-corpus project (benchmarks/clm_throughput.py --warehouse builds one), every variant is
trained with ``riftlab train embed`` (one seed, caps below for a CPU) and scored with ``riftlab
eval`` on the embedding tasks, beside the base MiniLM; the main metric of each task on the held-out
and validation splits, and each variant's training time, go to
benchmarks/results/decoder_embeddings.{json,md}.  Variants (each optional, ``--variants``):

* ``as-is-lasttoken`` / ``as-is-mean``: SmolLM2 untrained, last-token or mean pooling;
* ``decoder-lasttoken`` / ``decoder-mean``: embed_decoder (LoRA adapter on the triplets, merged);
* ``head-mean`` / ``decoder-lasttoken-head``: the label head (embed_head's head step) on SmolLM2 as it is (mean
  pooling), or after the adapter (name inversion does not apply: it needs an encoder's vocabulary);
* ``llm2vec``: embed_llm2vec (bidirectional, masked next-token prediction, SimCSE, then triplets);
* ``clm-lasttoken``: embed_decoder from the newest clm run (its adapter merged into a copy first);
* ``sft-lasttoken``: embed_decoder from the newest sft run (its adapter merged into a copy first);
* ``embed_default``: riftlab's default MiniLM embedder (name inversion, name vectors, label probabilities).

    python benchmarks/decoder_embeddings.py --warehouse /tmp/riftlab-snapshot
        [--variants as-is-lasttoken decoder-lasttoken ...] [--set max_train_triplets=256 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from heldout_quality import latest_run, riftlab, scores  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
#: what a CPU can train in minutes: fewer triplets, shorter sequences (names and short texts)
CPU_CAPS = ["max_train_triplets=256", "max_validation_triplets=64", "max_seq_length=48"]
TRIPLETS = ["triplets.batch_size=16"]
VARIANTS = {
    "decoder-lasttoken": ("embed_decoder", ["pooling=lasttoken", *TRIPLETS]),
    "decoder-mean": ("embed_decoder", ["pooling=mean", *TRIPLETS]),
    # the label head (inversion needs an encoder's masked-LM vocabulary; the head reads any embedding)
    "head-mean": ("embed_decoder", ["pooling=mean", "steps=[head]"]),
    "decoder-lasttoken-head": (
        "embed_decoder",
        ["pooling=lasttoken", "steps=[adapter,triplets,merge,head]", *TRIPLETS],
    ),
    "llm2vec": ("embed_llm2vec", ["llm2vec.steps=40", "simcse.steps=20", *TRIPLETS]),
    "clm-lasttoken": ("embed_decoder", ["pooling=lasttoken", *TRIPLETS]),
    "sft-lasttoken": ("embed_decoder", ["pooling=lasttoken", *TRIPLETS]),
    "embed_default": ("embed_default", []),
}


def pooled_copy(model: Path, folder: Path, pooling: str) -> Path:
    """``model`` hard-linked into ``folder`` with ``pooling`` named in its config.json (what eval reads)."""
    if not folder.exists():
        folder.mkdir(parents=True)
        for file in model.iterdir():
            if file.is_file() and file.name != "config.json":
                os.link(file, folder / file.name)
        config = json.loads((model / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**config, "pooling": pooling}, indent=1))
    return folder


def merged(run_output: Path) -> Path:
    """``run_output/merged``: a clm/sft run's adapter merged into its base (what merge=true would have saved)."""
    target = run_output / "merged"
    if not (target / "config.json").is_file():
        from training.decoders import load_causal_lm, load_tokenizer

        model = load_causal_lm(run_output)
        staging = run_output / ".merged-staging"
        shutil.rmtree(staging, ignore_errors=True)
        model.save_pretrained(staging)
        load_tokenizer(run_output).save_pretrained(staging)
        staging.rename(target)
    return target


def newest(project: Path, stage: str) -> Path | None:
    import duckdb

    with duckdb.connect(str(project / "data" / "riftlab.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT output_path FROM meta.training_runs WHERE stage = ? AND status = 'finished' "
            "ORDER BY finished_at DESC LIMIT 1",
            [stage],
        ).fetchall()
    return Path(rows[0][0]) if rows else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument(
        "--variants", nargs="+", default=["as-is-lasttoken", "as-is-mean", *VARIANTS], help="which rows to run"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", dest="sets", action="append", default=[], help="extra KEY=VALUE for decoder runs")
    args = parser.parse_args()
    project = args.warehouse.resolve()
    from training import bases

    smollm2 = bases.resolve("smollm2", "embed", project)
    riftlab(project, "eval", "--model", "minilm")
    rows: dict[str, dict] = {"minilm (base)": {"scores": scores(project, "minilm"), "seconds": 0.0}}
    for variant in args.variants:
        started = time.perf_counter()
        if variant.startswith("as-is-"):
            pooling = variant.removeprefix("as-is-")
            folder = pooled_copy(smollm2, project / "data" / "models" / f"smollm2-{pooling}", pooling)
            riftlab(project, "eval", "--model", str(folder))
            rows[variant] = {"scores": scores(project, str(folder)), "seconds": 0.0}
            print(f"{variant}: {json.dumps(rows[variant])}", flush=True)
            write(rows, args.seed)
            continue
        preset, settings = VARIANTS[variant]
        base = "minilm" if preset == "embed_default" else "smollm2"
        if variant.startswith("clm-"):
            run = newest(project, "clm")
            if run is None:
                print(f"{variant}: no clm run in the project, skipped", flush=True)
                continue
            base = str(merged(run))
        if variant.startswith("sft-"):
            run = newest(project, "sft")
            if run is None:
                print(f"{variant}: no sft run in the project, skipped", flush=True)
                continue
            base = str(merged(run))
        extra = [] if preset == "embed_default" else [*CPU_CAPS, *settings, *args.sets]
        overrides = [f"seed={args.seed}", *extra]
        started = time.perf_counter()
        riftlab(
            project, "train", "embed", "--config", preset, "--base", base, *[a for o in overrides for a in ("--set", o)]
        )
        seconds = time.perf_counter() - started
        run_id = latest_run(project)
        riftlab(project, "eval", "--model", run_id)
        rows[variant] = {"scores": scores(project, run_id), "seconds": round(seconds, 1), "run_id": run_id}
        rows[variant]["overrides"] = overrides
        print(f"{variant}: {json.dumps(rows[variant])}", flush=True)
        write(rows, args.seed)
    print(write(rows, args.seed))


def write(rows: dict[str, dict], seed: int) -> str:
    """The results so far, to benchmarks/results/decoder_embeddings.{json,md} (kept if a later variant is stopped)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "decoder_embeddings.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    keys = sorted({k for r in rows.values() for k in r["scores"] if "/heldout" in k or "/validation" in k})
    names = list(rows)
    lines = [
        "# Decoder embeddings (SmolLM2-135M) vs MiniLM (`benchmarks/decoder_embeddings.py`)",
        "",
        f"One seed ({seed}); decoder runs capped for a 2-core CPU: {' '.join(CPU_CAPS)}.",
        "",
        "| task / split | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for key in keys:
        cells = [rows[n]["scores"].get(key) for n in names]
        best = max((c for c in cells if c is not None), default=None)
        text = [("**" + f"{c:.3f}" + "**" if c == best else f"{c:.3f}") if c is not None else "—" for c in cells]
        lines.append(f"| {key} | " + " | ".join(text) + " |")
    lines.append("| training seconds | " + " | ".join(f"{rows[n]['seconds']:.0f}" for n in names) + " |")
    (RESULTS / "decoder_embeddings.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
