"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff.

`::error file=PATH,line=N,col=N,title=CODE name::message` (warning -> `::warning`, info -> `::notice`),
escaped as the Actions toolkit does: `%`, CR and LF in the message; those and `:` and `,` in properties.
Suppressed findings are left out. GitHub shows a limited number of annotations per step: upload the SARIF
report too (action.yml does) for the complete list.
"""
from __future__ import annotations

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result) -> str:
    lines = []
    for f in result.findings:
        if f.suppressed is not None:
            continue
        props = ",".join([
            f"file={escape_property(f.path)}",
            f"line={max(1, f.line)}",
            f"col={max(1, f.column)}",
            f"title={escape_property(f'{f.code} {f.name}')}",
        ])
        message = f.message
        if f.resource and f.resource != f.path:
            message += f" [{f.resource}]"
        lines.append(f"::{_LEVEL[str(f.severity)]} {props}::{escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
