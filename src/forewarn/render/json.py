"""Versioned JSON report. Schema (version 1; fields are only ever added):

{"version": 1, "tool": {"name": "forewarn", "version": str},
 "findings": [{"code", "name", "severity", "message", "path", "line", "column", "resource",
               "fingerprint": str (line-independent, as in baselines and SARIF),
               "notes"?: [str],
               "suppressed"?: str (the reason),
               "suppression"?: {"kind": "inline"|"file"|"annotation"|"config"|"baseline", "reason": str,
                                "location"?: "path:line", "until"?: "YYYY-MM-DD"}}],
 "summary": {"files": int, "resources": int, "by_severity": {sev: n}, "by_code": {code: n},
             "suppressed": int, "baselined": int, "helm_sources_skipped": [path],
             "partial_objects_skipped": [path],
             "context": {"root": str, "files": int} | null}}
Suppressed findings (also those the baseline hides) are listed with their reason but not counted in
by_severity/by_code.
"""
from __future__ import annotations

import json
from collections import Counter

from .. import __version__
from ..baseline import fingerprint

JSON_VERSION = 1


def render_json(result) -> str:
    active = [f for f in result.findings if f.suppressed is None]
    items = []
    baselined = 0
    for f in result.findings:
        data = f.as_dict()
        data["fingerprint"] = fingerprint(f, f.path, result.text_of(f.path))
        sup = result.suppression_for(f)
        if sup is not None:
            data["suppression"] = sup.as_dict()
            baselined += sup.kind == "baseline"
        items.append(data)
    data = {
        "version": JSON_VERSION,
        "tool": {"name": "forewarn", "version": __version__},
        "findings": items,
        "summary": {
            "files": result.files_read,
            "resources": result.resources,
            "by_severity": dict(Counter(str(f.severity) for f in active)),
            "by_code": dict(sorted(Counter(f.code for f in active).items())),
            "suppressed": len(result.findings) - len(active),
            "baselined": baselined,
            "helm_sources_skipped": result.helm_sources,
            "partial_objects_skipped": result.partial_objects,
            "context": {"root": result.context_root, "files": result.context_files} if result.context_root else None,
        },
    }
    return json.dumps(data, indent=2) + "\n"
