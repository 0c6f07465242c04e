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

``--warehouse DIR`` trains on the real corpus: the project at DIR, built from the snapshot
(``--snapshot``, crawled and built as benchmarks/heldout_quality.py does) when DIR has no warehouse
yet; its runs stay registered there (sft and embed can start from them).  Both presets get the same
token budget (``--tokens``: each preset's steps are the budget over its tokens per step, the seed's
unpacked rows counted at their mean length), and after training every model, the base included, is
scored by ``riftlab eval`` on ``LMValidationPerplexity`` (the same chunks for all, each scored on its
own), so the perplexities compare across presets whose own validation blocks differ:

    python benchmarks/clm_throughput.py --shape smollm2 --warehouse /tmp/riftlab-snapshot \
        --tokens 16000 --set max_seq_length=256 --preset-set clm_default:batch_size=4   # this CPU
    python benchmarks/clm_throughput.py --shape smollm2 --warehouse /tmp/riftlab-snapshot \
        --tokens 400000 --device cuda                                                   # one GPU
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


def warehouse_project(folder: Path, snapshot: Path) -> Path:
    """The real-corpus project at ``folder``, crawled from ``snapshot`` and built the first time."""
    if (folder / "data" / "riftlab.duckdb").is_file():
        return folder
    sys.path.insert(0, str(REPO / "benchmarks"))
    from heldout_quality import build_project

    folder.mkdir(parents=True, exist_ok=True)
    print(f"== building the snapshot warehouse in {folder} ...", flush=True)
    return build_project(snapshot, folder)


def steps_for_budget(project_dir: Path, presets: list[str], tokens: int, overrides: dict[str, list[str]]) -> dict:
    """Optimiser steps per preset so that each trains on about ``tokens`` non-padding tokens."""
    import duckdb

    from training import bases
    from training.decoders import load_tokenizer
    from training.presets import load_preset

    with duckdb.connect(str(project_dir / "data" / "riftlab.duckdb"), read_only=True) as con:
        texts = [r[0] for r in con.execute("SELECT text FROM main.corpus_chunks WHERE split = 'train'").fetchall()]
    tokenizer = load_tokenizer(bases.resolve("smollm2", "clm", project_dir))
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]
    steps = {}
    for preset in presets:
        settings, _ = load_preset("clm", preset, overrides=overrides.get(preset, []))
        seq = int(settings["max_seq_length"])
        per_row = seq if settings["packing"] else sum(min(n, seq) for n in lengths) / len(lengths)
        per_step = per_row * int(settings["batch_size"]) * int(settings["grad_accum"])
        steps[preset] = max(4, round(tokens / per_step))
    return steps


def eval_perplexity(project_dir: Path, models: list[str]) -> dict[str, dict[str, float]]:
    """``riftlab eval`` on LMValidationPerplexity for each model: model -> metric -> value."""
    import duckdb

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "riftlab.cli", "eval", "--project-dir", str(project_dir)]
    command += [arg for model in models for arg in ("--model", model)] + ["--tasks", "LMValidationPerplexity"]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"riftlab eval failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    with duckdb.connect(str(project_dir / "data" / "riftlab.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT model, metric, arg_max(value, evaluated_at) FROM meta.eval_results "
            "WHERE task = 'LMValidationPerplexity' GROUP BY ALL"
        ).fetchall()
    found: dict[str, dict[str, float]] = {}
    for model, metric, value in rows:
        found.setdefault(model, {})[metric] = value
    return {model: found.get(model, {}) for model in models}


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
    overrides = [f"max_steps={args.steps}", "logging_steps=5", "eval_batch_size=4", *json.loads(args.overrides)]
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
        "steps": args.steps,
        "max_seq_length": settings.get("max_seq_length"),
        "batch_size": settings.get("batch_size"),
        "grad_accum": settings.get("grad_accum"),
        "train_seconds": m.get("train_seconds"),
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
    parser.add_argument("--warehouse", type=Path, default=None, help="train on this real-corpus project (see above)")
    parser.add_argument("--tokens", type=int, default=None, help="token budget per preset (with --warehouse)")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="KEY=VALUE for every preset")
    parser.add_argument("--preset-set", action="append", default=[], help="PRESET:KEY=VALUE[,KEY=VALUE] for one preset")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--overrides", default="[]", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        return worker(args)

    import torch

    cuda = torch.cuda.is_available()
    if args.device == "cuda" and not cuda:
        raise SystemExit("--device cuda: no CUDA device here (torch.cuda.is_available() is false)")
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        cuda = False
    overrides = {preset: list(args.sets) for preset in args.presets}
    for entry in args.preset_set:
        preset, _, values = entry.partition(":")
        if preset not in overrides:
            raise SystemExit(f"--preset-set {entry}: {preset} is not in --presets ({', '.join(args.presets)})")
        overrides[preset] += [v for v in values.split(",") if v]
    if args.warehouse:
        return real_corpus(args, overrides, cuda)
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
                "--overrides",
                json.dumps(overrides[preset]),
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


def real_corpus(args: argparse.Namespace, overrides: dict[str, list[str]], cuda: bool) -> None:
    """Both presets on the real snapshot corpus with one token budget, then every model's validation perplexity."""
    import torch

    from training import bases

    if args.shape not in (None, "smollm2"):
        raise SystemExit("--warehouse trains the pretrained SmolLM2 (--shape smollm2)")
    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in device), None)
    project_dir = warehouse_project(args.warehouse.resolve(), args.snapshot)
    model_dir = bases.resolve("smollm2", "clm", project_dir)
    tokens = args.tokens or 16000
    steps = steps_for_budget(project_dir, args.presets, tokens, overrides)
    results = []
    for preset in args.presets:
        cmd = [sys.executable, __file__, "--worker", preset, "--project", str(project_dir), "--model", "smollm2"]
        cmd += ["--steps", str(steps[preset]), "--overrides", json.dumps(overrides[preset])]
        print(f"== {preset}: {steps[preset]} steps, overrides {overrides[preset]} ...", flush=True)
        env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if not cuda else {})}
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
        line = next((out for out in proc.stdout.splitlines() if out.startswith("RESULT ")), None)
        if proc.returncode or line is None:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise SystemExit(f"{preset} failed (exit {proc.returncode})")
        result = json.loads(line.removeprefix("RESULT "))
        seq = int(result.get("max_seq_length") or 512)
        flops = model_flops_per_token(SMOLLM2, seq) * result["tokens_per_second"]
        result["mfu"] = round(flops / (peak * 1e12), 4) if peak else None
        results.append(result)
        print(json.dumps(result), flush=True)
    print("== riftlab eval --tasks LMValidationPerplexity on the base and each run ...", flush=True)
    scored = eval_perplexity(project_dir, ["smollm2", *[r["run_id"] for r in results]])
    base = results[0]["tokens_per_second"] or 1e-9
    for result in results:
        result["speedup_vs_first"] = round(result["tokens_per_second"] / base, 2)
        result["validation"] = scored[result["run_id"]]
    report = {
        "device": device,
        "shape": "smollm2",
        "corpus": "real snapshot warehouse: main.corpus_chunks (train split to train, validation split to score)",
        "token_budget": tokens,
        "peak_tflops": peak,
        "base_validation": scored["smollm2"],
        "overrides": overrides,
        "model_dir": str(model_dir),
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    slug = "cpu" if not cuda else device.replace(" ", "_").replace("/", "_")
    stem = RESULTS / f"clm_corpus_{slug}_smollm2"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    before = scored["smollm2"]
    lines = [
        f"# clm on the real snapshot corpus, SmolLM2-135M-Instruct on {device}",
        "",
        f"Same budget of about {tokens} training tokens per preset; validation: LMValidationPerplexity "
        f"(`riftlab eval`, the corpus validation split, each chunk on its own). Base: perplexity "
        f"{before.get('perplexity', float('nan')):.2f}, {before.get('bits_per_byte', float('nan')):.3f} bits/byte.",
        "",
        "| preset | overrides | steps | tokens | tokens/s | peak RSS GiB | peak GPU GiB | MFU | speed-up "
        "| val. perplexity base -> after | bits/byte after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "n/a"
        after = r["validation"]
        lines.append(
            f"| {r['preset']} | {' '.join(overrides[r['preset']]) or '-'} | {r['steps']} | {r['train_tokens']} "
            f"| {r['tokens_per_second']:.0f} | {r['peak_rss_gib']} | {r['peak_gpu_memory_gib'] or 'n/a'} | {mfu} "
            f"| {r['speedup_vs_first']}x | {before.get('perplexity', float('nan')):.2f} -> "
            f"{after.get('perplexity', float('nan')):.2f} | {after.get('bits_per_byte', float('nan')):.3f} |"
        )
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
