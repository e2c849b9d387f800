"""Pure evaluation: (resources, context, catalog, selection) -> findings. No I/O here."""
from __future__ import annotations

from .catalog import Catalog, Rule
from .checks import templates
from .context import Context
from .findings import Finding


class CheckCrashed(Exception):
    """A template raised: an internal error (exit 2) that names the rule and the file."""


def selected(code: str, select: list[str], ignore: list[str]) -> bool:
    if select and not any(code.startswith(p) for p in select):
        return False
    return not any(code.startswith(p) for p in ignore)


def active_rules(catalog: Catalog, select: list[str] = (), ignore: list[str] = ()) -> list[Rule]:
    """Enabled rules, plus disabled ones a user selected explicitly by their full code."""
    out = []
    for rule in catalog.ordered():
        if not selected(rule.code, list(select), list(ignore)):
            continue
        if rule.enabled or rule.code in select:
            out.append(rule)
    return out


def evaluate(ctx: Context, rules: list[Rule]) -> list[Finding]:
    fns = templates()
    by_format: dict[str, list] = {}
    for res in ctx.resources:
        by_format.setdefault(res.format, []).append(res)
    findings: list[Finding] = []
    for rule in rules:
        fn = fns[rule.template]
        kinds = rule.kinds
        for fmt in rule.formats:
            for res in by_format.get(fmt, ()):
                if kinds is not None and res.kind not in kinds:
                    continue
                try:
                    findings.extend(fn(res, ctx, rule))
                except Exception as exc:  # noqa: BLE001 - turned into a precise internal error
                    raise CheckCrashed(
                        f"rule {rule.code} ({rule.template}) crashed on {res.path} [{res.address}]: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
    return findings
