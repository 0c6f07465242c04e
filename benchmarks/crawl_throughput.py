"""Crawl throughput: the DuckDB landing pipeline against a pipeline that discards items.

Serves N generated coaching guide pages (3 documents each) from the loopback fixture server in a
separate process, and crawls them, after a warm-up, with the
:class:`~crawlers.pipelines.DiscardPipeline` and the :class:`~crawlers.pipelines.LandingPipeline`.
Prints pages/s for both and exits 1 when their ratio is below ``--min-ratio`` (target 0.9: landing
must cost under 10% of crawl speed).

    python benchmarks/crawl_throughput.py [--pages 5000] [--min-ratio 0.9]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse import db  # noqa: E402


def generate_site(root: Path, pages: int) -> None:
    """An index linking to ``pages`` guide pages (paths a fixture server serves as folders)."""
    from rich.progress import track

    index = root / "lol" / "champions"
    index.mkdir(parents=True)
    (index / "index.html").write_text(
        "<html><body>" + "".join(f'<a href="champions/c{i}/build">c{i}</a>' for i in range(pages)) + "</body></html>"
    )
    for i in track(range(pages), description=f"generating {pages} pages", transient=True):
        sections = [
            {
                "heading": heading,
                "body": f"<p>Champion {i}: {heading.lower()} advice. "
                + "Trade when your cooldowns are up. " * 8
                + "</p>",
            }
            for heading in ("Overview", "Laning phase", "Team fights")
        ]
        state = {
            "props": {
                "pageProps": {
                    "guide": {
                        "champion": {"key": f"Champion{i}", "name": f"Champion {i}"},
                        "role": "Top",
                        "title": f"Champion {i} guide",
                        "sections": sections,
                    }
                }
            }
        }
        page = index / f"c{i}" / "build"
        page.mkdir(parents=True)
        (page / "index.html").write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Champion {i}</title></head>'
            f'<body><div id="__next"></div>'
            f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(state)}</script></body></html>'
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="crawls per pipeline (alternating order); best is kept")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--min-ratio", type=float, default=0.9)
    args = parser.parse_args()

    from crawlers.runner import CrawlSpec, run_crawls
    from warehouse.project import Project

    with tempfile.TemporaryDirectory(prefix="riftlab-bench-") as tmp:
        tmp = Path(tmp)
        generate_site(tmp / "site", args.pages)
        generate_site(tmp / "warmup", args.warmup)
        (tmp / "riftlab.yaml").write_text("name: bench\ncrawl:\n  log_level: ERROR\n")
        project = Project.load(tmp, tmp / "warehouse.duckdb")
        # The server gets its own process (and core): the crawler is what is measured.
        server = subprocess.Popen(
            [sys.executable, "-m", "crawlers.fixtures.server", str(tmp), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        try:
            base = server.stdout.readline().split(" at ")[-1].strip()
            start = [f"{base}/site/lol/champions"]
            specs = [CrawlSpec("coaching", [f"{base}/warmup/lol/champions"], pipeline="discard")]
            for round_ in range(args.rounds):
                # each landing crawl gets a fresh warehouse, so it lands every page (nothing is skipped as unchanged)
                pair = [
                    CrawlSpec("coaching", start, pipeline="discard"),
                    CrawlSpec("coaching", start, settings={"RIFTLAB_DB_PATH": str(tmp / f"warehouse-{round_}.duckdb")}),
                ]
                specs += pair if round_ % 2 == 0 else pair[::-1]
            results = run_crawls(project, specs)[1:]
        finally:
            server.terminate()
            server.wait()
        con = db.connect(tmp / "warehouse-0.duckdb", read_only=True)
        landed = con.execute("SELECT count(*) FROM raw.documents").fetchone()[0]
        con.close()

    best = {}
    for spec, result in zip(specs[1:], results, strict=False):
        name = "duckdb" if spec.pipeline == "landing" else "discard"
        rate = result.pages / result.seconds
        print(
            f"{name:8s} {result.pages:6d} pages  {result.items:6d} items  {result.seconds:6.2f}s  {rate:7.1f} pages/s"
        )
        best[name] = max(best.get(name, 0.0), rate)
    ratio = best["duckdb"] / best["discard"]
    print(
        f"best: discard {best['discard']:.1f} pages/s, duckdb {best['duckdb']:.1f} pages/s; "
        f"ratio {ratio:.3f} (target >= {args.min_ratio}); {landed} documents landed per crawl"
    )
    return 0 if ratio >= args.min_ratio and landed == 3 * args.pages else 1


if __name__ == "__main__":
    raise SystemExit(main())
