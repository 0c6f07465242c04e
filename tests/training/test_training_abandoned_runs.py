"""A run whose process is killed outright (SIGKILL) is closed as failed by the next `riftlab runs`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
from click.testing import CliRunner


def _statuses(project) -> dict[str, str]:
    for _ in range(50):  # the trainer holds the file only for the moment of a write
        try:
            con = duckdb.connect(str(project.db_path), read_only=True)
        except duckdb.IOException:
            time.sleep(0.1)
            continue
        try:
            return dict(con.execute("SELECT run_id, status FROM meta.training_runs").fetchall())
        finally:
            con.close()
    raise AssertionError("the warehouse stayed locked")


def test_killed_run_is_reaped_and_live_run_is_not(project, repo_root):
    from riftlab.commands.train import runs
    from training.registry import OWNER_FILE, reap_abandoned
    from training.runner import output_root

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo_root)}
    cmd = [
        sys.executable,
        "-m",
        "riftlab",
        "train",
        "embed",
        "--project-dir",
        str(project.root),
        "--config",
        "embed_plain",
        "--set",
        "triplets.epochs=500",
        "--set",
        "max_seq_length=32",
        "--set",
        "max_validation_triplets=16",
    ]
    proc = subprocess.Popen(cmd, cwd=repo_root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = output_root(project)
    try:
        deadline = time.monotonic() + 240
        owners: list = []
        while not owners and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            owners = list(root.glob(f".*.partial/{OWNER_FILE}")) if root.exists() else []
            time.sleep(0.2)
        assert owners, "the run never started training"
        run_id = json.loads(owners[0].read_text())["run_id"]

        assert reap_abandoned(project, root) == []  # alive: left alone
        assert _statuses(project) == {run_id: "running"}
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    assert _statuses(project) == {run_id: "running"}  # nobody closed it
    listed = CliRunner().invoke(runs, ["--project-dir", str(project.root), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["run_id"], r["status"]) for r in rows] == [(run_id, "failed")]
    assert rows[0]["error"].startswith(f"abandoned: process {proc.pid}")
    assert not (root / f".{run_id}.partial").exists()
    assert reap_abandoned(project, root) == []  # closed once
