"""Suppressions: the ways a team says "we know, and here is why" — and nothing works without the why.

Forms (every one needs a reason; `until=YYYY-MM-DD` makes it expire after that day):
- inline, in YAML, TOML and HCL (`#`, and `//` in .tf/.hcl): `# forewarn: ignore[K8S001,K8S004] reason`,
  as a trailing comment on the offending line or in the comment block right above it;
- whole file: `# forewarn: ignore-file[BR013] reason` in any comment of the file;
- Kubernetes annotation on the object or on its pod template (it survives `helm template`):
  `forewarn.io/ignore: "K8S001: fronted by a TCP LB; WH002 until=2027-03-31: audit webhook"`. Entries are
  `CODE[,CODE...] [until=DATE]: reason`; a `;` or line break starts a new entry only when what follows
  begins with upper-case rule codes and a colon, so `K8S001: clients retry; single replica` is one entry
  whose reason holds the `;`;
- config `[[tool.forewarn.per-path-ignores]]` entries (path glob, codes, reason, until).

Codes match by prefix, like --select (`ignore[BR]` covers every BR rule). A suppression without a reason
(or with a bad date) is not applied and is reported as E002; an expired one is not applied and is reported
as E004; with --report-unused, codes that covered no finding (of a rule that ran) are reported as E003.
Suppressed findings are kept, marked with the reason: JSON and SARIF show them, text and the exit code not.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding, source_lines

ANNOTATION = "forewarn.io/ignore"
_COMMENT_DIRECTIVE = re.compile(r"(?:^|(?<=\s))(?P<lead>#|//)\s*forewarn\s*:\s*(?P<kind>ignore-file|ignore)\b(?P<rest>.*)$")
_CODES = re.compile(r"\s*\[(?P<codes>[^\]]*)\](?P<tail>.*)$")
_UNTIL = re.compile(r"\buntil\s*=\s*(?P<date>\S*)")
_CODE_TOKEN = re.compile(r"^[A-Z][A-Z0-9]*$")
# what starts an annotation entry after `;` or a line break: `K8S001:`, `K8S001,WH002:`, `WH until=2027-03-31:`
_ENTRY_HEAD = re.compile(r"\s*[A-Z][A-Z0-9]*(?:[\s,]+[A-Z][A-Z0-9]*)*(?:\s+until\s*=\s*[^\s:;]*)?\s*:")
_NO_REASON = "say why the finding is accepted after the codes"
HCL_SUFFIXES = (".tf", ".hcl", ".tftpl")


@dataclass
class Suppression:
    """Why a finding is not counted: shown by JSON (`suppressed`) and SARIF (`suppressions`)."""

    kind: str  # inline | file | annotation | config | baseline
    reason: str
    path: str = ""  # where the suppression is written
    line: int = 0
    until: str | None = None

    @property
    def sarif_kind(self) -> str:
        return "inSource" if self.kind in ("inline", "file", "annotation") else "external"

    def as_dict(self) -> dict:
        data = {"kind": self.kind, "reason": self.reason}
        if self.path:
            data["location"] = f"{self.path}:{self.line}"
        if self.until:
            data["until"] = self.until
        return data


@dataclass
class Directive:
    kind: str  # inline | file | annotation | config
    path: str  # file the directive is written in
    line: int
    column: int
    codes: list[str]
    reason: str
    until: _dt.date | None = None
    until_text: str | None = None
    problem: str | None = None  # malformed: what is wrong, so it is not applied (E002)
    # what it covers
    target_path: str = ""
    target_lines: frozenset = frozenset()  # inline: the line(s) it covers
    resource: str = ""  # annotation: the object's address
    span: tuple[int, int] = (0, 0)  # annotation: lines of the object in target_path
    glob: str = ""  # config: path glob relative to `root`
    root: Path | None = None
    used: set = field(default_factory=set)
    fix: str = _NO_REASON  # what to write instead, when `problem` is set

    @property
    def label(self) -> str:
        codes = ",".join(self.codes)
        if self.kind == "annotation":
            return f"annotation {ANNOTATION} ({codes})" if codes else f"annotation {ANNOTATION}"
        if self.kind == "config":
            return f"per-path-ignores entry for {self.glob!r} ({codes})"
        return f"`forewarn: {'ignore-file' if self.kind == 'file' else 'ignore'}[{codes}]`"

    def expired(self, today: _dt.date) -> bool:
        return self.until is not None and today > self.until

    def matches_code(self, code: str) -> str | None:
        for entry in self.codes:
            if code.startswith(entry):
                return entry
        return None

    def covers(self, f: Finding) -> bool:
        if self.kind == "inline":
            return f.path == self.target_path and f.line in self.target_lines
        if self.kind == "file":
            return f.path == self.target_path
        if self.kind == "annotation":
            if f.path != self.target_path:
                return False
            return f.resource == self.resource or self.span[0] <= f.line <= self.span[1]
        if self.kind == "config":
            return _path_matches(f.path, self.glob, self.root)
        return False

    def suppression(self) -> Suppression:
        until = self.until.isoformat() if self.until else None
        return Suppression(self.kind, self.reason, self.path, self.line, until)


def _path_matches(display: str, glob: str, root: Path | None) -> bool:
    from .discover import _excluded

    path = Path(display)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        rel = absolute.resolve().relative_to(root.resolve()) if root is not None else Path(display)
    except ValueError:
        return False
    rel_text = rel.as_posix()
    return _excluded(rel_text, rel.name, [glob]) or _excluded(rel_text, rel.name, [glob.replace("**/", "")])


# ------------------------------------------------------------------------------------------- parsing
_INLINE_FORM = "write `ignore[CODE,...] reason`"


def _parse_codes_reason(text: str):
    """(codes, reason, until, until_text, problem, fix) from `[CODES] reason until=DATE` (inline form)."""
    m = _CODES.match(text)
    if not m:
        return [], "", None, None, "names no rule codes", _INLINE_FORM
    codes = [c.upper() for c in re.split(r"[,\s]+", m.group("codes")) if c.strip()]
    reason, until, until_text, problem, fix = _reason_until(m.group("tail"))
    bad = [c for c in codes if not _CODE_TOKEN.match(c)]
    if not codes:
        problem, fix = "names no rule codes", _INLINE_FORM
    elif bad:
        problem = f"{', '.join(bad)} is not a rule code"
        fix = "name rules by code or prefix, e.g. ignore[K8S001,WH]"
    return codes, reason, until, until_text, problem, fix


def _reason_until(text: str):
    """(reason, until, until_text, problem, fix): a bad date is reported as such, not as a missing reason."""
    until = until_text = problem = None
    fix = _NO_REASON
    m = _UNTIL.search(text)
    if m:
        until_text = m.group("date")
        try:
            until = _dt.date.fromisoformat(until_text)
        except ValueError:
            problem, fix = f"until={until_text!r} is not a date", "write the day as until=YYYY-MM-DD"
        text = text[: m.start()] + text[m.end():]
    reason = " ".join(text.split()).strip(":;-\u2013\u2014 \t").strip()
    if reason.endswith("*/"):
        reason = reason[:-2].strip()
    if not problem and not re.search(r"[^\W\d_]", reason):
        problem, fix = "has no reason", _NO_REASON
    return reason, until, until_text, problem, fix


def comment_directives(path: str, text: str) -> list[Directive]:
    """Inline and file-wide directives in the comments of one file."""
    if "forewarn" not in text:
        return []
    hcl = path.lower().endswith(HCL_SUFFIXES)
    lines = source_lines(text)
    out: list[Directive] = []
    for number, line in enumerate(lines, start=1):
        if "forewarn" not in line:
            continue
        m = _COMMENT_DIRECTIVE.search(line)
        if not m or (m.group("lead") == "//" and not hcl):
            continue
        codes, reason, until, until_text, problem, fix = _parse_codes_reason(m.group("rest"))
        d = Directive(
            kind="file" if m.group("kind") == "ignore-file" else "inline", path=path, line=number,
            column=m.start() + 1, codes=codes, reason=reason, until=until, until_text=until_text,
            problem=problem, target_path=path, fix=fix,
        )
        if d.kind == "inline":
            d.target_lines = frozenset(_inline_targets(lines, number, m.start(), hcl))
        out.append(d)
    return out


def _is_comment(line: str, hcl: bool) -> bool:
    s = line.lstrip()
    return s.startswith("#") or (hcl and s.startswith("//"))


def _inline_targets(lines: list[str], number: int, start: int, hcl: bool) -> list[int]:
    """A trailing directive covers its own line; one in a comment block, the first line after the block."""
    if lines[number - 1][:start].strip():
        return [number]
    n = number + 1
    while n <= len(lines) and _is_comment(lines[n - 1], hcl):
        n += 1
    if n <= len(lines) and lines[n - 1].strip():
        return [n]
    return []


def annotation_directives(objects) -> list[Directive]:
    """`forewarn.io/ignore` on Kubernetes objects (metadata or pod template), with each object's line span."""
    from .model.kubernetes import as_map, dig
    from .parse.yamldoc import YMap

    by_path: dict[str, list] = {}
    for obj in objects:
        by_path.setdefault(obj.path, []).append(obj)
    out: list[Directive] = []
    for path, objs in by_path.items():
        starts = sorted({getattr(o.data, "pos", None).line for o in objs if getattr(o.data, "pos", None)})
        for obj in objs:
            pos = getattr(obj.data, "pos", None)
            begin = pos.line if pos else 1
            later = [s for s in starts if s > begin]
            span = (begin, later[0] - 1 if later else 10**9)
            holders = [as_map(obj.metadata.get("annotations"))]
            template = obj.pod_template() if hasattr(obj, "pod_template") else None
            if template and template is not obj.data:
                holders.append(as_map(dig(template, "metadata", "annotations")))
            for holder in holders:
                if ANNOTATION not in holder:
                    continue
                value = holder.get(ANNOTATION)
                where = None
                if isinstance(holder, YMap):
                    where = holder.val_pos.get(ANNOTATION) or holder.at(ANNOTATION)
                line, column = (where.line, where.column) if where else (begin, 1)
                out.extend(_annotation_entries(obj, path, line, column, value, span))
    return out


def annotation_entries(text: str) -> list[str]:
    """Split an annotation value into entries: a `;` or a line break separates two entries only when what
    follows starts with upper-case rule codes and a colon (`WH002:`, `K8S001,K8S004:`, `WH until=DATE:`).
    Any other `;` is part of the reason: `K8S001: clients retry; single replica` is one entry."""
    entries, start = [], 0
    for m in re.finditer(r"[;\n]", text):
        if _ENTRY_HEAD.match(text, m.end()):
            entries.append(text[start:m.start()])
            start = m.end()
    entries.append(text[start:])
    return [e.strip() for e in entries if e.strip().strip(";")]


_ANNOTATION_FORM = "write `CODE[,CODE]: reason`, several entries as `CODE: reason; CODE: reason`"


def _annotation_entries(obj, path, line, column, value, span) -> list[Directive]:
    text = "" if value is None else str(value)
    entries = annotation_entries(text)
    if not entries:
        return [Directive("annotation", path, line, column, [], "", problem="is empty", fix=_ANNOTATION_FORM,
                          target_path=path, resource=obj.address, span=span)]
    out = []
    for entry in entries:
        head, sep, tail = entry.partition(":")
        if not sep:
            head, tail = entry, ""
        until_m = _UNTIL.search(head)
        if until_m:  # `K8S001 until=2027-03-31: reason` — move the date to the reason side
            tail = tail + " " + head[until_m.start():until_m.end()]
            head = head[: until_m.start()] + head[until_m.end():]
        codes = [c.upper() for c in re.split(r"[,\s]+", head) if c.strip()]
        reason, until, until_text, problem, fix = _reason_until(tail)
        if not codes or not all(_CODE_TOKEN.match(c) for c in codes):
            # prose where codes belong (`operator is a single replica (PLAT-1177)`): quote it, do not
            # upper-case its words into "codes"
            shown = " ".join(entry.split())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            codes, problem, fix = [], f"entry {shown!r} does not start with rule codes", _ANNOTATION_FORM
        out.append(Directive("annotation", path, line, column, codes, reason, until, until_text, problem,
                             target_path=path, resource=obj.address, span=span, fix=fix))
    return out


def config_directives(entries: list[dict], config_display: str, root: Path) -> list[Directive]:
    out = []
    for entry in entries:
        until_text = entry.get("until")
        until = None
        problem = None
        if until_text:  # the configuration schema rejects a bad date (exit 2); kept for direct callers
            try:
                until = _dt.date.fromisoformat(str(until_text))
            except ValueError:
                problem = f"until={until_text!r} is not a date"
        out.append(Directive(
            "config", config_display, int(entry.get("line") or 1), 1, [str(c).upper() for c in entry["codes"]],
            str(entry.get("reason") or "").strip(), until, until_text, problem, glob=str(entry["path"]), root=root,
            fix="write until = YYYY-MM-DD",
        ))
    return out


# ------------------------------------------------------------------------------------------- applying
@dataclass
class Outcome:
    suppressions: dict  # id(finding) -> Suppression
    findings: list[Finding]  # E002 / E003 / E004 produced by the pass
    directives: list[Directive]


def apply(
    findings: list[Finding],
    directives: list[Directive],
    catalog,
    active_codes: set[str],
    emit: set[str],
    today: _dt.date | None = None,
    report_config_unused: bool = True,
) -> Outcome:
    """Mark covered findings (precedence: inline, file, annotation, config) and report bad suppressions.

    `active_codes`: rules that ran (a suppression of a rule that did not run cannot be judged unused);
    `emit`: which of E002/E003/E004 to produce.
    """
    today = today or _dt.date.today()
    order = {"inline": 0, "file": 1, "annotation": 2, "config": 3}
    valid = [d for d in directives if d.problem is None and not d.expired(today)]
    valid.sort(key=lambda d: order[d.kind])
    by_path: dict[str, list[Directive]] = {}
    config_level = []
    for d in valid:
        if d.kind == "config":
            config_level.append(d)
        else:
            by_path.setdefault(d.target_path, []).append(d)
    marks: dict[int, Suppression] = {}
    for f in findings:
        if f.suppressed is not None:
            continue
        chosen = None
        for d in by_path.get(f.path, []) + config_level:
            entry = d.matches_code(f.code)
            if entry is None or not d.covers(f):
                continue
            d.used.add(entry)
            if chosen is None:
                chosen = d
        if chosen is not None:
            f.suppressed = chosen.reason
            marks[id(f)] = chosen.suppression()
    produced: list[Finding] = []
    for d in directives:
        if d.problem is not None and "E002" in emit:
            produced.append(_finding(catalog, "E002", d, f"{d.label} {d.problem}: it is not applied; {d.fix}"))
        elif d.problem is None and d.expired(today) and "E004" in emit:
            if d.kind == "config" and not report_config_unused and not _would_cover(d, findings):
                continue
            produced.append(_finding(catalog, "E004", d, f"{d.label} expired on {d.until.isoformat()} "
                                     f"({d.reason}): it no longer applies; fix the finding or renew the date"))
    if "E003" in emit:
        known = list(catalog.rules)
        for d in valid:
            if d.kind == "config" and not report_config_unused:
                continue
            for entry in d.codes:
                if entry in d.used:
                    continue
                if not any(code.startswith(entry) for code in known):
                    produced.append(_finding(catalog, "E003", d, f"{d.label}: no rule code starts with {entry}; "
                                             "remove it or correct the code"))
                elif any(code.startswith(entry) for code in active_codes):
                    where = {"inline": "on the line it covers", "file": "in this file",
                             "annotation": "on this object", "config": "in the paths it names"}[d.kind]
                    produced.append(_finding(catalog, "E003", d, f"{d.label}: {entry} matched no finding {where}; "
                                             "remove the suppression"))
    return Outcome(marks, [f for f in produced if f is not None], directives)


def _would_cover(d: Directive, findings: list[Finding]) -> bool:
    return any(d.matches_code(f.code) and d.covers(f) for f in findings)


def _finding(catalog, code: str, d: Directive, message: str) -> Finding | None:
    rule = catalog.rules.get(code)
    if rule is None:
        return None
    return Finding(code, rule.name, rule.severity, message, d.path, d.line, d.column,
                   resource=d.resource, snippet=f"{d.kind}:{','.join(d.codes)}:{d.reason}")
