"""Meta-tests: the rule pack is complete and honest about itself."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, annotations, scan_text


def _all_annotations():
    expect, ok = set(), set()
    for path in FIXTURES.rglob("*"):
        if path.is_file():
            e, o = annotations(path)
            expect |= {c for c, _ in e}
            ok |= {c for c, _ in o}
    return expect, ok


def test_every_rule_has_expect_and_ok_fixtures(catalog):
    expect, ok = _all_annotations()
    missing_expect = sorted(set(catalog.rules) - expect)
    missing_ok = sorted(set(catalog.rules) - ok)
    assert not missing_expect, f"rules without an `# expect:` fixture: {missing_expect}"
    assert not missing_ok, f"rules without an `# ok:` fixture (the near-miss): {missing_ok}"


def test_codes_are_unique_and_names_kebab(catalog):
    names = [r.name for r in catalog.rules.values()]
    assert len(catalog.rules) >= 1
    for rule in catalog.rules.values():
        assert rule.source.endswith(f"{rule.code}.yaml"), f"{rule.source} must be named after its code"


def _rules(catalog):
    return sorted(catalog.rules.values(), key=lambda r: r.code)


def pytest_generate_tests(metafunc):
    if "rule_code" in metafunc.fixturenames:
        from forewarn.catalog import load_catalog

        metafunc.parametrize("rule_code", sorted(load_catalog().rules))


def test_docs_bad_snippet_fires(catalog, rule_code):
    rule = catalog.get(rule_code)
    name = rule.docs.get("filename", "snippet.yaml")
    result = scan_text(name, rule.docs["bad"], catalog, select=[rule.code])
    codes = [f.code for f in result.findings]
    assert rule.code in codes, f"{rule.code}: docs.bad does not trigger the rule (got {codes})"


def test_docs_good_snippet_is_clean(catalog, rule_code):
    rule = catalog.get(rule_code)
    name = rule.docs.get("filename", "snippet.yaml")
    result = scan_text(name, rule.docs["good"], catalog, select=[rule.code])
    assert not [f for f in result.findings if f.code == rule.code], f"{rule.code}: docs.good triggers the rule"
