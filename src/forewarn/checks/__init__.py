"""Check templates: Python functions that rules (YAML under rules/) bind to with params.

A template is `fn(resource, ctx, rule) -> Iterable[Finding]`, registered with `@template(name)`.
The modules are listed here explicitly — no discovery by import side effects, so a reader sees
every template that exists, and start-up imports nothing it does not list.
"""
from __future__ import annotations

from typing import Callable

_TEMPLATES: dict[str, Callable] = {}
_MODULES = ("input", "bottlerocket", "karpenter", "terraform", "workloads", "webhooks", "argocd")
_loaded = False


def template(name: str):
    def register(fn):
        if name in _TEMPLATES:
            raise ValueError(f"template {name!r} registered twice")
        _TEMPLATES[name] = fn
        return fn

    return register


def templates() -> dict[str, Callable]:
    global _loaded
    if not _loaded:
        import importlib

        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True
    return _TEMPLATES
