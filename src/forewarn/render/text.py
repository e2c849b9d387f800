"""Human output: findings grouped by file, a code frame around each line, the rule's why, a summary."""
from __future__ import annotations

import io
from collections import Counter

from ..findings import source_lines

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_text(result, color: bool = False) -> str:
    from rich.console import Console
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    width = 110
    if color:
        import shutil

        width = max(60, min(160, shutil.get_terminal_size((110, 24)).columns))
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False,
                      color_system="standard" if color else None, soft_wrap=False)
    active = [f for f in result.findings if f.suppressed is None]
    current = None
    for f in active:
        if f.path != current:
            current = f.path
            console.print(Text(f.path, style="bold underline"), soft_wrap=True)
        sev = str(f.severity)
        head = Text()
        head.append(f"  {f.path}:{f.line}:{f.column}: ", style="dim")  # clickable in terminals and IDEs
        head.append(f"{sev} ", style=_STYLE[sev])
        head.append(f"{f.code} ", style="bold")
        head.append(f.name, style="bold")
        console.print(head, soft_wrap=True)  # a wrapped location is no longer clickable
        console.print(Padding(Text(f.message), (0, 0, 0, 4), expand=False))
        frame = _frame(_text_of(result, f.path), f.line, f.column)
        if frame:
            console.print(Text(frame, style="dim" if color else ""), overflow="ellipsis", no_wrap=True)
        rule = result.catalog.rules.get(f.code)
        if rule is not None:
            console.print(Padding(Text(f"help: {rule.summary} (forewarn explain {f.code})", style="green"),
                                  (0, 0, 0, 5), expand=False))
        for note in f.notes:
            console.print(Padding(Text(f"note: {note}", style="dim"), (0, 0, 0, 5), expand=False))
        console.print()
    counts = Counter(str(f.severity) for f in active)
    if active:
        table = Table(title=None, show_edge=False, box=None, pad_edge=False)
        table.add_column("code")
        table.add_column("rule")
        table.add_column("severity")
        table.add_column("count", justify="right")
        names = {f.code: f.name for f in active}
        for (code, sev), n in sorted(Counter((f.code, str(f.severity)) for f in active).items()):
            table.add_row(code, names[code], Text(sev, style=_STYLE[sev]), str(n))
        console.print(table)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info") if counts[s]) or "no findings"
    extra = []
    if result.helm_sources:
        extra.append(f"{len(result.helm_sources)} Helm chart source file(s) skipped (render with `helm template` to lint)")
    if result.partial_objects:
        extra.append(f"{len(result.partial_objects)} kustomize patch file(s) not judged as whole objects")
    suppressions = [getattr(result, "suppression_for", lambda f: None)(f) for f in result.findings
                    if f.suppressed is not None]
    baselined = sum(1 for s in suppressions if s is not None and s.kind == "baseline")
    if len(suppressions) - baselined:
        extra.append(f"{len(suppressions) - baselined} suppressed")
    if baselined:
        extra.append(f"{baselined} hidden by the baseline")
    fixed = getattr(result, "baseline_unmatched", 0)
    if fixed:
        extra.append(f"{fixed} baseline entr{'y' if fixed == 1 else 'ies'} no longer found "
                     "(regenerate with `forewarn baseline`)")
    context = ""
    if getattr(result, "context_root", None) and result.context_files > result.files_read:
        context = f" (index built from {result.context_files} file(s) under {result.context_root})"
    console.print(Text(f"forewarn: {result.files_read} file(s), {result.resources} resource(s){context}: {summary}"
                       + ("" if not extra else "; " + "; ".join(extra)), style="bold"),
                  soft_wrap=True)  # one line whatever the path length: scripts and CI logs grep it
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())


def _text_of(result, path: str):
    if hasattr(result, "text_of"):
        return result.text_of(path)
    return result.sources.get(path)


def _frame(text: str | None, line: int, column: int, context: int = 2) -> str:
    if not text:
        return ""
    lines = source_lines(text)
    if not 1 <= line <= len(lines):
        return ""
    lo, hi = max(1, line - context), min(len(lines), line + context)
    width = len(str(hi))
    out = []
    for n in range(lo, hi + 1):
        marker = ">" if n == line else " "
        out.append(f"   {marker} {n:>{width}} | {lines[n - 1]}")
        if n == line:
            out.append(f"     {' ' * width} | {' ' * (max(column, 1) - 1)}^")
    return "\n".join(out)
