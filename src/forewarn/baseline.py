"""Baselines: adopt forewarn on an old repository without fixing its 400 findings first.

`forewarn baseline [PATH]` writes `.forewarn-baseline.json`; `--baseline FILE` (or `baseline = ...` in the
config) hides the findings it lists, while any new finding still fails.

A finding is recognised by a fingerprint of code + path + resource address + a hash of the offending value
(the rule's `snippet` when it set one, else the offending line's text without whitespace and trailing
comment) — never the line number, so edits above a finding do not resurrect it. Paths are stored relative
to the baseline file, so the file works from any working directory. Matching counts duplicates: two equal
findings in the baseline hide two, not three. The file is sorted and carries no timestamp, so regenerating
it gives a reviewable diff.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

BASELINE_NAME = ".forewarn-baseline.json"
VERSION = 1
_TRAILING_COMMENT = re.compile(r"\s(#|//).*$")
_WHITESPACE = re.compile(r"\s+")


class BaselineError(Exception):
    """An unreadable baseline file (exit 2)."""


def offending_value(f, text: str | None) -> str:
    """What identifies the finding's text independently of its line."""
    if f.snippet:
        return f.snippet
    if text:
        lines = text.splitlines()
        if 1 <= f.line <= len(lines):
            value = _WHITESPACE.sub("", _TRAILING_COMMENT.sub("", lines[f.line - 1]))
            if value:
                return value
    return re.sub(r"\d+", "#", f.message)  # no text: the message, with numbers (maybe lines) blurred


def fingerprint(f, path: str, text: str | None) -> str:
    value = hashlib.sha256(offending_value(f, text).encode("utf-8")).hexdigest()
    basis = "\x1f".join(["v1", f.code, path.replace("\\", "/"), f.resource or "", value])
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def relative_to(display: str, directory: Path) -> str:
    path = Path(display)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return Path(os.path.relpath(absolute.resolve(), directory.resolve())).as_posix()
    except ValueError:  # another drive
        return absolute.as_posix()


@dataclass
class Baseline:
    path: Path
    counts: Counter = field(default_factory=Counter)
    entries: list = field(default_factory=list)

    @property
    def directory(self) -> Path:
        return self.path.resolve().parent


def build_entries(findings, directory: Path, text_of) -> list[dict]:
    entries = []
    for f in findings:
        rel = relative_to(f.path, directory)
        entries.append({
            "fingerprint": fingerprint(f, rel, text_of(f.path)),
            "code": f.code,
            "path": rel,
            "resource": f.resource,
            "message": f.message,
        })
    entries.sort(key=lambda e: (e["path"], e["code"], e["resource"], e["fingerprint"], e["message"]))
    return entries


def write_baseline(findings, path: Path, text_of) -> int:
    """Write every active finding; returns how many. Atomic: a crash never leaves half a file."""
    path = Path(path)
    entries = build_entries([f for f in findings if f.suppressed is None], path.resolve().parent, text_of)
    data = {
        "version": VERSION,
        "tool": {"name": "forewarn", "version": __version__},
        "comment": "Findings accepted when forewarn was adopted. Regenerate with `forewarn baseline`; "
                   "entries match by code, path, resource and the offending text, not by line.",
        "findings": entries,
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return len(entries)


def load_baseline(path: Path) -> Baseline:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `forewarn baseline`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}:{exc.colno}: not a forewarn baseline: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a forewarn baseline (version {VERSION} with a findings list expected)")
    base = Baseline(path=path)
    for entry in data["findings"]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            base.counts[entry["fingerprint"]] += 1
            base.entries.append(entry)
    return base


def apply(findings, baseline: Baseline, text_of) -> tuple[dict, int]:
    """Mark findings the baseline lists. Returns ({id(finding): Suppression}, entries that matched nothing)."""
    from .suppress import Suppression

    remaining = Counter(baseline.counts)
    marks = {}
    shown = os.path.relpath(baseline.path) if not baseline.path.is_absolute() else str(baseline.path)
    for f in findings:
        if f.suppressed is not None:
            continue
        key = fingerprint(f, relative_to(f.path, baseline.directory), text_of(f.path))
        if remaining[key] > 0:
            remaining[key] -= 1
            f.suppressed = f"listed in the baseline {Path(shown).name}"
            marks[id(f)] = Suppression("baseline", f.suppressed, shown, 0)
    return marks, sum(remaining.values())
