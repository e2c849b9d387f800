"""Generate docs/rules.md from the rule pack: `python -m forewarn.docsgen > docs/rules.md`.

The pack is the single source: a test fails when docs/rules.md is stale.
"""
from __future__ import annotations

import sys

from .catalog import load_catalog
from .render.docs import rule_markdown

HEADER = """# forewarn rules

Generated from `rules/*.yaml` by `python -m forewarn.docsgen > docs/rules.md` — do not edit by hand.

| code | name | severity | summary |
|---|---|---|---|
"""


def generate() -> str:
    rules = load_catalog().ordered()
    rows = "".join(
        f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity}{'' if r.enabled else ' (off by default)'} | {r.summary} |\n"
        for r in rules
    )
    body = "\n".join(rule_markdown(r, heading="##") for r in rules)
    return HEADER + rows + "\n" + body


def main() -> int:
    sys.stdout.write(generate())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
