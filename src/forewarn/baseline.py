"""Baselines: adopt forewarn on an old repository without fixing its 400 findings first.

`forewarn baseline [PATH]` writes `.forewarn-baseline.json`; `--baseline FILE` (or `baseline = ...` in the
config) hides the findings it lists, while any new finding still fails.

A finding is recognised by a fingerprint of code + path + resource address + a hash of the offending value
— never the line number, so edits above a finding do not resurrect it, while a change of the value does
(the accepted problem is no longer the one in the file). The offending value is made of, generically for
every rule:
- the rule's `snippet` (which field of which object is flagged: `Deployment/web:api:cpu`);
- the text of the line the finding points at, without whitespace and trailing comment (`cpu:600m`): the
  value as written, so `cpu: 600m` -> `cpu: "4"` is a new finding;
- the values the message quotes: its standalone numbers and quantities (`1 = 10x its request 100m (max 5x)`),
  so a value read from another line (K8S005's request, the replicas K8S003 counts) counts too. Positions
  in the message (`deployment.yaml:7`, `first at line 82`) are left out: they move with edits above.
Line references in a resource address (`BottlerocketSettings@main.tf:12`, a heredoc) are left out too.
Paths are stored relative to the baseline file, so the file works from any working directory. Matching counts duplicates: two equal
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
from .findings import source_lines

BASELINE_NAME = ".forewarn-baseline.json"
# 2: fingerprints include the offending value (version 1 hashed only the rule's snippet, which names the
# flagged field but not its value, so a worse value stayed hidden)
VERSION = 2
_TRAILING_COMMENT = re.compile(r"\s(#|//).*$")
_WHITESPACE = re.compile(r"\s+")
# positions quoted in messages and addresses: `file.yaml:7`, `main.tf:12:3`, `line 82`, `line 5, column 3`
_POSITION = re.compile(r"(?<=[\w)\]\"'`])(?::\d+){1,2}(?![\w.])"
                       r"|\b(?:lines?|col|column)\s+\d+(?:\s*(?:-|,)\s*(?:col(?:umn)?\s+)?\d+)?", re.IGNORECASE)
# standalone numbers with their unit: `100m`, `10x`, `2`, `12%`, `30s`, `1.5` (not the 2 of `elbv2`)
_QUANTITY = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[A-Za-z%]*")


class BaselineError(Exception):
    """An unreadable baseline file (exit 2)."""


_LINES: dict[int, tuple[str, list[str]]] = {}  # id(text) -> (text, its lines): split once per file, not per finding


def _lines(text: str) -> list[str]:
    memo = _LINES.get(id(text))
    if memo is None or memo[0] is not text:
        if len(_LINES) > 512:
            _LINES.clear()
        memo = _LINES[id(text)] = (text, source_lines(text))
    return memo[1]


def line_text(f, text: str | None) -> str:
    """The offending line as written, without whitespace and trailing comment; '' when unknown."""
    if text:
        lines = _lines(text)
        if 1 <= f.line <= len(lines):
            return _WHITESPACE.sub("", _TRAILING_COMMENT.sub("", lines[f.line - 1]))
    return ""


def message_values(message: str) -> str:
    """The numbers and quantities a message quotes, positions left out."""
    return " ".join(_QUANTITY.findall(_POSITION.sub(" ", message)))


def offending_value(f, text: str | None) -> str:
    """What identifies the finding's value independently of its line: see the module docstring."""
    return "\x1f".join([f.snippet or "", line_text(f, text), message_values(f.message)])


def fingerprint(f, path: str, text: str | None) -> str:
    value = hashlib.sha256(offending_value(f, text).encode("utf-8", "surrogatepass")).hexdigest()
    resource = _POSITION.sub("", f.resource or "")
    basis = "\x1f".join(["v2", f.code, path.replace("\\", "/"), resource, value])
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]  # undecodable file names too


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
    # surrogateescape: a file name that is not UTF-8 is written back as the bytes it is
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", errors="surrogateescape")
    os.replace(tmp, path)
    return len(entries)


def load_baseline(path: Path) -> Baseline:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="surrogateescape"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `forewarn baseline`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}:{exc.colno}: not a forewarn baseline: {exc.msg}") from None
    if isinstance(data, dict) and data.get("version") == 1:
        raise BaselineError(f"{path}: baseline written by an older forewarn, whose entries ignored changes of the "
                            f"offending value: review the findings and regenerate it with `forewarn baseline`")
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
