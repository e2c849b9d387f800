"""`path:line:col: severity CODE message` — one line a finding, what editors' problem matchers read."""
from __future__ import annotations


def render_concise(result) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.severity} {f.code} {f.message}"
        for f in result.findings
        if f.suppressed is None
    ]
    return "\n".join(lines) + ("\n" if lines else "")
