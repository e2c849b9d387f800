"""Human output: findings grouped by file, a code frame around each line, the rule's why, a summary."""
from __future__ import annotations

import io
from collections import Counter

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_text(result, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=110, highlight=False,
                      color_system="standard" if color else None)
    active = [f for f in result.findings if f.suppressed is None]
    current = None
    for f in active:
        if f.path != current:
            current = f.path
            console.print(Text(f.path, style="bold underline"))
        sev = str(f.severity)
        head = Text()
        head.append(f"  {f.path}:{f.line}:{f.column}: ", style="dim")
        head.append(f"{sev} ", style=_STYLE[sev])
        head.append(f"{f.code} ", style="bold")
        head.append(f.message)
        console.print(head)
        frame = _frame(result.sources.get(f.path), f.line, f.column)
        if frame:
            console.print(Text(frame, style="dim" if color else ""))
        rule = result.catalog.rules.get(f.code)
        if rule is not None:
            console.print(Text(f"     help: {rule.summary}  (forewarn explain {f.code})", style="green"))
        for note in f.notes:
            console.print(Text(f"     note: {note}", style="dim"))
        console.print()
    counts = Counter(str(f.severity) for f in active)
    if active:
        table = Table(title=None, show_edge=False, box=None, pad_edge=False)
        table.add_column("code")
        table.add_column("severity")
        table.add_column("count", justify="right")
        for (code, sev), n in sorted(Counter((f.code, str(f.severity)) for f in active).items()):
            table.add_row(code, Text(sev, style=_STYLE[sev]), str(n))
        console.print(table)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info") if counts[s]) or "no findings"
    extra = []
    if result.helm_sources:
        extra.append(f"{len(result.helm_sources)} Helm chart source file(s) skipped (render with `helm template` to lint)")
    if result.partial_objects:
        extra.append(f"{len(result.partial_objects)} kustomize patch file(s) not judged as whole objects")
    suppressed = len(result.findings) - len(active)
    if suppressed:
        extra.append(f"{suppressed} suppressed")
    console.print(Text(f"forewarn: {result.files_read} file(s), {result.resources} resource(s): {summary}"
                       + ("" if not extra else "; " + "; ".join(extra)), style="bold"))
    return buf.getvalue()


def _frame(text: str | None, line: int, column: int, context: int = 2) -> str:
    if not text:
        return ""
    lines = text.splitlines()
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
