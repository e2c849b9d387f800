"""ApplicationSet generators, as far as the repository says: the parameter sets an ApplicationSet renders its
template with, and the template rendered with each.

Why: platform teams deploy their add-ons — Dapr among them, the incident 001 chart — from one
ApplicationSet whose list generator names each chart (`chart: '{{.chart}}'`, element `chart: dapr`). Left
templated, the chart is unknown and ARGO001 stays silent on exactly the incident. So:

- `list` elements are known parameter sets (nested values reachable as `.values.x` / `values.x`);
- `matrix` is the cartesian product of its two generators, `merge` and every other generator (clusters,
  git, SCM, pull requests, plugins) give parameters we do not know: their placeholders stay templated and
  whatever depends on them is skipped, never guessed;
- a placeholder is replaced only when it is a plain parameter reference: `{{.chart}}` / `{{ .chart }}`
  (goTemplate) or `{{chart}}` (the default fasttemplate); anything with a function or pipe stays templated.

Rendering copies the template's YAML tree with its positions, so findings still point at the template.
"""
from __future__ import annotations

import re

from ..parse.yamldoc import remap

MAX_SETS = 64
_PLACEHOLDER = re.compile(r"\{\{\s*(\.?)([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*\}\}")


def parameter_sets(spec) -> list[tuple[str, dict]]:
    """(label, parameters) per set the generators produce; one unlabelled empty set when unknown."""
    generators = spec.get("generators") if isinstance(spec, dict) else None
    if not isinstance(generators, list) or not generators:
        return [("", {})]
    out: list[tuple[str, dict]] = []
    for gen in generators:
        out.extend(_generate(gen, 0) or [("", {})])
    return out[:MAX_SETS]


def _generate(gen, depth: int) -> list[tuple[str, dict]] | None:
    if not isinstance(gen, dict) or depth > 3:
        return None
    if isinstance(gen.get("list"), dict):
        elements = gen["list"].get("elements")
        if not isinstance(elements, list):
            return None
        sets = []
        for i, element in enumerate(elements):
            if isinstance(element, dict):
                sets.append((_label(element, i), dict(element)))
        return sets or None
    if isinstance(gen.get("matrix"), dict):
        children = gen["matrix"].get("generators")
        if not isinstance(children, list) or len(children) != 2:
            return None
        left = _generate(children[0], depth + 1) or [("", {})]
        right = _generate(children[1], depth + 1) or [("", {})]
        return [(" × ".join(x for x in (a, b) if x), {**pa, **pb}) for a, pa in left for b, pb in right][:MAX_SETS]
    return None


def _label(element: dict, index: int) -> str:
    for key in ("name", "app", "chart", "cluster", "env"):
        value = element.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return f"{key}={value}"
    return f"element {index}"


def render(node, params: dict):
    """A copy of a template subtree with the known parameters substituted (positions kept)."""
    if not params:
        return node
    return remap(node, lambda p: p, lambda v: _substitute(v, params) if isinstance(v, str) and "{{" in v else v)


def _substitute(text: str, params: dict) -> str:
    def one(m):
        value = _lookup(params, m.group(2))
        if value is None or isinstance(value, (dict, list)):
            return m.group(0)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _PLACEHOLDER.sub(one, text)


def _lookup(params: dict, dotted: str):
    value = params
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
