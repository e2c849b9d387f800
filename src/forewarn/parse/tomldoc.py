"""TOML with a key -> position index, and Terraform template placeholders substituted line-exactly.

tomlkit checks the syntax and gives the values (and is what a fixer would edit), but reports no positions;
`index_keys` is a small scanner that records where every table header and key stands, and whether each
part of a dotted key was quoted (an unquoted `memory.available` is a nested table, rule BR011).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..findings import Position
from .yamldoc import ParseError

UNKNOWN = "__forewarn_unknown__"  # stands for a value forewarn cannot know (never judged)


def is_unknown(value) -> bool:
    return isinstance(value, str) and UNKNOWN in value


@dataclass
class KeyInfo:
    position: Position
    quoted: tuple[bool, ...]  # per part of the key as written (header parts excluded)
    raw: str  # the key as written


@dataclass
class TomlIndex:
    keys: dict[tuple, KeyInfo] = field(default_factory=dict)
    tables: dict[tuple, Position] = field(default_factory=dict)  # [header] positions

    def key(self, path: tuple) -> Position | None:
        info = self.keys.get(tuple(path))
        return info.position if info else None

    def table(self, path: tuple) -> Position | None:
        return self.tables.get(tuple(path))

    def at(self, path: tuple, fallback: Position | None = None) -> Position:
        """The key, else its table header, else the nearest enclosing table that is written down."""
        path = tuple(path)
        found = self.key(path) or self.table(path)
        while found is None and path:
            path = path[:-1]
            found = self.table(path) or self.key(path)
        return found or fallback or Position(1, 1)


# --------------------------------------------------------------------------------------------- templates
_DIRECTIVE = re.compile(r"(?<!%)%\{[^}]*\}", re.S)
_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$")


@dataclass
class Rendered:
    text: str
    unknown: list[str] = field(default_factory=list)  # placeholder expressions left unknown
    directives: int = 0  # %{ } directives removed without evaluation


def _toml_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _inside_string(line_prefix: str) -> bool:
    """Whether the end of `line_prefix` is inside a basic or literal TOML string (single-line view)."""
    quote = None
    i = 0
    while i < len(line_prefix):
        ch = line_prefix[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if quote is None and ch in "\"'":
            quote = ch
        elif ch == quote:
            quote = None
        elif quote is None and ch == "#":
            return False
        i += 1
    return quote is not None


def render_template(text: str, variables: dict | None = None) -> Rendered:
    """Substitute Terraform `${...}` placeholders (and drop `%{...}` directives) keeping every line in place.

    Known variables (from a `templatefile()` call) are substituted with their values; anything else becomes
    the UNKNOWN marker, so checks can skip it instead of guessing.
    """
    variables = variables or {}
    out = Rendered(text)
    if "${" not in text and "%{" not in text:
        return out
    if "%{" in text:
        text = _resolve_directives(text, variables, out)
    pieces = []
    last = 0
    from .directives import placeholders

    for m in placeholders(text):
        start = m.start()
        line_start = text.rfind("\n", 0, start) + 1
        in_string = _inside_string(text[line_start:start])
        # A placeholder that stands alone on its line inserts whole lines of TOML (terraform-aws-eks ends
        # its template with `${bootstrap_extra_args}`), not a value.
        line_end = text.find("\n", m.end())
        alone = not text[line_start:start].strip() and not text[m.end(): len(text) if line_end < 0 else line_end].strip()
        expr = m.group(1)
        name = _NAME.match(expr)
        newlines = "\n" * expr.count("\n")
        value = variables.get(name.group(1)) if name else None
        known = value is not None and not is_unknown(value)
        if alone and not in_string:
            if known and isinstance(value, str) and "\n" not in value:
                rep = value
            else:  # unknown, or several lines whose positions would have no place in the template
                # a key that is itself UNKNOWN tells checks that this table may hold anything
                out.unknown.append(expr.strip())
                rep = f'"{UNKNOWN}{len(out.unknown)}" = "{UNKNOWN}"  # lines from ${{{expr.strip()}}}: not evaluated'
        elif known:
            if in_string:
                rep = str(value).lower() if isinstance(value, bool) else str(value)
                rep = rep.replace("\\", "\\\\").replace('"', '\\"')
            elif isinstance(value, str):
                # templatefile() inserts a string verbatim: `enabled = ${admin}` with admin = "true" renders
                # `enabled = true`; a multi-line value would move the lines after it, so it stays unknown
                rep = value if "\n" not in value else f'"{UNKNOWN}"'
            else:
                rep = _toml_literal(value)
        else:
            out.unknown.append(expr.strip())
            rep = UNKNOWN if in_string else f'"{UNKNOWN}"'
        pieces.append(text[last:start])
        pieces.append(rep + newlines)
        last = m.end()
    pieces.append(text[last:])
    result = "".join(pieces).replace("$${", "${")
    if "%{" in result:

        def drop(m):
            out.directives += 1
            return "\n" * m.group(0).count("\n")

        result = _DIRECTIVE.sub(drop, result).replace("%%{", "%{")
    out.text = result
    return out


def _resolve_directives(text: str, variables: dict, out: Rendered) -> str:
    """`%{ if }` / `%{ for }` of a template rendered with the known template variables."""
    from .hcldoc import Env, Evaluator, parse_expression

    known = {k: v for k, v in variables.items() if v is not None and not is_unknown(v)}

    class TemplateVariables(Env):
        def reference(self, node, ev):
            if node.root in known:
                return ev.apply_steps(known[node.root], node.steps)
            return super().reference(node, ev)

    evaluator = Evaluator(TemplateVariables())
    return resolve_directives(text, lambda source: evaluator.eval(parse_expression(source)), out.unknown)


def resolve_directives(text: str, value_of, unknown: list) -> str:
    """Render the directives of a TOML template line-exactly (parse.directives), `value_of(expression)`
    giving each condition's or collection's value (hcldoc values: UNKNOWN when unknown). What stays
    unknown is appended to `unknown`; unbalanced directives leave the text as it is."""
    from .directives import resolve
    from .hcldoc import as_bool, is_known

    def evaluate(source: str):
        value = value_of(source)
        if isinstance(value, (list, dict)):
            return True, value
        flag = as_bool(value) if is_known(value) else None
        return flag is not None, flag

    def unknown_line() -> str:
        unknown.append("directive")
        return f'"{UNKNOWN}{len(unknown)}" = "{UNKNOWN}"  # lines of a template directive: not evaluated'

    def unknown_value(before: str) -> str:
        return UNKNOWN if _inside_string(before) else f'"{UNKNOWN}"'

    resolved = resolve(text, evaluate, unknown_line, unknown_value)
    if not resolved.ok:
        return text  # unbalanced: the tags are dropped later, every branch kept
    unknown.extend(resolved.unknown)
    return resolved.text


# --------------------------------------------------------------------------------------------- parsing
def parse_toml(text: str) -> tuple[dict, TomlIndex]:
    """Values (plain dicts) and the position index. Raises ParseError at tomlkit's error position."""
    import tomlkit
    from tomlkit.exceptions import ParseError as TomlkitError

    try:
        data = tomlkit.parse(text).unwrap()
    except TomlkitError as exc:
        message = str(exc)
        message = re.sub(r" at line \d+ col \d+$", "", message)
        raise ParseError(f"TOML syntax error: {message}", Position(exc.line, exc.col + 1 if exc.col else 1)) from None
    except Exception as exc:  # tomlkit raises a few non-ParseError exceptions on odd input
        raise ParseError(f"TOML error: {exc}", Position(1, 1)) from None
    return data, index_keys(text)


_BARE = re.compile(r"[A-Za-z0-9_-]+")


class _Scanner:
    """Enough of TOML's lexical structure to find keys and headers; the syntax is checked by tomlkit."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.index = TomlIndex()
        self.array_counts: dict[tuple, int] = {}

    def pos(self, i: int) -> Position:
        return Position(self.line, i - self.line_start + 1)

    def peek(self, k=0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def advance(self, n=1):
        for _ in range(n):
            if self.i < len(self.s) and self.s[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def skip_ws(self, newlines=False):
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.advance()
            elif ch == "#" and newlines:
                self.skip_line()
            else:
                break

    def skip_line(self):
        while self.i < len(self.s) and self.s[self.i] != "\n":
            self.i += 1

    def read_key(self) -> tuple[list[str], list[bool], int, int]:
        parts, quoted = [], []
        start = self.i
        while True:
            self.skip_ws()
            ch = self.peek()
            if ch in "\"'":
                parts.append(self.read_string())
                quoted.append(True)
            else:
                m = _BARE.match(self.s, self.i)
                if not m:
                    break
                parts.append(m.group(0))
                quoted.append(False)
                self.advance(m.end() - self.i)
            self.skip_ws()
            if self.peek() == ".":
                self.advance()
                continue
            break
        return parts, quoted, start, self.i

    def read_string(self) -> str:
        q = self.peek()
        if self.s.startswith(q * 3, self.i):
            end = self.s.find(q * 3, self.i + 3)
            while end != -1 and q == '"' and self._escaped(end):
                end = self.s.find(q * 3, end + 1)
            end = len(self.s) if end == -1 else end + 3
            while end < len(self.s) and self.s[end] == q:  # up to two extra quotes close the string
                end += 1
            value = self.s[self.i + 3 : end - 3]
            self.advance(end - self.i)
            return value
        j = self.i + 1
        buf = []
        while j < len(self.s) and self.s[j] != q and self.s[j] != "\n":
            if q == '"' and self.s[j] == "\\" and j + 1 < len(self.s):
                buf.append(self.s[j : j + 2])
                j += 2
                continue
            buf.append(self.s[j])
            j += 1
        self.advance(j + 1 - self.i)
        raw = "".join(buf)
        if q == '"' and "\\" in raw:
            try:
                import json

                return json.loads('"' + raw + '"')
            except ValueError:
                return raw
        return raw

    def _escaped(self, at: int) -> bool:
        n = 0
        while at - 1 - n >= 0 and self.s[at - 1 - n] == "\\":
            n += 1
        return n % 2 == 1

    def skip_value(self, prefix: tuple):
        self.skip_ws()
        ch = self.peek()
        if ch in "\"'":
            self.read_string()
        elif ch == "[":
            self.advance()
            while self.i < len(self.s):
                self.skip_ws(newlines=True)
                if self.peek() == "]":
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                if not self.peek():
                    return
                before = self.i
                self.skip_value(prefix)
                if self.i == before:
                    self.advance()
        elif ch == "{":
            self.advance()
            while self.i < len(self.s):
                self.skip_ws()
                if self.peek() in ("}", "\n", ""):
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                self.key_value(prefix)
        else:
            while self.i < len(self.s) and self.s[self.i] not in ",]}\n#":
                self.advance()

    def key_value(self, table: tuple):
        parts, quoted, start, end = self.read_key()
        if not parts:
            self.skip_line()
            return
        path = table + tuple(parts)
        self.index.keys.setdefault(path, KeyInfo(self.pos(start), tuple(quoted), self.s[start:end].strip()))
        # each dotted prefix implicitly defines a table; remember where it was first written
        for k in range(1, len(parts)):
            self.index.tables.setdefault(table + tuple(parts[:k]), self.pos(start))
        self.skip_ws()
        if self.peek() == "=":
            self.advance()
            self.skip_value(path)

    def run(self) -> TomlIndex:
        table: tuple = ()
        while self.i < len(self.s):
            self.skip_ws(newlines=True)
            if self.i >= len(self.s):
                break
            ch = self.peek()
            if ch == "[":
                start = self.i
                double = self.peek(1) == "["
                self.advance(2 if double else 1)
                parts, _, _, _ = self.read_key()
                self.skip_line()
                key = tuple(parts)
                if double:
                    n = self.array_counts.get(key, 0)
                    self.array_counts[key] = n + 1
                    self.index.tables.setdefault(key, self.pos(start))
                    table = key + (n,)
                else:
                    table = key
                self.index.tables.setdefault(table, self.pos(start))
                continue
            before = self.i
            self.key_value(table)
            self.skip_ws()
            if self.peek() == "#":
                self.skip_line()
            if self.i == before:
                self.advance()
        return self.index


def index_keys(text: str) -> TomlIndex:
    return _Scanner(text).run()
