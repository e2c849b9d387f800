"""One scan, end to end: discover -> load (cached) -> index -> evaluate -> filter -> suppress -> baseline -> sort.

The CLI and the tests both call `run_scan`.

Targets and context. `paths` are what findings are reported for; `context` (a directory, usually the git
work tree) is what the cross-resource index is built from. pre-commit passes only the changed files, yet a
Deployment's Service, HPA or webhook may live in the next file, and a Terraform module spans its directory
and the templates its `templatefile()` calls read: with a context, every claimed file under it is loaded and
every rule runs over all of it, then only findings in the targets are kept — so a file gets the same verdict
from the hook as from a full scan. Without a context the targets are their own context.

Loading goes by *units*: the files of one directory are loaded together (`load.load` keeps a Terraform
module's files together); when loading a unit opens a file that belongs to another unit (a template in
`../templates`), the two are merged and loaded together, exactly as one `load()` over both would. Units
are what `.forewarn_cache/` stores (cache.py). Kustomize patches are marked across units afterwards, since
a kustomization may list patches in other directories.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .catalog import Catalog, load_catalog
from .context import Context
from .discover import Candidate, _excluded, discover, display_path, file_format
from .engine import active_rules, evaluate
from .findings import Finding
from .load import DEFAULT_MAX_BYTES, ScanInput, load

E_SUPPRESSION = ("E002", "E003", "E004")


@dataclass
class ScanOptions:
    paths: list[str] = field(default_factory=lambda: ["."])
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    rule_dirs: list[str] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    stdin_text: str | None = None
    stdin_filename: str | None = None
    # the directory whose files feed the cross-resource index; None: the paths alone
    context: str | None = None
    # the `.forewarn_cache` directory; None: no cache
    cache_dir: str | None = None
    report_unused: bool = False
    per_path_ignores: list[dict] = field(default_factory=list)  # from the config file
    config_path: str | None = None  # the config file (per-path-ignores are relative to its directory)
    baseline: str | None = None
    argocd_repo_urls: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)  # per-rule param overrides (used when run_scan loads the catalog)
    progress: Callable | None = None  # progress(stage, done, total)
    today: _dt.date | None = None  # suppression expiry is judged against this day (default: today)


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
    files: list[str] = field(default_factory=list)  # judged target files (one JUnit testsuite each)
    context_root: str | None = None
    context_files: int = 0  # files read for the index, targets included
    suppressions: dict = field(default_factory=dict)  # id(finding) -> suppress.Suppression
    baseline_path: str | None = None
    baseline_unmatched: int = 0  # baseline entries that matched nothing (fixed since)
    cache_hits: int = 0
    cache_misses: int = 0
    fail_on: str = "warning"

    def suppression_for(self, f: Finding):
        return self.suppressions.get(id(f))

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    def text_of(self, path: str) -> str | None:
        """The text of a reported file: what the scan read, else the file on disk (templates)."""
        if path in self.sources:
            return self.sources[path]
        cache = self.__dict__.setdefault("_disk_texts", {})
        if path not in cache:
            try:
                cache[path] = Path(path).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                cache[path] = None
        return cache[path]


# ------------------------------------------------------------------------------------------ discovery
def git_toplevel(path: Path) -> Path | None:
    """The work tree holding `path` (a `.git` directory or file, as in worktrees and submodules)."""
    path = path.resolve()
    for folder in (path if path.is_dir() else path.parent, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _rel_for_exclude(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _targets(options: ScanOptions, unreadable: list) -> tuple[list[Candidate], list[Path], list[str], Candidate | None]:
    """Target candidates, target roots (files and directories, resolved), missing paths, stdin candidate;
    directories that cannot be read are appended to `unreadable`."""
    candidates: list[Candidate] = []
    roots: list[Path] = []
    missing: list[str] = []
    stdin = None
    paths = list(options.paths)
    if "-" in paths:
        paths = [p for p in paths if p != "-"]
        name = options.stdin_filename or "stdin.yaml"
        fmt = file_format(name) or "yaml"
        display = display_path(Path(name)) if options.stdin_filename else name
        text = options.stdin_text or ""
        if text.startswith("\ufeff"):  # a BOM (Windows editors): files read from disk drop it too (utf-8-sig)
            text = text[1:]
        stdin = Candidate(None, display, fmt, text=text)
        candidates.append(stdin)
        if options.stdin_filename:
            roots.append(Path(os.path.abspath(name)))
    if paths:
        found = discover(paths, options.exclude)
        missing = found.missing
        unreadable.extend(found.unreadable)
        base = Path(options.context) if options.context else Path.cwd()
        explicit = {os.path.abspath(p) for p in paths if Path(p).is_file()} if options.exclude else set()
        for cand in found.files:
            if explicit and os.path.abspath(cand.path) in explicit:
                rel = _rel_for_exclude(cand.path, base)
                if _excluded(rel, cand.path.name, options.exclude):
                    continue  # pre-commit names files one by one: the config's exclude still holds
            candidates.append(cand)
        roots.extend(Path(os.path.abspath(p)) for p in paths if Path(p).exists())
    return candidates, roots, missing, stdin


def _cand_key(cand: Candidate) -> str:
    """The real path of a candidate (the stdin buffer stands for the file it is named after)."""
    if cand.path is not None:
        return os.path.abspath(cand.path)
    return os.path.abspath(cand.display) if cand.display != "stdin.yaml" else "<stdin>"


# ------------------------------------------------------------------------------------------ loading
class _Groups:
    """Union-find over directory keys: directories whose files must be loaded together."""

    def __init__(self, keys):
        self.parent = {k: k for k in keys}

    def find(self, k):
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a, b) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True

    def classes(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k in self.parent:
            out.setdefault(self.find(k), []).append(k)
        return out


def _merge(into: ScanInput, part: ScanInput) -> None:
    into.resources.extend(part.resources)
    into.problems.extend(part.problems)
    into.helm_sources.extend(part.helm_sources)
    into.partial_objects.extend(part.partial_objects)
    into.files_read += part.files_read
    into.sources.update(part.sources)


def _load_units(candidates: list[Candidate], options: ScanOptions, store, report) -> ScanInput:
    """Load (or read from the cache) every unit. The cyclic garbage collector is paused meanwhile: parsing
    and unpickling allocate a million small containers and nothing here makes cycles, yet each collection
    would walk them all again (unpickling a 5,000-file context takes 5x longer with it running)."""
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        return _load_units_gc_paused(candidates, options, store, report)
    finally:
        if paused:
            gc.enable()


def _load_units_gc_paused(candidates: list[Candidate], options: ScanOptions, store, report) -> ScanInput:
    from .cache import file_record, track_opens

    by_dir: dict[str, list[Candidate]] = {}
    dir_of: dict[str, str] = {}
    for cand in candidates:
        key = _cand_key(cand)
        d = os.path.dirname(key) if key != "<stdin>" else "<stdin>"
        by_dir.setdefault(d, []).append(cand)
        dir_of[key] = d
    groups = _Groups(sorted(by_dir))
    for a, b in _template_links(candidates, dir_of):
        groups.union(a, b)
    root = Path(options.context).resolve() if options.context else Path.cwd()

    def rel(d: str) -> str:
        if d == "<stdin>":
            return d
        try:
            return Path(d).relative_to(root).as_posix() or "."
        except ValueError:
            return d

    if store is not None:
        known = {rel(d): d for d in by_dir}
        for group in store.load_groups():
            present = [known[g] for g in group if g in known]
            for other in present[1:]:
                groups.union(present[0], other)
    results: dict[str, ScanInput] = {}
    merged_any = False
    while True:
        classes = groups.classes()
        todo = [c for c in sorted(classes) if c not in results]
        done_before = len(results)
        restart = False
        for number, cls in enumerate(todo, start=1):
            dirs = sorted(classes[cls])
            members = [c for d in dirs for c in by_dir[d]]
            keys = [_cand_key(c) for c in members]
            cacheable = store is not None and all(c.text is None for c in members)
            unit_id = "|".join(rel(d) for d in dirs)
            payload = store.get(unit_id, keys) if cacheable else None
            if payload is None:
                before = {k: file_record(k) for k in keys} if cacheable else {}
                started = time.time_ns()
                with track_opens() as opened:
                    payload = load(members, options.max_bytes)
                external = sorted(opened - set(keys))
                linked = set()
                for p in external:
                    d = dir_of.get(p) or dir_of.get(os.path.realpath(p))
                    if d is not None and groups.find(d) != cls:
                        linked.add(d)
                if linked:
                    for d in linked:
                        old = groups.find(d)
                        results.pop(old, None)
                        groups.union(cls, d)
                    results.pop(cls, None)
                    merged_any = True
                    restart = True
                    break
                if cacheable:
                    deps = {p: file_record(p) for p in external}
                    for chart in _chart_files(dirs):  # looked up with stat(), not open(): not seen above
                        deps.setdefault(chart, file_record(chart))
                    stable = all(_unchanged(k, rec) for k, rec in before.items()) and all(
                        rec is None or rec[1] < started for rec in deps.values())
                    if stable:
                        store.put(unit_id, before, deps, payload)
            results[cls] = payload
            if report:
                report("reading", done_before + number, len(classes))
        if not restart:
            break
    if store is not None and merged_any:
        store.save_groups([[rel(d) for d in dirs] for dirs in groups.classes().values() if len(dirs) > 1])
    out = ScanInput()
    for cls in sorted(results):
        _merge(out, results[cls])
    _kustomizations(candidates, out)
    return out


def _kustomizations(candidates: list[Candidate], out: ScanInput) -> None:
    """Across units, from one reading of the scan's kustomization files: the patch files they list are
    partial objects, and base objects their overlays patch are judged as rendered (model/kustomize)."""
    from .model import kustomize

    files = [c.path for c in candidates if c.path is not None and c.path.name in kustomize.NAMES]
    if not files:
        return
    displays = {os.path.normpath(os.path.abspath(c.path)): c.display for c in candidates if c.path is not None}
    kusts = kustomize.read_all(files, displays.get)
    _mark_kustomize_patches(candidates, out, {p for k in kusts.values() for p in k.patch_files})
    out.resources = kustomize.apply_overlays(kusts, out.resources)


def _chart_files(dirs: list[str]) -> list[str]:
    """Chart.yaml files whose presence decides whether YAML under a `templates/` directory is a Helm source."""
    out = []
    for d in dirs:
        parts = Path(d).parts
        for i, part in enumerate(parts):
            if part == "templates" and i > 0:
                chart_dir = os.path.join(*parts[:i])
                out += [os.path.join(chart_dir, "Chart.yaml"), os.path.join(chart_dir, "Chart.yml")]
    return out


def _unchanged(path: str, rec) -> bool:
    """The file still has the size and mtime it had when it was hashed before loading."""
    try:
        st = os.stat(path)
    except OSError:
        return rec is None
    return rec is not None and st.st_size == rec[0] and st.st_mtime_ns == rec[1]


_FILE_CALL = re.compile(r'\b(?:templatefile|file)\(\s*"((?:[^"\\]|\\.)*)"')


def _template_links(candidates: list[Candidate], dir_of: dict) -> list[tuple[str, str]]:
    """Directories that a .tf file's `templatefile("${path.module}/...")` literally points into.

    A cheap first guess, so a module and its `../templates` are loaded together from the start instead of
    once apart and again together; the files loading really opens remain the rule (see _load_units).
    """
    links = []
    for cand in candidates:
        if cand.format != "terraform" or cand.path is None:
            continue
        try:
            text = cand.path.read_text(encoding="utf-8", errors="replace") if cand.text is None else cand.text
        except OSError:
            continue
        if "file(" not in text:
            continue
        here = os.path.dirname(os.path.abspath(cand.path))
        for m in _FILE_CALL.finditer(text):
            target = m.group(1)
            for var in ("${path.module}", "${path.root}", "${path.cwd}"):
                target = target.replace(var, here)
            if "${" in target:
                continue
            full = os.path.normpath(os.path.join(here, target))
            other = dir_of.get(full)
            if other is not None and other != here:
                links.append((here, other))
    return links


def _mark_kustomize_patches(candidates: list[Candidate], out: ScanInput, patches: set) -> None:
    """Files a kustomization in another unit lists as patches: partial objects, as a single load() says."""
    if not patches:
        return
    by_path = {os.path.abspath(c.path): c.display for c in candidates if c.path is not None}
    displays = set()
    by_real = None
    for patch in patches:  # resolved paths; candidates are compared unresolved first (symlinks are rare)
        display = by_path.get(str(patch))
        if display is None and os.path.exists(patch):
            if by_real is None:
                by_real = {os.path.realpath(p): d for p, d in by_path.items()}
            display = by_real.get(str(patch))
        if display is not None:
            displays.add(display)
    hit = {r.path for r in out.resources if r.path in displays}
    if not hit:
        return
    out.resources = [r for r in out.resources if r.path not in hit]
    for display in sorted(hit):
        if display not in out.partial_objects:
            out.partial_objects.append(display)
        out.sources.pop(display, None)


# ------------------------------------------------------------------------------------------ the scan
def run_scan(options: ScanOptions, catalog: Catalog | None = None) -> ScanResult:
    catalog = catalog or load_catalog(options.rule_dirs, params=options.params or None)
    report = options.progress
    unreadable: list[tuple[str, str]] = []
    targets, roots, missing, stdin = _targets(options, unreadable)
    context_root = Path(options.context).resolve() if options.context else None
    candidates = list(targets)
    if context_root is not None:
        target_keys = {_cand_key(c) for c in targets}
        found = discover([str(context_root)], options.exclude) if context_root.is_dir() else None
        extra = [c for c in (found.files if found else []) if _cand_key(c) not in target_keys]
        candidates = extra + targets
    store = None
    if options.cache_dir:
        from .cache import CacheStore

        store = CacheStore(Path(options.cache_dir), salt=f"{os.getcwd()}|{options.max_bytes}")
        if not store.enabled:
            store = None
    loaded = _load_units(candidates, options, store, report)
    if store is not None and context_root is not None and stdin is None:
        store.prune()  # a full context was read: entries nobody asked for belong to deleted directories

    knowledge = dict(catalog.knowledge)
    project_root = context_root or (roots[0] if len(roots) == 1 and roots[0].is_dir() else Path.cwd())
    knowledge["project"] = {"root": str(project_root), "argocd_repo_urls": list(options.argocd_repo_urls)}
    ctx = Context.build(loaded.resources, knowledge)
    rules = active_rules(catalog, options.select, options.ignore)
    extra_rules = [r for r in catalog.ordered() if r not in rules and _extended(r, options)]
    rules = rules + extra_rules
    engine_rules = [r for r in rules if r.code not in E_SUPPRESSION]
    if report:
        findings = []
        for number, rule in enumerate(engine_rules, start=1):
            findings.extend(evaluate(ctx, [rule]))
            report("checking", number, len(engine_rules))
    else:
        findings = evaluate(ctx, engine_rules)
    if any(r.code == "E001" for r in rules) and "E001" in catalog.rules:
        e001 = catalog.get("E001")
        for problem in loaded.problems:
            findings.append(
                Finding(e001.code, e001.name, e001.severity, problem.message, problem.path,
                        problem.position.line, problem.position.column, resource=problem.path)
            )
        for directory, why in unreadable:  # a target directory we could not list: never a silent pass
            findings.append(Finding(e001.code, e001.name, e001.severity,
                                    f"cannot read directory: {why}; nothing in it was checked", directory, 1, 1,
                                    resource=directory))

    in_targets = _target_filter(roots, stdin) if context_root is not None else (lambda p: True)
    if context_root is not None:
        findings = [f for f in findings if in_targets(f.path) or _rendered_by_target(f, in_targets)]
    findings = _dedupe(findings)
    target_displays = {c.display for c in targets}
    resources = [r for r in loaded.resources
                 if in_targets(r.path) or any(in_targets(getattr(f, "display", "")) for f in getattr(r, "files", ()) or ())]
    result = ScanResult(
        findings=findings, catalog=catalog,
        files_read=loaded.files_read if context_root is None else sum(
            1 for c in targets if c.display not in loaded.helm_sources),
        resources=len(resources),
        helm_sources=[p for p in loaded.helm_sources if in_targets(p)],
        partial_objects=[p for p in loaded.partial_objects if in_targets(p)],
        missing=missing, sources=loaded.sources,
        files=sorted(p for p in loaded.sources if in_targets(p) or p in target_displays),
        context_root=str(context_root) if context_root else None,
        context_files=len(candidates),
        cache_hits=store.hits if store else 0, cache_misses=store.misses if store else 0,
    )
    _suppress(result, ctx, rules, options, in_targets, roots)
    if options.baseline:
        from .baseline import apply as apply_baseline
        from .baseline import load_baseline

        base = load_baseline(Path(options.baseline))
        marks, unmatched = apply_baseline(result.findings, base, result.text_of)
        result.suppressions.update(marks)
        result.baseline_path = str(options.baseline)
        result.baseline_unmatched = unmatched
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _extended(rule, options: ScanOptions) -> bool:
    """--extend-select: enabled rules by prefix, off-by-default ones by full code; never an ignored one."""
    if any(rule.code.startswith(p) for p in options.ignore):
        return False
    if rule.code == "E003" and options.report_unused:
        return True
    for p in options.extend_select:
        if rule.code == p or (rule.enabled and rule.code.startswith(p)):
            return True
    return False


def _target_filter(roots: list[Path], stdin) -> Callable[[str], bool]:
    memo: dict[str, bool] = {}
    stdin_display = stdin.display if stdin is not None else None
    texts = [str(r) for r in roots]

    def inside(display: str) -> bool:
        if display in memo:
            return memo[display]
        ok = display == stdin_display
        if not ok:
            p = os.path.abspath(display)
            ok = any(p == r or p.startswith(r + os.sep) for r in texts)
        memo[display] = ok
        return ok

    return inside


_NOTE_PATH = re.compile(r"([\w./\\-]+\.(?:tf|tftpl|tpl|toml|ya?ml)):\d+")


def _rendered_by_target(f: Finding, in_targets) -> bool:
    """A finding in a template is the business of the scanned file whose templatefile() call rendered it."""
    return any(in_targets(m.group(1)) for note in f.notes for m in _NOTE_PATH.finditer(note))


def _suppress(result: ScanResult, ctx, rules, options: ScanOptions, in_targets, roots) -> None:
    from . import suppress
    from .model.kubernetes import K8sObject

    directives = []
    paths = sorted({f.path for f in result.findings} | {p for p in result.sources if in_targets(p)})
    for path in paths:
        text = result.text_of(path)
        if text:
            directives.extend(suppress.comment_directives(path, text))
    objects = [r for r in ctx.resources if isinstance(r, K8sObject) and in_targets(r.path)]
    directives.extend(suppress.annotation_directives(objects))
    config_covered = True
    if options.per_path_ignores and options.config_path:
        cfg = Path(options.config_path).resolve()
        directives.extend(suppress.config_directives(options.per_path_ignores, display_path(cfg), cfg.parent))
        config_covered = any(r == cfg.parent or r in cfg.parent.parents for r in roots)
    codes = {r.code for r in rules}
    emit = {c for c in E_SUPPRESSION if c in codes}
    outcome = suppress.apply(result.findings, directives, result.catalog, codes, emit,
                             today=options.today, report_config_unused=config_covered)
    result.suppressions.update(outcome.suppressions)
    known = {(f.code, f.path, f.line, f.column, f.message) for f in result.findings}
    for f in outcome.findings:
        if (f.code, f.path, f.line, f.column, f.message) not in known:
            result.findings.append(f)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen = set()
    out = []
    for f in findings:
        key = (f.code, f.path, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
