"""`riftlab build` meeting Ctrl-C or a full disk: one line, a non-zero exit, every unbuilt table as it was.

Each test builds three models at version 'v1', rewrites them to 'v2' with the middle one slow or
large, and runs the build again as a real subprocess, interrupted or with a file size limit.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time

import pytest

MODELS = ("a_first", "b_middle", "c_last")


def _versions(project) -> dict[str, list[str]]:
    return {m: [v for (v,) in project.rows(f"select distinct version from main.{m} order by 1")] for m in MODELS}


def _built_at_v1(project):
    for model in MODELS:
        project.model(model, "select 'v1' as version")
    project.riftlab("build", check=True)
    project.model("a_first", "select 'v2' as version")
    project.model("c_last", "select 'v2' as version")


def _command(project) -> list[str]:
    return [sys.executable, "-m", "riftlab.cli", "--project-dir", str(project.root), "build"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "RIFTLAB_DB"}


def test_ctrl_c_stops_the_build_with_one_line_and_keeps_the_interrupted_table(project):
    _built_at_v1(project)
    project.model(
        "b_middle", "select 'v2' as version, count(*) as n from range(1000000000000) t(i) where md5(i::varchar) = 'x'"
    )
    process = subprocess.Popen(
        _command(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=project.root
    )
    try:
        first = process.stdout.readline()  # a_first is built; b_middle starts
        assert "a_first" in first, first
        time.sleep(1)  # b_middle's query is running
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "interrupted" in lines[0] and "b_middle" in lines[0], lines[0]
    assert "c_last" not in stdout
    assert _versions(project) == {"a_first": ["v2"], "b_middle": ["v1"], "c_last": ["v1"]}
    assert project.rows(
        "select status, error from meta.model_runs where model = 'b_middle' order by started_at desc limit 1"
    ) == [("error", "interrupted")]


@pytest.mark.parametrize("rows, repeat", [(100_000, 4), (1_000_000, 1)], ids=["fails-at-commit", "fails-while-writing"])
def test_a_full_disk_stops_the_build_with_one_line_and_keeps_every_unbuilt_table(project, rows, repeat):
    _built_at_v1(project)
    project.model("b_middle", f"select 'v2' as version, repeat(md5(i::varchar), {repeat}) as h from range({rows}) t(i)")
    limit = os.path.getsize(project.db) + 2_000_000

    def cap_file_size():  # Python ignores SIGXFSZ, so a write past the cap fails with 'File too large'
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        _command(project),
        capture_output=True,
        text=True,
        env=_env(),
        cwd=project.root,
        preexec_fn=cap_file_size,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "cannot write the warehouse" in lines[0] and "b_middle" in lines[0] and "File too large" in lines[0], lines[
        0
    ]
    assert "c_last" not in result.stdout
    assert _versions(project) == {"a_first": ["v2"], "b_middle": ["v1"], "c_last": ["v1"]}
    project.riftlab("build", check=True)  # with room again, the same warehouse builds
    assert _versions(project) == {"a_first": ["v2"], "b_middle": ["v2"], "c_last": ["v2"]}
