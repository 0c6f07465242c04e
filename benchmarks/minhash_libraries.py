"""MinHash for near-duplicate detection: the baseline NumPy code, datasketch, rensa, and the tree's module.

On the real snapshot's passages replicated ``--factor`` times (as ``build_scale.py`` does), each
implementation signs every passage (64 permutations over word 3-shingles); the script prints seconds,
how many near-duplicate pairs each finds with the model's LSH bands (10 x 6) and threshold (0.7), and
how far its similarity estimates are from the exact Jaccard similarity of the candidate pairs (bias and
mean absolute error: lower is better).  The implementations run one after another in one process,
so their ratios are comparable on a loaded machine.  Results: ``benchmarks/results/minhash_libraries.md``.

    nice -n 10 .venv/bin/python benchmarks/minhash_libraries.py [--factor 10] [--repeat 3] [--baseline d84e316]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from build_scale import replicate, snapshot_passages  # noqa: E402

PERMUTATIONS, BANDS, ROWS, THRESHOLD = 64, 10, 6, 0.7
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def shingles(text: str) -> list[str]:
    """Word 3-shingles as the model defines them (the baseline's regular expression)."""
    words = WORD.findall(text.lower())
    return list({" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}) if words else [""]


def baseline_module(revision: str, folder: Path):
    source = subprocess.run(
        ["git", "show", f"{revision}:warehouse/sql_functions/minhash.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = folder / "baseline_minhash.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_minhash", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def datasketch_signatures(texts: list[str]) -> list[list[int]]:
    from datasketch import MinHash

    sets = [[s.encode() for s in shingles(t)] for t in texts]
    return [m.hashvalues.tolist() for m in MinHash.bulk(sets, num_perm=PERMUTATIONS, seed=1)]


def rensa_token_sets(texts: list[str]) -> list[list[int]]:
    import rensa

    return rensa.RMinHash.digest_matrix_from_token_sets([shingles(t) for t in texts], PERMUTATIONS, 1).to_rows()


def near_duplicates(signatures: list[list[int]]) -> tuple[set, dict]:
    """Candidate pairs from LSH bands, and those whose estimate reaches the threshold (as the SQL model)."""
    candidates: set[tuple[int, int]] = set()
    for band in range(BANDS):
        buckets = collections.defaultdict(list)
        for i, signature in enumerate(signatures):
            buckets[tuple(signature[band * ROWS : (band + 1) * ROWS])].append(i)
        for members in buckets.values():
            candidates.update(itertools.combinations(members, 2))
    matrix = np.asarray(signatures, dtype=np.uint64)
    estimates = {(a, b): float(np.mean(matrix[a] == matrix[b])) for a, b in candidates}
    return candidates, {pair: e for pair, e in estimates.items() if e >= THRESHOLD}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--baseline", default="d84e316")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    options = parser.parse_args()
    if not (options.snapshot / "meraki" / "champions.json").is_file():
        print(f"snapshot not found at {options.snapshot}; nothing to measure")
        return
    documents, _ = snapshot_passages(options.snapshot)
    texts = [row["text"] for row in replicate(documents, options.factor)]
    from warehouse.sql_functions import minhash as tree

    with tempfile.TemporaryDirectory() as folder:
        baseline = baseline_module(options.baseline, Path(folder))
        implementations = {
            f"baseline ({options.baseline}, NumPy)": baseline.signatures,
            "datasketch MinHash.bulk": datasketch_signatures,
            "rensa, Python shingles": rensa_token_sets,
            "tree (rensa, Arrow words)": tree.signatures,
        }
        results: dict[str, tuple[float, list]] = {}
        for _ in range(options.repeat):  # interleaved; the fastest of each counts (the machine is shared)
            for name, sign in implementations.items():
                started = time.perf_counter()
                signatures = sign(texts)
                seconds = time.perf_counter() - started
                results[name] = (min(seconds, results.get(name, (seconds,))[0]), signatures)
    exact_sets = [set(shingles(t)) for t in texts]

    def jaccard(a: int, b: int) -> float:
        return len(exact_sets[a] & exact_sets[b]) / len(exact_sets[a] | exact_sets[b])

    found_by = {name: near_duplicates(signatures) for name, (_, signatures) in results.items()}
    every_candidate = set().union(*(candidates for candidates, _ in found_by.values()))
    truth = {pair for pair in every_candidate if jaccard(*pair) >= THRESHOLD}
    lines = [
        f"{len(texts)} passages (snapshot x{options.factor}), {PERMUTATIONS} permutations, bands {BANDS} x {ROWS}, "
        f"threshold {THRESHOLD}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        "",
        f"Pairs whose exact Jaccard similarity reaches {THRESHOLD} (among every implementation's LSH candidates): "
        f"{len(truth)}.",
        "",
        "| implementation | seconds (best of " + str(options.repeat) + ") | time vs baseline | pairs found | "
        f"of the {len(truth)} true pairs | found with exact Jaccard < 0.5 | bias on candidates | mean abs. error |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base_seconds = next(iter(results.values()))[0]
    for name, (seconds, signatures) in results.items():
        candidates, found = found_by[name]
        matrix = np.asarray(signatures, dtype=np.uint64)
        errors = [float(np.mean(matrix[a] == matrix[b])) - jaccard(a, b) for a, b in candidates]
        false = sum(1 for pair in found if jaccard(*pair) < 0.5)
        lines.append(
            f"| {name} | {seconds:.2f} | {seconds / base_seconds:.2f} | {len(found)} | {len(truth & set(found))} | "
            f"{false} | {np.mean(errors):+.3f} | {np.mean(np.abs(errors)):.3f} |"
        )
    print("\n".join(lines))
    out = REPO / "benchmarks" / "results" / "minhash_libraries.md"
    out.write_text(
        "# MinHash implementations on the real snapshot (`benchmarks/minhash_libraries.py`)\n\n"
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
