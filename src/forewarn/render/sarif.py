"""SARIF 2.1.0 for code-scanning UIs: rule metadata with help from the rule docs, relative URIs."""
from __future__ import annotations

import json

from .. import __version__
from .docs import rule_markdown

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def fingerprint(f, text: str | None = None) -> str:
    """Stable across edits above the finding: code + path + resource + the offending text, not the line
    (the same fingerprint baselines use)."""
    from ..baseline import fingerprint as baseline_fingerprint

    return baseline_fingerprint(f, f.path, text)


def render_sarif(result) -> str:
    rules = result.catalog.ordered()
    index = {r.code: i for i, r in enumerate(rules)}
    driver_rules = []
    for r in rules:
        entry = {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": str(r.docs.get("what") or r.summary).strip()},
            "help": {"text": str(r.docs.get("fix") or r.summary).strip(), "markdown": rule_markdown(r)},
            "defaultConfiguration": {"level": _LEVEL[str(r.severity)], "enabled": r.enabled},
            "properties": {"tags": [r.code.rstrip("0123456789")]},
        }
        driver_rules.append(entry)
    results = []
    for f in result.findings:
        item = {
            "ruleId": f.code,
            "level": _LEVEL[str(f.severity)],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
                    },
                    "logicalLocations": [{"name": f.resource}] if f.resource else [],
                }
            ],
            "partialFingerprints": {"forewarn/v2": fingerprint(f, result.text_of(f.path))},
        }
        if f.code in index:
            item["ruleIndex"] = index[f.code]
        sup = result.suppression_for(f) if hasattr(result, "suppression_for") else None
        if f.suppressed is not None:
            kind = sup.sarif_kind if sup is not None else "inSource"
            item["suppressions"] = [{"kind": kind, "status": "accepted", "justification": f.suppressed}]
        if getattr(result, "baseline_path", None):
            item["baselineState"] = "unchanged" if sup is not None and sup.kind == "baseline" else "new"
        if not item["locations"][0]["logicalLocations"]:
            del item["locations"][0]["logicalLocations"]
        results.append(item)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "forewarn",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://github.com/forewarn/forewarn",
                        "rules": driver_rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the directory forewarn ran in"}}},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _uri(path: str) -> str:
    from urllib.parse import quote

    import os

    return quote(os.fsencode(path.replace("\\", "/")))  # bytes: a file name that is not UTF-8 stays exact
