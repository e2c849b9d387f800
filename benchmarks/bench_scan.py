"""Wall time of forewarn against the parse-only time of the same YAML with yaml.CSafeLoader, in one run.

Usage: python benchmarks/bench_scan.py [CORPUS_DIR] [--repeat N]
Prints medians and the ratio forewarn / parse-only (ratios, not absolute times: machines are noisy).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "data"
SMALL = ROOT / "fixtures" / "demo" / "k8s" / "shop-api.yaml"


def parse_only(files: list[Path]) -> None:
    for path in files:
        try:
            list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError):
            pass  # the baseline only parses; forewarn reports these as E001 or skips them


def forewarn_cli(target: Path) -> None:
    subprocess.run([sys.executable, "-m", "forewarn", str(target), "--format", "json", "--fail-on", "never"],
                   stdout=subprocess.DEVNULL, check=True)


def python_startup() -> None:
    subprocess.run([sys.executable, "-c", "import yaml"], check=True)


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    corpus = Path(args.corpus)
    files = [p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    size = sum(p.stat().st_size for p in files)
    t_parse = timed(lambda: parse_only(files), args.repeat)
    t_scan = timed(lambda: forewarn_cli(corpus), args.repeat)
    t_small_parse = timed(lambda: (python_startup(), parse_only([SMALL])), args.repeat * 3)
    t_small = timed(lambda: forewarn_cli(SMALL), args.repeat * 3)
    print(f"corpus: {len(files)} YAML files, {size / 1e6:.1f} MB")
    print(f"  parse-only (CSafeLoader, in-process): {t_parse:.2f}s")
    print(f"  forewarn (whole scan, new process):   {t_scan:.2f}s  ratio {t_scan / t_parse:.2f}x")
    print(f"one small file ({SMALL.name}):")
    print(f"  python + import yaml + parse:        {t_small_parse * 1000:.0f}ms")
    print(f"  forewarn (new process):              {t_small * 1000:.0f}ms  ratio {t_small / t_small_parse:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
