"""Renderers: each turns a ScanResult into text. Imported lazily so a `--format concise` run never loads rich."""
from __future__ import annotations

import importlib

_RENDERERS = {
    "text": ("text", "render_text"),
    "concise": ("concise", "render_concise"),
    "json": ("json", "render_json"),
    "sarif": ("sarif", "render_sarif"),
    "junit": ("junit", "render_junit"),
    "github": ("github", "render_github"),
}


def render(fmt: str, result, color: bool = False) -> str:
    module, name = _RENDERERS.get(fmt, _RENDERERS["text"])
    fn = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return fn(result, color=color) if fmt == "text" else fn(result)
