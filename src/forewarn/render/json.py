"""Versioned JSON report. Schema (version 1):

{"version": 1, "tool": {"name": "forewarn", "version": str},
 "findings": [{"code", "name", "severity", "message", "path", "line", "column", "resource",
               "notes"?: [str], "suppressed"?: str}],
 "summary": {"files": int, "resources": int, "by_severity": {sev: n}, "by_code": {code: n},
             "suppressed": int, "helm_sources_skipped": [path], "partial_objects_skipped": [path]}}
Suppressed findings are listed (with their reason) but not counted in by_severity/by_code.
"""
from __future__ import annotations

import json
from collections import Counter

from .. import __version__

JSON_VERSION = 1


def render_json(result) -> str:
    active = [f for f in result.findings if f.suppressed is None]
    data = {
        "version": JSON_VERSION,
        "tool": {"name": "forewarn", "version": __version__},
        "findings": [f.as_dict() for f in result.findings],
        "summary": {
            "files": result.files_read,
            "resources": result.resources,
            "by_severity": dict(Counter(str(f.severity) for f in active)),
            "by_code": dict(sorted(Counter(f.code for f in active).items())),
            "suppressed": len(result.findings) - len(active),
            "helm_sources_skipped": result.helm_sources,
            "partial_objects_skipped": result.partial_objects,
        },
    }
    return json.dumps(data, indent=2) + "\n"
