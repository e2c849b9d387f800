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


def test_rule_files_are_named_after_codes_and_names_are_kebab(catalog):
    import re

    assert len(catalog.rules) >= 1
    for rule in catalog.rules.values():
        assert rule.source.endswith(f"{rule.code}.yaml"), f"{rule.source} must be named after its code"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), f"{rule.code}: name {rule.name!r} is not kebab-case"


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


def test_builtin_pack_validates_and_its_stamp_is_current(tmp_path):
    """Every rule file validates against rules/schema.json; the stamp that lets start-up skip
    jsonschema is the digest of exactly this validated pack (regenerate: see the assertion message)."""
    import json

    import jsonschema

    from forewarn.catalog import builtin_rules_dir, pack_digest
    from forewarn.parse.yamldoc import load_stream

    base = builtin_rules_dir()
    validator = jsonschema.Draft202012Validator(json.loads((base / "schema.json").read_text()))
    for path in sorted(base.glob("*.yaml")):
        errors = list(validator.iter_errors(load_stream(path.read_text())[0].data))
        assert not errors, f"{path.name}: {errors[0].message}"
    stamp = (base / "validated.sha256").read_text().strip()
    assert stamp == pack_digest(base), (
        "rules/validated.sha256 is stale: run "
        "`python -c 'from forewarn.catalog import *; print(pack_digest(builtin_rules_dir()))' > rules/validated.sha256`"
    )


def test_an_edited_pack_is_validated_again(tmp_path, monkeypatch):
    import shutil

    from forewarn import catalog as cat

    pack = tmp_path / "rules"
    shutil.copytree(cat.builtin_rules_dir(), pack)
    assert cat.builtin_pack_is_validated(pack)
    (pack / "E001.yaml").write_text((pack / "E001.yaml").read_text().replace("severity: error", "severity: fatal"))
    assert not cat.builtin_pack_is_validated(pack)
    monkeypatch.setattr(cat, "builtin_rules_dir", lambda: pack)
    with pytest.raises(cat.CatalogError, match=r"E001.yaml:3:\d+: invalid rule at severity"):
        cat.load_catalog()
