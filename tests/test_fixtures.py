"""The fixture is the test: every `# expect: CODE` must fire on the next line, every `# ok: CODE` must not.

A fixture directory is scanned as one unit (a Deployment and its Service may sit in two files), and every
finding a fixture produces must be announced by an `expect` annotation: no surprise findings.
"""
from __future__ import annotations

import pytest

from conftest import FIXTURES, annotations, scan_paths

WHOLE_REPOS = {"demo", "platforms"}  # scanned whole by test_platforms.py
CASES = sorted(p for p in FIXTURES.glob("*/*") if p.is_dir() and p.parent.name not in WHOLE_REPOS)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case, catalog):
    files = [p for p in sorted(case.rglob("*")) if p.is_file()]
    # rules off by default are switched on for their own fixtures
    opt_in = {"K8S007": {"select": ["K8S007"]}, "E003": {"report_unused": True}}
    result = scan_paths([case], catalog, **opt_in.get(case.parent.name, {}))
    got = {(f.path.split("/")[-1], f.code, f.line) for f in result.findings if f.suppressed is None}
    expected, forbidden = set(), set()
    for path in files:
        exp, forb = annotations(path)
        expected |= {(path.name, c, line) for c, line in exp}
        forbidden |= {(path.name, c, line) for c, line in forb}
    assert expected or forbidden, f"{case}: annotate with `# expect: CODE` or `# ok: CODE`"
    missing = expected - got
    assert not missing, f"expected findings not produced: {sorted(missing)}; got {sorted(got)}"
    assert not (forbidden & got), f"findings that must not fire: {sorted(forbidden & got)}"
    # No surprises: every finding of the fixture's own rule family must be announced.
    unannounced = {g for g in got if g not in expected}
    assert not unannounced, f"unannounced findings: {sorted(unannounced)}"
