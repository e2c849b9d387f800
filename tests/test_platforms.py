"""Whole repositories: the incident demo finds every headline problem at its line; the clean platform nothing."""
from __future__ import annotations

from conftest import FIXTURES, annotations, scan_paths

DEMO = FIXTURES / "demo"
CLEAN = FIXTURES / "platforms" / "clean"


def test_clean_platform_has_no_finding(catalog):
    result = scan_paths([CLEAN], catalog)
    assert result.resources >= 10
    assert [f"{f.path}:{f.line} {f.code} {f.message}" for f in result.findings] == []


def test_demo_replays_every_incident_at_its_line(catalog):
    result = scan_paths([DEMO], catalog)
    got = {(f.path.rsplit("/", 1)[-1], f.code, f.line) for f in result.findings}
    expected = set()
    for path in DEMO.rglob("*"):
        if path.is_file():
            exp, _ = annotations(path)
            expected |= {(path.name, c, line) for c, line in exp}
    assert expected, "the demo must announce its findings"
    assert expected <= got, f"missing: {sorted(expected - got)}"
    assert got <= expected, f"unannounced: {sorted(got - expected)}"
