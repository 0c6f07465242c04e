"""Start-up time of `riftlab --help`, `ls` and `query` against a bare `python -c pass`.

Prints the median wall time of each over N runs, the ratio to the bare interpreter,
and which heavy packages (if any) each command imported. Target: well under a second.

    .venv/bin/python benchmarks/cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("torch", "transformers", "scrapy", "sentence_transformers", "great_expectations", "mteb")


def timed(args: list[str], cwd: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, cwd=cwd, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "transforms" / "models").mkdir(parents=True)
        (root / "transforms" / "models" / "one.sql").write_text("select 1 as x")
        (root / "riftlab.yaml").write_text("warehouse:\n  path: wh.duckdb\n")
        riftlab = [sys.executable, "-m", "riftlab.cli"]
        subprocess.run(riftlab + ["build"], cwd=root, check=True, capture_output=True)
        bare = timed([sys.executable, "-c", "pass"], root, options.runs)
        print(f"{'command':<28} {'median s':>9} {'x bare':>7}  heavy imports")
        print(f"{'python -c pass':<28} {bare:>9.3f} {1:>7.1f}")
        for args in (["--help"], ["ls"], ["query", "select 1"]):
            seconds = timed(riftlab + args, root, options.runs)
            probe = (
                "import sys; from riftlab.cli import main\n"
                f"try: main({args!r})\nexcept SystemExit: pass\n"
                f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
            )
            heavy = subprocess.run(
                [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True
            ).stderr.strip()
            print(f"{'riftlab ' + ' '.join(args):<28} {seconds:>9.3f} {seconds / bare:>7.1f}  {heavy or 'none'}")


if __name__ == "__main__":
    main()
