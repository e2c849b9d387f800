"""JUnit XML, as GitLab (`artifacts:reports:junit`), Jenkins and Azure DevOps read it.

One `<testsuite>` per judged file, one `<testcase>` per finding: a `<failure>` when its severity is at or
above --fail-on (the findings that fail the job), a passing test with the message in `<system-out>` below
it, `<skipped>` when a suppression or the baseline accepts it. A file without findings gets one passing
test, so the report also shows what was checked.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..findings import Severity

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def render_junit(result) -> str:
    threshold = None if result.fail_on == "never" else Severity.parse(result.fail_on)
    by_file: dict[str, list] = {path: [] for path in result.files}
    for f in result.findings:
        by_file.setdefault(f.path, []).append(f)
    root = ET.Element("testsuites", name="forewarn")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for path in sorted(by_file):
        findings = sorted(by_file[path], key=lambda f: f.sort_key)
        suite = ET.SubElement(root, "testsuite", name=_clean(path))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        if not findings:
            ET.SubElement(suite, "testcase", name="forewarn", classname=_clean(path), file=_clean(path), time="0")
            counts["tests"] += 1
        for f in findings:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", name=_clean(f"{f.code} {f.name} at {f.line}:{f.column}"),
                                 classname=_clean(path), file=_clean(path), line=str(f.line), time="0")
            rule = result.catalog.rules.get(f.code)
            body = f"{f.path}:{f.line}:{f.column}: {f.severity} {f.code} {f.message}"
            if f.resource:
                body += f"\nresource: {f.resource}"
            if rule is not None:
                body += f"\nhelp: {rule.summary} (forewarn explain {f.code})"
            if f.suppressed is not None:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_clean(f"suppressed: {f.suppressed}"))
            elif threshold is not None and f.severity >= threshold:
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", message=_clean(f.message), type=str(f.severity))
                failure.text = _clean(body)
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _clean(body)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
