"""How well can held-out champions cluster by subclass from this corpus at all?  Side by side.

The evaluation clusters the 37 held-out champion names into their 13 primary subclasses.  A
name can only carry what the corpus says about the champion, so this script scores, with the
evaluation's own k-means (``restarted_clustering``: V-measure, AMI, chance V-measure), the
representations a name could at best inherit:

* random vectors (chance);
* the base MiniLM's embedding of the bare names;
* the mean MiniLM embedding of each champion's train-split corpus chunks, names masked (what
  name inversion fits a name to);
* those description means projected by a linear discriminant fitted on the *training*
  champions' subclasses (a supervised map, the most a linear head could learn);
* the one-hot subclass with Gaussian noise of growing size (what real subclass signal scores).

    .venv/bin/python benchmarks/subclass_ceiling.py [--project DIR] [--snapshot ../shared/data/snapshot]

Results: benchmarks/results/subclass_ceiling.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from heldout_quality import build_project  # noqa: E402

RESTARTS = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, help="a built riftlab project (default: build the snapshot in a temp folder)"
    )
    parser.add_argument("--snapshot", type=Path, default=REPO.parent / "shared" / "data" / "snapshot")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "subclass_ceiling")
    args = parser.parse_args()
    if args.project is None:
        with tempfile.TemporaryDirectory(prefix="riftlab-ceiling-") as folder:
            run(build_project(args.snapshot, Path(folder)), args.out)
    else:
        run(args.project, args.out)


def run(project_dir: Path, out: Path) -> None:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from evaluation.mteb_tasks import restarted_clustering
    from training.bases import load_sentence_transformer, minilm_path
    from training.data import read_champions, read_chunks, read_mask_terms, split_rows
    from training.embed import masked_descriptions
    from training.steps.invert import description_targets
    from warehouse.project import Project

    project = Project.load(project_dir)
    con = project.connect(read_only=True)
    try:
        champions = read_champions(con)
        descriptions = masked_descriptions(
            champions, split_rows(read_chunks(con), "train"), read_mask_terms(con), project.config["vars"]["mask_token"]
        )
    finally:
        con.close()
    rows = champions.to_pylist()
    subclass = [(row["subclasses"] or [None])[0] for row in rows]
    split = [row["embedding_split"] for row in rows]
    heldout = [i for i, s in enumerate(split) if s == "heldout"]
    train = [i for i, s in enumerate(split) if s == "train" and descriptions[i] and subclass[i]]
    labels = [subclass[i] for i in heldout]

    model = load_sentence_transformer(minilm_path())
    names = model.encode([row["name"] for row in rows], normalize_embeddings=True, show_progress_bar=False)
    means = description_targets(model, descriptions, batch_size=64)
    rng = np.random.default_rng(0)
    representations = {
        "random vectors (chance)": rng.normal(size=(len(rows), names.shape[1])),
        "base MiniLM, bare names": names,
        "mean of the champion's masked corpus chunks": means,
    }
    for shrinkage in (0.3, 0.9):
        lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage).fit(
            means[train], [subclass[i] for i in train]
        )
        representations[f"those means, LDA fitted on training champions (shrinkage {shrinkage})"] = lda.transform(means)
    classes = sorted({s for s in subclass if s})
    one_hot = np.array([[s == c for c in classes] for s in subclass], dtype=float)
    for noise in (0.5, 1.0, 2.0):
        representations[f"one-hot subclass + noise {noise}"] = one_hot + noise * rng.normal(
            size=one_hot.shape
        ) / np.sqrt(2)

    results = []
    for label, vectors in representations.items():
        scores = restarted_clustering(np.asarray(vectors)[heldout], labels, RESTARTS)
        results.append({"representation": label, **{k: round(v, 3) for k, v in scores.items()}})
        print(
            f"{label:70s} V {scores['v_measure']:.3f}  AMI {scores['ami']:+.3f}  "
            f"chance V {scores['chance_v_measure']:.3f}",
            flush=True,
        )
    header = (
        "# Held-out subclass clustering: what this corpus can give a name (`benchmarks/subclass_ceiling.py`)\n\n"
        f"{len(heldout)} held-out champions, {len(set(labels))} primary subclasses; k-means as in "
        f"ChampionSubclassClustering ({RESTARTS} seeded restarts).\n\n"
        "| representation | V-measure | AMI | chance V-measure |\n| --- | ---: | ---: | ---: |\n"
    )
    body = "\n".join(
        f"| {r['representation']} | {r['v_measure']:.3f} | {r['ami']:+.3f} | {r['chance_v_measure']:.3f} |"
        for r in results
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(header + body + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written: {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
