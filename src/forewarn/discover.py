"""Which files forewarn reads, and as what.

Extensions claim a file (`.tf`, `.yaml`/`.yml`, `.toml`/`.tpl`/`.tftpl`); content then decides whether it
is judged (Kubernetes objects, Bottlerocket settings). Helm chart sources and kustomize patches are
recognised up front so they are never reported as broken.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = {".git", ".terraform", "node_modules", ".forewarn_cache", "__pycache__", ".venv", ".tox"}
YAML_EXT = (".yaml", ".yml")
TOML_EXT = (".toml", ".tpl", ".tftpl")
TF_EXT = (".tf",)


def file_format(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(TF_EXT):
        return "terraform"
    if lower.endswith(YAML_EXT) or name == "Kustomization":  # kustomize's third accepted file name
        return "yaml"
    if lower.endswith(TOML_EXT):
        return "toml"
    return None


@dataclass
class Candidate:
    path: Path  # real path on disk (None-like for stdin)
    display: str  # how findings name it (relative to the working directory when possible)
    format: str
    text: str | None = None  # given for stdin


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (directory, why): E001, never silence


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def _excluded(rel: str, name: str, excludes: list[str]) -> bool:
    for pattern in excludes:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(rel, pattern + "/*"):
            return True
        if fnmatch.fnmatch(rel, "*/" + pattern) or fnmatch.fnmatch(rel, "*/" + pattern + "/*"):
            return True
    return False


def discover(paths: list[str], excludes: list[str] = ()) -> Discovery:
    """Walk `paths` (files are taken even when their extension is unusual only if claimed)."""
    out = Discovery()
    seen: set[Path] = set()
    excludes = list(excludes)
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            out.missing.append(raw)
            continue
        if root.is_file():
            fmt = file_format(root.name)
            if fmt and root.resolve() not in seen:
                seen.add(root.resolve())
                out.files.append(Candidate(root, display_path(root), fmt))
            continue
        def unreadable(err: OSError, root=root) -> None:
            out.unreadable.append((display_path(Path(err.filename or root)), err.strerror or str(err)))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
            rel_dir = os.path.relpath(dirpath, root)
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS and not _excluded(os.path.normpath(os.path.join(rel_dir, d)), d, excludes)
            )
            for name in sorted(filenames):
                fmt = file_format(name)
                if not fmt:
                    continue
                rel = os.path.normpath(os.path.join(rel_dir, name))
                if _excluded(rel, name, excludes):
                    continue
                path = Path(dirpath) / name
                if not _regular(path):
                    continue  # a named pipe or socket called x.yaml: reading it would block
                resolved = path.resolve()
                if resolved in seen:
                    continue
                seen.add(resolved)
                out.files.append(Candidate(path, display_path(path), fmt))
    return out


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True  # unreadable or dangling: loading reports it (E001 "cannot read")


def is_helm_template_source(path: Path) -> bool:
    """A file under `templates/` of a directory holding `Chart.yaml`: Go templates, not YAML yet."""
    parts = Path(os.path.abspath(path)).parts
    for i in range(len(parts) - 1, 0, -1):
        if parts[i] == "templates" and _is_chart_dir(Path(*parts[:i])):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _is_chart_dir(directory: Path) -> bool:
    return (directory / "Chart.yaml").is_file() or (directory / "Chart.yml").is_file()
