"""The cross-resource index is built once and stays linear: 4x the objects must cost far less than 16x."""
from __future__ import annotations

import importlib.util
import time

from conftest import ROOT, scan_paths

spec = importlib.util.spec_from_file_location("gen_objects", ROOT / "benchmarks" / "gen_objects.py")
gen_objects = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_objects)


def _timed_scan(path, catalog):
    start = time.perf_counter()
    result = scan_paths([path], catalog)
    return time.perf_counter() - start, result


def test_scan_cost_is_linear_in_objects(tmp_path, catalog):
    small, large = tmp_path / "small", tmp_path / "large"
    gen_objects.generate(small, 2_000)
    gen_objects.generate(large, 8_000)
    t_small, r_small = _timed_scan(small, catalog)
    t_large, r_large = _timed_scan(large, catalog)
    assert r_small.resources == 2_000 and r_large.resources == 8_000
    # every generated app fights its HPA (replicas: 2 + an HPA): the index must find all of them
    assert sum(f.code == "K8S008" for f in r_large.findings) == 2_000
    # linear would be 4x; quadratic 16x. Allow noise on a shared machine.
    assert t_large / t_small < 8, f"{t_small:.2f}s for 2k objects, {t_large:.2f}s for 8k"
