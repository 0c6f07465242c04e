"""clm throughput: the seed preset vs riftlab's default on the same data and the same model shape.

Runs the real ``clm`` stage (``training.runner.train``) once per preset, each in a fresh process so
peak GPU memory is its own, on a Llama-3.2-1B-shaped model built from its config and a BPE trained
on the corpus (``--snapshot DIR``'s Meraki text, else synthetic sentences).  Reports non-padding
tokens/s, peak GPU memory, MFU (6N + 12*L*d*s FLOPs a token over the dense bf16 peak) and the
ratio default/seed, to ``benchmarks/results/clm_throughput_<device>.{json,md}``.

    python benchmarks/clm_throughput.py                # CUDA: 1B shape, 40 steps per preset
    python benchmarks/clm_throughput.py --shape tiny --steps 3   # CPU smoke check
    python benchmarks/clm_throughput.py --shape smollm2 --steps 20   # the pretrained SmolLM2-135M

``--shape smollm2`` trains the real pretrained decoder (``--base smollm2``) with its own tokenizer,
so its validation perplexity before and after ``clm`` says what the corpus taught it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results"

SHAPES = {
    # meta-llama/Llama-3.2-1B config.json
    "1b": dict(
        vocab_size=128256,
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=16,
        num_attention_heads=32,
        num_key_value_heads=8,
        max_position_embeddings=131072,
        rope_theta=500000.0,
        tie_word_embeddings=True,
    ),
    "tiny": dict(
        vocab_size=2048,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
    ),
}
#: SmolLM2-135M-Instruct's config (the pretrained decoder; its weights come from ``--base smollm2``)
SMOLLM2 = dict(
    vocab_size=49152,
    hidden_size=576,
    intermediate_size=1536,
    num_hidden_layers=30,
    num_attention_heads=9,
    num_key_value_heads=3,
)
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0, "L4": 121.0}


def corpus_texts(snapshot: Path | None, n_synthetic: int = 4000) -> list[str]:
    if snapshot and (snapshot / "meraki" / "champions.json").is_file():
        import re

        data = json.loads((snapshot / "meraki" / "champions.json").read_text(encoding="utf-8"))
        texts = []
        for champion in data.values():
            texts.append(champion.get("lore") or "")
            for abilities in champion.get("abilities", {}).values():
                for ability in abilities:
                    for effect in ability.get("effects", []):
                        texts.append(re.sub(r"<[^>]+>", " ", effect.get("description") or ""))
        return [t for t in texts if len(t) > 40]
    rng = random.Random(0)
    words = (
        "champion dashes knocks up heals shields slows stuns enemy ally lane jungle tower dragon baron "
        "damage magic physical"
    ).split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(40, 160))) for _ in range(n_synthetic)]


def build_fixture(folder: Path, shape: str, snapshot: Path | None, repeat: int) -> tuple[Path, Path]:
    """A project with a warehouse holding corpus_chunks, and a model folder (config-initialised + BPE tokenizer)."""
    import pyarrow as pa
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from warehouse.project import Project

    texts = corpus_texts(snapshot) * repeat
    project_dir = folder / "project"
    project_dir.mkdir(parents=True)
    (project_dir / "riftlab.yaml").write_text("name: bench\nwarehouse:\n  path: bench.duckdb\n", encoding="utf-8")
    project = Project.load(project_dir)
    con = project.connect()
    con.register(
        "bench_rows",
        pa.table(
            {
                "chunk_id": [f"c{i:07d}" for i in range(len(texts))],
                "text": texts,
                "split": ["validation" if i % 50 == 0 else "train" for i in range(len(texts))],
            }
        ),
    )
    con.execute(
        "CREATE TABLE main.corpus_chunks AS SELECT chunk_id, NULL::VARCHAR AS document_id, 'bench' AS source, "
        "NULL::VARCHAR AS champion, '' AS section, text, 0 AS n_tokens, split FROM bench_rows"
    )
    con.close()

    if shape == "smollm2":
        from training import bases

        return project_dir, bases.resolve("smollm2", "clm", project_dir)
    model_dir = folder / "model"
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    vocab = min(SHAPES[shape]["vocab_size"], 8000)
    bpe.train_from_iterator(
        texts[:20000],
        trainers.BpeTrainer(
            vocab_size=vocab,
            special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    config = LlamaConfig(**SHAPES[shape], bos_token_id=1, eos_token_id=2, pad_token_id=3)
    config.architectures = ["LlamaForCausalLM"]
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    return project_dir, model_dir


def model_flops_per_token(shape: dict, seq_len: int) -> float:
    d, layers, inter, vocab = (
        shape["hidden_size"],
        shape["num_hidden_layers"],
        shape["intermediate_size"],
        shape["vocab_size"],
    )
    kv = d * shape["num_key_value_heads"] // shape["num_attention_heads"]
    params = layers * (2 * d * d + 2 * d * kv + 3 * d * inter) + vocab * d  # matmul weights incl. the LM head
    return 6 * params + 12 * layers * d * seq_len


def peak_rss_bytes() -> int:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(args: argparse.Namespace) -> None:
    """Train one preset and print a JSON line with its numbers."""
    import torch
    from rich.console import Console

    from training.runner import train
    from warehouse.project import Project

    project = Project.load(args.project)
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    overrides = [f"max_steps={args.steps}", "logging_steps=5", "eval_batch_size=4"]
    result = train(
        project, "clm", preset=args.worker, base=args.model, overrides=overrides, console=Console(stderr=True)
    )
    m = result.metrics
    settings = json.loads((result.output_path / "riftlab_run.json").read_text())
    out = {
        "preset": args.worker,
        "tokens_per_second": m.get("steady_tokens_per_second") or m["train_tokens_per_second"],
        "tokens_per_second_incl_eval": m["train_tokens_per_second"],
        "train_tokens": m["train_tokens"],
        "precision": m["precision"],
        "gradient_checkpointing": m["gradient_checkpointing"],
        "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "peak_rss_gib": round(peak_rss_bytes() / 2**30, 2),
        "eval_loss": m["eval_loss"],
        "eval_perplexity_before": m.get("eval_perplexity_before"),
        "eval_perplexity": m.get("eval_perplexity"),
        "run_id": settings["run_id"],
    }
    print("RESULT " + json.dumps(out), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--shape",
        choices=[*sorted(SHAPES), "smollm2"],
        default=None,
        help="model shape (default: 1b on CUDA, tiny on CPU); smollm2: the pretrained SmolLM2-135M",
    )
    parser.add_argument("--steps", type=int, default=40, help="optimiser steps per preset")
    parser.add_argument("--presets", nargs="+", default=["clm_seed", "clm_default"])
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    parser.add_argument("--repeat", type=int, default=3, help="repeat the corpus text this many times")
    parser.add_argument(
        "--peak-tflops", type=float, default=None, help="dense bf16 peak of the GPU (default: from its name)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        return worker(args)

    import torch

    cuda = torch.cuda.is_available()
    shape = args.shape or ("1b" if cuda else "tiny")
    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in device), None)
    with tempfile.TemporaryDirectory(prefix="riftlab-clm-bench-") as tmp:
        project_dir, model_dir = build_fixture(Path(tmp), shape, args.snapshot, args.repeat)
        results = []
        for preset in args.presets:
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                preset,
                "--project",
                str(project_dir),
                "--model",
                str(model_dir),
                "--steps",
                str(args.steps),
            ]
            print(f"== {preset}: {' '.join(cmd[1:3])} ...", flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
            line = next((out for out in proc.stdout.splitlines() if out.startswith("RESULT ")), None)
            if proc.returncode or line is None:
                sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
                raise SystemExit(f"{preset} failed (exit {proc.returncode})")
            result = json.loads(line.removeprefix("RESULT "))
            seq = 512
            flops = model_flops_per_token(SHAPES.get(shape, SMOLLM2), seq) * result["tokens_per_second"]
            result["mfu"] = round(flops / (peak * 1e12), 4) if peak else None
            results.append(result)
            print(json.dumps(result), flush=True)
    base = results[0]["tokens_per_second"] or 1e-9
    for result in results:
        result["speedup_vs_first"] = round(result["tokens_per_second"] / base, 2)
    report = {"device": device, "shape": shape, "steps": args.steps, "peak_tflops": peak, "results": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    slug = "cpu" if not cuda else device.replace(" ", "_").replace("/", "_")
    (RESULTS / f"clm_throughput_{slug}_{shape}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    lines = [
        f"# clm throughput on {device} ({shape} shape, {args.steps} steps per preset)",
        "",
        "| preset | precision | grad ckpt | tokens/s | peak GPU GiB | peak RSS GiB | MFU | speed-up "
        "| val. perplexity before -> after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "n/a"
        peak_gib = r["peak_gpu_memory_gib"] if r["peak_gpu_memory_gib"] is not None else "n/a"
        before, after = r.get("eval_perplexity_before"), r.get("eval_perplexity")
        perplexity = f"{before:.1f} -> {after:.1f}" if before and after else "n/a"
        lines.append(
            f"| {r['preset']} | {r['precision']} | {r['gradient_checkpointing']} | {r['tokens_per_second']:.0f} | "
            f"{peak_gib} | {r.get('peak_rss_gib', 'n/a')} | {mfu} | {r['speedup_vs_first']}x | {perplexity} |"
        )
    (RESULTS / f"clm_throughput_{slug}_{shape}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
