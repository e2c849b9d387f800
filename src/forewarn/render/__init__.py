"""Renderers: each turns a ScanResult into text. Imported lazily so a `--format concise` run never loads rich."""
from __future__ import annotations


def render(fmt: str, result, color: bool = False) -> str:
    if fmt == "concise":
        from .concise import render_concise

        return render_concise(result)
    if fmt == "json":
        from .json import render_json

        return render_json(result)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(result)
    from .text import render_text

    return render_text(result, color=color)
