"""Tagger speed and memory: remarks/s, p50/p99 latency, pipeline load time and peak RSS,
for the full Scout tagger and, in the same run, a bare spacy.blank("en") tokenizer (the floor).

    python bench/tagger.py [--n 10000] [--json]

The corpus is the labeled development set and the channel chatter in tests/data, varied with
chat prefixes and suffixes (seeded, so every run tags the same texts) up to --n remarks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFIXES = ["", "", "fyi ", "heads up: ", "<@U024BE7LH> ", "quick one - ", "> "]
SUFFIXES = ["", "", " :eyes:", " - thoughts?", " (from the call today)", " <https://example.com/notes|notes>"]


def corpus(n: int) -> list[str]:
    base: list[str] = []
    dev = ROOT / "tests/data/dev.jsonl"
    chatter = ROOT / "tests/data/chatter.txt"
    if dev.exists():
        base += [json.loads(line)["text"] for line in dev.read_text().splitlines() if line.strip()]
    if chatter.exists():
        base += [line for line in chatter.read_text().splitlines() if line.strip()]
    if not base:
        base = ["they are frustrated with their payroll provider", "lunch is here", "new CFO starts next month"]
    rng = random.Random(7)
    return [rng.choice(PREFIXES) + rng.choice(base) + rng.choice(SUFFIXES) for _ in range(n)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label: str, fn: Callable[[str], object], texts: list[str]) -> dict:
    for text in texts[:200]:  # warm caches and lexemes
        fn(text)
    latencies = []
    start = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        fn(text)
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    latencies.sort()
    return {
        "pipeline": label,
        "remarks": len(texts),
        "remarks_per_s": round(len(texts) / total),
        "p50_ms": round(statistics.median(latencies) * 1000, 4),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import spacy

    from handlers.config import load_config
    from nlp.tagger import build_tagger

    texts = corpus(args.n)
    rss_before = peak_rss_mb()
    floor = spacy.blank("en")
    floor_result = measure('spacy.blank("en") tokenizer', floor.make_doc, texts)

    config = load_config(os.environ.get("SCOUT_CONFIG") or ROOT / "app.yaml")
    account = config.account("acme") or (config.accounts[0] if config.accounts else None)
    t0 = time.perf_counter()
    tagger = build_tagger(config.catalog)
    load_s = time.perf_counter() - t0
    scout_result = measure("Scout tagger", lambda text: tagger.tag(text, account), texts)
    scout_result["load_s"] = round(load_s, 3)
    ratio = floor_result["remarks_per_s"] / scout_result["remarks_per_s"]
    summary = {
        "results": [floor_result, scout_result],
        "slowdown_vs_floor": round(ratio, 2),
        "rss_before_mb": round(rss_before, 1),
        "python": sys.version.split()[0],
        "spacy": spacy.__version__,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{'pipeline':<30} {'remarks/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12}")
    for r in summary["results"]:
        print(f"{r['pipeline']:<30} {r['remarks_per_s']:>10} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['peak_rss_mb']:>12}")
    print(f"Scout pipeline load: {load_s:.3f} s; Scout is {ratio:.2f}x the tokenizer floor; {len(texts)} remarks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
