"""A 2-process CPU (gloo) run of the tiny clm through torchrun gives one valid checkpoint and one run row."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb


def test_torchrun_two_processes_gloo(project, tiny_decoder, repo_root):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo_root)}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "riftlab",
        "train",
        "clm",
        "--project-dir",
        str(project.root),
        "--base",
        str(tiny_decoder),
        "--set",
        "max_seq_length=64",
        "--set",
        "batch_size=2",
        "--set",
        "epochs=1",
        "--set",
        "logging_steps=1",
        "--set",
        "lora_preset=light",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=repo_root, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    con = duckdb.connect(str(project.db_path), read_only=True)
    rows = con.execute("SELECT status, output_path, metrics FROM meta.training_runs").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][0] == "finished", rows
    metrics = json.loads(rows[0][2])
    assert metrics["world_size"] == 2
    folder = project.root / "runs"
    assert [p.name for p in folder.iterdir()] == [os.path.basename(rows[0][1])]  # no partial folder left

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_decoder), rows[0][1])
    assert sum(p.numel() for n, p in model.named_parameters() if "lora_" in n) > 0
