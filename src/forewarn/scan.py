"""One scan, end to end: discover -> load -> index -> evaluate -> sort. The CLI and tests both call this."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog, load_catalog
from .context import Context
from .discover import Candidate, discover, display_path, file_format
from .engine import active_rules, evaluate, selected
from .findings import Finding
from .load import DEFAULT_MAX_BYTES, load


@dataclass
class ScanOptions:
    paths: list[str] = field(default_factory=lambda: ["."])
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    rule_dirs: list[str] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    stdin_text: str | None = None
    stdin_filename: str | None = None


@dataclass
class ScanResult:
    findings: list[Finding]
    catalog: Catalog
    files_read: int = 0
    resources: int = 0
    helm_sources: list[str] = field(default_factory=list)
    partial_objects: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def run_scan(options: ScanOptions, catalog: Catalog | None = None) -> ScanResult:
    catalog = catalog or load_catalog(options.rule_dirs)
    candidates: list[Candidate] = []
    missing: list[str] = []
    paths = list(options.paths)
    if "-" in paths:
        paths.remove("-")
        name = options.stdin_filename or "stdin.yaml"
        fmt = file_format(name) or "yaml"
        candidates.append(Candidate(None, display_path(Path(name)) if options.stdin_filename else name, fmt,
                                    text=options.stdin_text or ""))
    if paths:
        found = discover(paths, options.exclude)
        candidates.extend(found.files)
        missing = found.missing
    loaded = load(candidates, options.max_bytes)
    ctx = Context.build(loaded.resources, catalog.knowledge)
    rules = active_rules(catalog, options.select, options.ignore)
    findings = evaluate(ctx, rules)
    if selected("E001", options.select, options.ignore) and "E001" in catalog.rules:
        e001 = catalog.get("E001")
        for problem in loaded.problems:
            findings.append(
                Finding(e001.code, e001.name, e001.severity, problem.message, problem.path,
                        problem.position.line, problem.position.column, resource=problem.path)
            )
    findings = _dedupe(findings)
    findings.sort(key=lambda f: f.sort_key)
    return ScanResult(
        findings=findings, catalog=catalog, files_read=loaded.files_read, resources=len(loaded.resources),
        helm_sources=loaded.helm_sources, partial_objects=loaded.partial_objects, missing=missing,
        sources=loaded.sources,
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen = set()
    out = []
    for f in findings:
        key = (f.code, f.path, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
