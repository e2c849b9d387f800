"""First vs second pre-commit run on a generated repository (default 5,000 files).

    python benchmarks/bench_cache.py [N=5000] [--keep DIR] [--repeat 3]

Each run is a fresh `forewarn FILE --format concise` process, as the pre-commit hook starts it: findings for
one changed Deployment, the whole work tree as context. Measured (wall time, median of --repeat):
  cold       no .forewarn_cache/ (the first run after clone, or after a forewarn upgrade)
  warm       nothing changed since the last run
  edited     the named file was edited since the last run (the usual pre-commit case)
  no-cache   --no-cache (what every run would cost without the cache)
and the same for a full scan (`forewarn .`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_repo import generate, git_init  # noqa: E402


def run(repo: Path, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "forewarn", *args, "--format", "concise"], cwd=repo,
                          capture_output=True, text=True, env=dict(os.environ, CI="1"))
    elapsed = time.perf_counter() - start
    if proc.returncode == 2:
        raise SystemExit(f"forewarn failed: {proc.stderr}")
    return elapsed


def measure(repo: Path, target: list[str], edited: Path, repeat: int) -> dict[str, float]:
    cache = repo / ".forewarn_cache"
    out: dict[str, list[float]] = {"cold": [], "warm": [], "edited": [], "no-cache": []}
    for _ in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        out["cold"].append(run(repo, *target))
        out["warm"].append(run(repo, *target))
        edited.write_text(edited.read_text() + f"# touched {time.time_ns()}\n")
        out["edited"].append(run(repo, *target))
        out["no-cache"].append(run(repo, *target, "--no-cache"))
    return {k: statistics.median(v) for k, v in out.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="?", type=int, default=5000)
    p.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="forewarn-bench-"))
    repo = base / "repo"
    if not repo.exists():
        count = generate(repo, args.files)
        git_init(repo)
    else:
        count = sum(1 for _ in repo.rglob("*") if _.is_file() and ".git" not in _.parts and ".forewarn_cache" not in _.parts)
    target = sorted(str(p.relative_to(repo)) for p in (repo / "apps").rglob("deployment.yaml"))[13]
    print(f"repository: {repo} ({count} files); python {sys.version.split()[0]}; {os.cpu_count()} CPU(s)")
    print(f"{'command':<58} {'cold':>7} {'warm':>7} {'edited':>7} {'no-cache':>9} {'cold/warm':>9}")
    for label, cmd in ((f"forewarn {target}", [target]), ("forewarn .", ["."])):
        t = measure(repo, cmd, repo / target, args.repeat)
        print(f"{label:<58} {t['cold']:6.2f}s {t['warm']:6.2f}s {t['edited']:6.2f}s {t['no-cache']:8.2f}s "
              f"{t['cold'] / t['warm']:8.1f}x")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
