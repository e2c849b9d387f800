"""Documentation that cannot drift: docs/rules.md is generated from the pack, README lists every rule."""
from __future__ import annotations

from conftest import ROOT


def test_rules_md_is_current():
    from forewarn.docsgen import generate

    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == generate(), "docs/rules.md is stale: run `python -m forewarn.docsgen > docs/rules.md`"


def test_readme_names_every_rule(catalog):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [code for code in catalog.rules if f"`{code}`" not in readme]
    assert not missing, f"README.md does not list {missing}"
