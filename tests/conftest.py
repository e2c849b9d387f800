from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
ANNOTATION = re.compile(r"#\s*(expect|ok)\s*:\s*([A-Z0-9, ]+)")


@pytest.fixture(scope="session")
def catalog():
    from forewarn.catalog import load_catalog

    return load_catalog()


def scan_paths(paths, catalog=None, **kw):
    from forewarn.scan import ScanOptions, run_scan

    return run_scan(ScanOptions(paths=[str(p) for p in paths], **kw), catalog)


def scan_text(name: str, text: str, catalog=None, **kw):
    from forewarn.scan import ScanOptions, run_scan

    return run_scan(ScanOptions(paths=["-"], stdin_text=text, stdin_filename=name, **kw), catalog)


def annotations(path: Path):
    """(expected, forbidden): sets of (code, line) from `# expect: CODE` / `# ok: CODE` on the line above."""
    expected, forbidden = set(), set()
    for number, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), start=1):
        m = ANNOTATION.search(line)
        if not m:
            continue
        codes = [c.strip() for c in m.group(2).split(",") if c.strip()]
        target = expected if m.group(1) == "expect" else forbidden
        for code in codes:
            target.add((code, number + 1))
    return expected, forbidden
