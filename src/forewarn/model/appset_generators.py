"""ApplicationSet generators, as far as the repository says: the parameter sets an ApplicationSet renders its
template with, and the template rendered with each.

Why: platform teams deploy their add-ons — Dapr among them, the incident 001 chart — from one
ApplicationSet whose list generator names each chart (`chart: '{{.chart}}'`, element `chart: dapr`). Left
templated, the chart is unknown and ARGO001 stays silent on exactly the incident. So:

- `list` elements are known parameter sets (nested values reachable as `.values.x` / `values.x`);
- a `clusters` generator's `values` are known (the cluster's name and server are not);
- `git` `directories` / `files` generators read this repository (the scan root), when the repo holds the
  paths: each matching directory (`path.path`, `path.basename`...) or each JSON/YAML file's keys;
- `matrix` is the cartesian product of its two generators; a `selector` keeps the sets it matches;
- `merge` gives the first generator's sets and each of them overridden by a later generator's set (which
  clusters a merge key matches is unknown, so every such rendering may exist);
- every other generator (SCM, pull requests, plugins) gives parameters we do not know: their
  placeholders stay templated and whatever depends on them is skipped, never guessed;
- a placeholder is replaced only when it is a plain parameter reference: `{{.chart}}` / `{{ .chart }}`
  (goTemplate) or `{{chart}}` (the default fasttemplate); anything with a function or pipe stays templated.

Rendering copies the template's YAML tree with its positions, so findings still point at the template.
"""
from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

from ..parse.yamldoc import remap

MAX_SETS = 64
_PLACEHOLDER = re.compile(r"\{\{\s*(\.?)([A-Za-z_][\w-]*(?:\[\d+\])?(?:\.[A-Za-z_][\w-]*)*)\s*\}\}")


def parameter_sets(spec, repo: Path | None = None) -> list[tuple[str, dict]]:
    """(label, parameters) per set the generators produce; one unlabelled empty set when unknown.
    `repo`: the repository root git generators read (None: they are unknown)."""
    generators = spec.get("generators") if isinstance(spec, dict) else None
    if not isinstance(generators, list) or not generators:
        return [("", {})]
    go = spec.get("goTemplate") is True
    out: list[tuple[str, dict]] = []
    for gen in generators:
        out.extend(_generate(gen, 0, repo, go) or [("", {})])
    return out[:MAX_SETS]


def _generate(gen, depth: int, repo, go: bool) -> list[tuple[str, dict]] | None:
    sets = _generate_unfiltered(gen, depth, repo, go)
    selector = gen.get("selector") if isinstance(gen, dict) else None
    if sets is None or not isinstance(selector, dict):
        return sets
    from .kubernetes import selector_matches

    kept = []
    for label, params in sets:  # the post-selector keeps the parameter sets it matches
        matched = selector_matches(selector, _flat(params))
        if matched is None:
            kept.append(("", {}))  # cannot tell: that Application is unknown
        elif matched:
            kept.append((label, params))
    return kept


def _flat(params: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, bool):
            out[f"{prefix}{key}"] = "true" if value else "false"
        elif value is not None:
            out[f"{prefix}{key}"] = str(value)
    return out


def _generate_unfiltered(gen, depth: int, repo, go: bool) -> list[tuple[str, dict]] | None:
    if not isinstance(gen, dict) or depth > 3:
        return None
    if isinstance(gen.get("clusters"), dict):
        values = gen["clusters"].get("values")
        return [("clusters", {"values": dict(values)})] if isinstance(values, dict) and values else None
    if isinstance(gen.get("git"), dict) and repo is not None:
        return _git(gen["git"], repo, go)
    if isinstance(gen.get("list"), dict):
        elements = gen["list"].get("elements")
        if not isinstance(elements, list):
            return None
        sets = []
        for i, element in enumerate(elements):
            if isinstance(element, dict):
                sets.append((_label(element, i), dict(element)))
        return sets or None
    if isinstance(gen.get("merge"), dict):
        # the first generator's sets, each possibly overridden by a later generator's matching set (which
        # clusters match is unknown): every such rendering may exist
        children = gen["merge"].get("generators")
        if not isinstance(children, list) or not children:
            return None
        base = _generate(children[0], depth + 1, repo, go)
        if not base:
            return None
        out = list(base)
        for child in children[1:]:
            for label, over in _generate(child, depth + 1, repo, go) or []:
                out.extend((" + ".join(x for x in (b, label) if x), _merged(params, over)) for b, params in base)
        return out[:MAX_SETS]
    if isinstance(gen.get("matrix"), dict):
        children = gen["matrix"].get("generators")
        if not isinstance(children, list) or len(children) != 2:
            return None
        left = _generate(children[0], depth + 1, repo, go) or [("", {})]
        right = _generate(children[1], depth + 1, repo, go) or [("", {})]
        return [(" × ".join(x for x in (a, b) if x), {**pa, **pb}) for a, pa in left for b, pb in right][:MAX_SETS]
    return None


def _git(git: dict, repo: Path, go: bool) -> list[tuple[str, dict]] | None:
    """Directories or files of this repository that a git generator matches (Argo's path.Match globs)."""
    if isinstance(git.get("directories"), list):
        include = [d.get("path") for d in git["directories"] if isinstance(d, dict) and not d.get("exclude")]
        exclude = [d.get("path") for d in git["directories"] if isinstance(d, dict) and d.get("exclude")]
        found = sorted({p for pat in include if isinstance(pat, str) for p in _glob(repo, pat) if p.is_dir()})
        found = [p for p in found if not any(isinstance(x, str) and fnmatch.fnmatch(_rel(p, repo), x) for x in exclude)]
        return [(f"path={_rel(p, repo)}", _path_params(_rel(p, repo), go)) for p in found][:MAX_SETS] or None
    if isinstance(git.get("files"), list):
        sets = []
        for item in git["files"]:
            pattern = item.get("path") if isinstance(item, dict) else None
            if not isinstance(pattern, str) or item.get("exclude"):
                continue
            for p in sorted(_glob(repo, pattern)):
                data = _read_data(p)
                for element in data if isinstance(data, list) else [data]:
                    if isinstance(element, dict):
                        rel = _rel(p.parent, repo)
                        params = {**(element if go else _flat(element)), **_path_params(rel, go)}
                        sets.append((f"file={_rel(p, repo)}", params))
        return sets[:MAX_SETS] or None
    return None


def _glob(repo: Path, pattern: str) -> list[Path]:
    pattern = pattern.strip().lstrip("/")
    if not pattern or ".." in pattern.split("/"):
        return []
    try:
        return [p for p in repo.glob(pattern) if repo in p.resolve().parents]
    except (OSError, ValueError):
        return []


def _rel(path: Path, repo: Path) -> str:
    return path.resolve().relative_to(repo.resolve()).as_posix()


def _path_params(rel: str, go: bool) -> dict:
    base = rel.rsplit("/", 1)[-1]
    normalized = re.sub(r"[^a-zA-Z0-9-]", "-", base).lower()
    if go:
        return {"path": {"path": rel, "basename": base, "basenameNormalized": normalized,
                         "segments": rel.split("/")}}
    params = {"path": rel, "path.basename": base, "path.basenameNormalized": normalized}
    params.update({f"path[{i}]": seg for i, seg in enumerate(rel.split("/"))})
    return params


def _read_data(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, Exception):  # noqa: BLE001 - unreadable: unknown
        return None


def _merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


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
    if dotted in params and not isinstance(params[dotted], dict):  # fasttemplate's flat `path.basename`
        return params[dotted]
    value = params
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
