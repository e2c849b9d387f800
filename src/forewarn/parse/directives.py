"""Terraform template directives (`%{ if }`, `%{ else }`, `%{ endif }`, `%{ for }`, `%{ endfor }`) resolved
the way `templatefile()` and heredocs render them, keeping every line where it was written.

Why: a Bottlerocket template often switches whole tables on an argument (`%{ if enable_admin ~}` around
`[settings.host-containers.admin]`) or picks a value inline (`lockdown = "%{ if nvidia }none%{ else }integrity%{ endif }"`).
Dropping the tags and keeping every branch judges settings that are never rendered (a false BR009) and
joins alternatives into one invalid value or a duplicate key (a false E001). So:

- an `if` whose condition is known keeps the branch taken and blanks the other;
- an `if` whose condition is unknown renders as "unknown": a directive standing on its own lines becomes
  one line the caller chooses (for TOML, a key that is itself unknown, so checks know the table may hold
  anything), an inline one becomes an unknown value — never a guess;
- a `for` over a collection known to be empty renders nothing; otherwise its body is kept once, with the
  loop variables unknown (the copies a real render makes have no line of their own).

Blanked text is replaced by its newlines only, so positions after it stay exact. Unbalanced directives are
left to the caller's old behaviour (tags dropped), reported through `Resolved.ok = False`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

_TAG = re.compile(r"(?<!%)%\{(~?)\s*(if|else|endif|for|endfor)\b(.*?)\s*(~?)\}", re.S)
_ANY_TAG = re.compile(r"(?<!%)%\{[^}]*\}", re.S)
_FOR_HEAD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*(?:,\s*([A-Za-z_][A-Za-z0-9_-]*)\s*)?in\s+(.+?)\s*$", re.S)
LOOP_VARIABLE = "__forewarn_loop_variable__"  # a name no template defines: its placeholders stay unknown

# evaluate(expression source) -> (known, value); value is True/False for conditions, a list/dict for `for`
Evaluate = Callable[[str], tuple[bool, object]]


@dataclass
class Placeholder:
    """One `${...}` of a template, braces matched (`${jsonencode({a = {b = 1}})}` is one placeholder)."""

    begin: int
    finish: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self, n: int = 0) -> str:
        return self.text if n == 0 else self.text[2:-1]


def placeholders(text: str):
    """The `${...}` placeholders of a template in order, skipping `$${` escapes; nested braces, quoted
    strings and interpolations inside strings are matched, so its closing brace is the right one."""
    i = text.find("${")
    while i >= 0:
        if i > 0 and text[i - 1] == "$":
            i = text.find("${", i + 2)
            continue
        stack, j = ["{"], i + 2  # "{": inside braces of an expression, '"': inside a string
        while j < len(text) and stack:
            ch = text[j]
            if stack[-1] == '"':
                if ch == "\\":
                    j += 1
                elif ch == '"':
                    stack.pop()
                elif text.startswith("${", j):
                    stack.append("{")
                    j += 1
            elif ch == '"':
                stack.append('"')
            elif ch == "{":
                stack.append("{")
            elif ch == "}":
                stack.pop()
            j += 1
        if stack:
            return  # unbalanced: the rest is not a placeholder
        yield Placeholder(i, j, text[i:j])
        i = text.find("${", j)


@dataclass
class Resolved:
    text: str
    ok: bool = True  # False: directives unbalanced, text returned unchanged
    unknown: list[str] = field(default_factory=list)  # conditions / collections that could not be evaluated


@dataclass
class _Node:
    kind: str  # "if" | "for"
    open: re.Match
    body: list = field(default_factory=list)
    other: list = field(default_factory=list)
    middle: re.Match | None = None  # the `else`
    close: re.Match | None = None


def resolve(text: str, evaluate: Evaluate, unknown_line: Callable[[], str],
            unknown_value: Callable[[str], str]) -> Resolved:
    """Render the directives of `text` (see the module docstring). `unknown_line()` replaces a whole-line
    `if` whose condition is unknown; `unknown_value(text before it on its line)` replaces an inline one."""
    if "%{" not in text:
        return Resolved(text)
    tree = _parse(text)
    if tree is None:
        return Resolved(text, ok=False)
    out = Resolved("")
    out.text = _Renderer(text, evaluate, unknown_line, unknown_value, out).range(0, len(text), tree, set())
    return out


def _parse(text: str) -> list | None:
    root: list = []
    stack: list[tuple[_Node | None, list]] = [(None, root)]
    for m in _TAG.finditer(text):
        keyword = m.group(2)
        if keyword in ("if", "for"):
            node = _Node(keyword, m)
            stack[-1][1].append(node)
            stack.append((node, node.body))
        elif keyword == "else":
            top = stack[-1][0]
            if top is None or top.kind != "if" or top.middle is not None:
                return None
            top.middle = m
            stack[-1] = (top, top.other)
        else:
            top = stack.pop()[0] if len(stack) > 1 else None
            if top is None or top.kind != keyword[3:]:
                return None
            top.close = m
    if len(stack) != 1:
        return None
    # any other `%{` (a typo, an unknown keyword) makes the structure doubtful
    if sum(1 for _ in _ANY_TAG.finditer(text)) != sum(1 for _ in _TAG.finditer(text)):
        return None
    return root


def _blank(s: str) -> str:
    return "\n" * s.count("\n")


class _Renderer:
    def __init__(self, text, evaluate, unknown_line, unknown_value, out: Resolved):
        self.text, self.evaluate = text, evaluate
        self.unknown_line, self.unknown_value, self.out = unknown_line, unknown_value, out

    def range(self, start: int, end: int, children: list, loop_vars: set) -> str:
        pieces, pos = [], start
        for node in children:
            pieces.append(self._plain(pos, node.open.start(), loop_vars))
            pieces.append(self.node(node, loop_vars))
            pos = node.close.end()
        pieces.append(self._plain(pos, end, loop_vars))
        return "".join(pieces)

    def _plain(self, start: int, end: int, loop_vars: set) -> str:
        chunk = self.text[start:end]
        if not loop_vars or "${" not in chunk:
            return chunk

        pieces, last = [], 0
        for m in placeholders(chunk):
            names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_-]*", m.group(1)))
            pieces.append(chunk[last:m.start()])
            pieces.append("${" + LOOP_VARIABLE + "}" + _blank(m.group(0)) if names & loop_vars else m.group(0))
            last = m.end()
        pieces.append(chunk[last:])
        return "".join(pieces)

    def node(self, node: _Node, loop_vars: set) -> str:
        t = self.text
        whole = t[node.open.start(): node.close.end()]
        if node.kind == "for":
            head = _FOR_HEAD.match(node.open.group(3))
            if head is None:
                self.out.unknown.append(node.open.group(3).strip())
                return self._unknown(node, whole)
            known, coll = self.evaluate(head.group(3))
            if known and isinstance(coll, (list, dict)) and not coll:
                return _blank(whole)
            if not known:
                self.out.unknown.append(head.group(3).strip())
            names = {n for n in (head.group(1), head.group(2)) if n}
            body = self.range(node.open.end(), node.close.start(), node.body, loop_vars | names)
            return _blank(node.open.group(0)) + body + _blank(node.close.group(0))
        known, cond = self.evaluate(node.open.group(3))
        if not known or not isinstance(cond, bool):
            self.out.unknown.append(node.open.group(3).strip())
            return self._unknown(node, whole)
        then_end = node.middle.start() if node.middle is not None else node.close.start()
        if cond:
            kept = self.range(node.open.end(), then_end, node.body, loop_vars)
            return _blank(node.open.group(0)) + kept + _blank(t[then_end: node.close.end()])
        if node.middle is None:
            return _blank(whole)
        kept = self.range(node.middle.end(), node.close.start(), node.other, loop_vars)
        return _blank(t[node.open.start(): node.middle.end()]) + kept + _blank(node.close.group(0))

    def _unknown(self, node: _Node, whole: str) -> str:
        t = self.text
        line_start = t.rfind("\n", 0, node.open.start()) + 1
        before = t[line_start: node.open.start()]
        line_end = t.find("\n", node.close.end())
        after = t[node.close.end(): len(t) if line_end < 0 else line_end]
        if not before.strip() and (not after.strip() or "\n" in whole):
            return self.unknown_line() + _blank(whole)
        return self.unknown_value(before) + _blank(whole)
