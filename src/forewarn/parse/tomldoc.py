"""TOML with a key -> position index, and Terraform template placeholders substituted line-exactly.

tomlkit checks the syntax and gives the values (and is what a fixer would edit), but reports no positions;
`index_keys` is a small scanner that records where every table header and key stands, and whether each
part of a dotted key was quoted (an unquoted `memory.available` is a nested table, rule BR011). The same
scanner follows TOML's rules on defining a table or key twice, so a redefinition tomlkit only notices at the
next header (or the end of the file) is reported at the second definition (`find_redefinition`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..findings import Position, source_lines
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
    # A table that is only an intermediate part of a longer header (`credential-provider` in
    # `[settings.kubernetes.credential-provider.ecr-credential-provider]`, an implicit table) -> the path of
    # the first header that spells it. A reference, not a position: the position is read from `tables` at
    # lookup time, so a caller that moves the recorded positions moves these too.
    spelled: dict[tuple, tuple] = field(default_factory=dict)

    def key(self, path: tuple) -> Position | None:
        info = self.keys.get(tuple(path))
        return info.position if info else None

    def table(self, path: tuple) -> Position | None:
        return self.tables.get(tuple(path))

    def implicit(self, path: tuple) -> Position | None:
        """The first header that spells `path` as one of its intermediate parts (an implicit table)."""
        ref = self.spelled.get(tuple(path))
        return self.tables.get(ref) if ref is not None else None

    def at(self, path: tuple, fallback: Position | None = None) -> Position:
        """The key, else its table header, else the first header or dotted key that spells the path (an
        implicit table), else the nearest enclosing table written down (or spelled) the same way."""
        path = tuple(path)
        found = self.key(path) or self.table(path) or self.implicit(path)
        while found is None and path:
            path = path[:-1]
            found = self.table(path) or self.key(path) or self.implicit(path)
        return found or fallback or Position(1, 1)


# --------------------------------------------------------------------------------------------- templates
_DIRECTIVE = re.compile(r"(?<!%)%\{[^}]*\}", re.S)
_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$")


@dataclass
class Rendered:
    text: str
    unknown: list[str] = field(default_factory=list)  # placeholder expressions left unknown
    directives: int = 0  # %{ } directives removed without evaluation
    # Lines a multi-line value inserted: template line -> (lines inserted, the placeholder's column). Every
    # other line keeps its place; `parse_rendered` maps positions back to the template's lines.
    inserted: dict[int, tuple[int, int]] = field(default_factory=dict)
    source: str = ""  # the template text and variables, to render again without insertions
    variables: dict = field(default_factory=dict)


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


def render_template(text: str, variables: dict | None = None, multiline: bool = True) -> Rendered:
    """Substitute Terraform `${...}` placeholders (and drop `%{...}` directives) keeping every line in place.

    Known variables (from a `templatefile()` call) are substituted with their values; anything else becomes
    the UNKNOWN marker, so checks can skip it instead of guessing. A known multi-line value standing alone
    on its line (a TOML fragment passed as an argument) is inserted when `multiline`; `out.inserted` then
    says which lines it took, and `parse_rendered` maps positions back to the template.
    """
    variables = variables or {}
    out = Rendered(text, source=text, variables=dict(variables))
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
            elif known and isinstance(value, str) and multiline and not expr.count("\n"):
                rep = value.rstrip("\n")  # a fragment of TOML lines: inserted, positions mapped back
                line = text.count("\n", 0, start) + 1
                out.inserted[line] = (rep.count("\n") + 1, start - line_start + 1)
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


def parse_rendered(rendered: Rendered) -> tuple[dict, TomlIndex]:
    """parse_toml of a rendered template, positions in the template's own lines: a line inserted by a
    multi-line value points at its placeholder. If the inserted text breaks the document, it is rendered
    again with those values unknown (never an error on a value that is merely unusual)."""
    if not rendered.inserted:
        return parse_toml(rendered.text)
    moved = _line_mapper(rendered.inserted)
    try:
        data, index = parse_toml(rendered.text)
    except ParseError:
        plain = render_template(rendered.source, rendered.variables, multiline=False)
        rendered.text, rendered.unknown, rendered.inserted = plain.text, plain.unknown, {}
        return parse_toml(plain.text)
    for path, info in index.keys.items():
        info.position = moved(info.position)
    for path, pos in list(index.tables.items()):
        index.tables[path] = moved(pos)
    return data, index


def _line_mapper(inserted: dict[int, tuple[int, int]]):
    """Rendered position -> template position, given template line -> (lines inserted, column)."""
    spans = []  # (first rendered line, last rendered line, template line, column), in order
    shift = 0
    for line in sorted(inserted):
        count, column = inserted[line]
        spans.append((line + shift, line + shift + count - 1, line, column))
        shift += count - 1

    def moved(pos: Position) -> Position:
        back = 0
        for first, last, line, column in spans:
            if pos.line < first:
                break
            if pos.line <= last:
                return Position(line, column)
            back += last - first
        return Position(pos.line - back, pos.column)

    return moved


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
        position = Position(exc.line, exc.col + 1 if exc.col else 1)
        raise _located(message, position, text) from None
    except Exception as exc:  # tomlkit raises a few non-ParseError exceptions on odd input
        # (a key or table defined twice is one: KeyAlreadyPresent / "Redefinition of an existing table")
        raise _located(str(exc), None, text) from None
    _strict_toml_1_0(text)
    return data, index_keys(text)


_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _strict_toml_1_0(text: str) -> None:
    """tomlkit also reads TOML 1.1 (a trailing comma or a line break in an inline table); Bottlerocket's
    parser (the `toml` crate) and the standard library's `tomllib` read TOML 1.0 only, so such user data
    never boots a node: E001 at tomllib's position. Skipped where tomllib is missing (Python 3.10)."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        return
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _AT.search(message)
        position = Position(int(m.group(1)), int(m.group(2))) if m else Position(1, 1)
        message = _AT.sub("", message)
        lines = source_lines(text)
        line = lines[position.line - 1] if 0 < position.line <= len(lines) else ""
        hint = ""
        if "{" in line or (position.line > 1 and "{" in lines[position.line - 2]):
            hint = ": an inline table must stay on one line, with no comma after its last pair"
        raise ParseError(f"TOML syntax error: {message} (TOML 1.0, as Bottlerocket reads it){hint}",
                         position) from None

_REDEFINED = re.compile(r"already exists|Redefinition of an existing table")


def _located(message: str, position: Position | None, text: str) -> ParseError:
    """A tomlkit error as a ParseError. tomlkit notices a table or key defined twice only where it merges
    the tables (the next header, the file end) or says no position at all: the scanner finds the second
    definition itself, and the message keeps tomlkit's words and adds where the first one is."""
    if _REDEFINED.search(message):
        found = find_redefinition(text)
        if found is not None:
            return ParseError(f"TOML syntax error: {message} {found.explain()}", found.position)
    if position is None:
        return ParseError(f"TOML error: {message}", Position(1, 1))
    return ParseError(f"TOML syntax error: {message}", position)


@dataclass
class Redefinition:
    """The first place a TOML table or key is defined a second time (TOML 1.0: tables and keys are
    defined once; a table defined by dotted keys or an inline table cannot be reopened by a header)."""

    path: tuple
    position: Position  # the second definition: its header's `[` or its key
    first: Position  # the first definition
    how: str  # the second definition: "header" ([table]), "key" (key = value), "dotted" (a dotted key's table)

    def explain(self) -> str:
        name = ".".join(str(p) for p in self.path if not isinstance(p, int))
        what = {"header": f"[{name}] is defined again here", "key": f"{name} is set again here"}.get(
            self.how, f"the table {name} is reopened here by a dotted key")
        todo = "keep one of them" if self.how == "key" else "merge them into one table"
        return f"({what}; the first definition is at line {self.first.line}: {todo})"


def find_redefinition(text: str) -> Redefinition | None:
    """The second definition of a table or key in `text`, or None (also for text that is not TOML)."""
    scanner = _Scanner(text)
    try:
        scanner.run()
    except (RecursionError, ValueError, IndexError):  # pragma: no cover - the scanner is lenient
        return None
    return scanner.redefinition


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
        # TOML's define-once rule, over paths resolved through arrays of tables (an element's index is part
        # of the path): path -> how it was defined ("header", "implicit" (spelled inside a longer header),
        # "dotted" (a table made by a dotted key), "value" (a key = value, inline tables included), "aot")
        self.defined: dict[tuple, str] = {}
        self.first: dict[tuple, Position] = {}
        self.aot: dict[tuple, int] = {}
        self.section: tuple = ()
        self.redefinition: Redefinition | None = None

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

    def skip_value(self, prefix: tuple, track: tuple | None = None):
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
                self.key_value(prefix, track)
        else:
            while self.i < len(self.s) and self.s[self.i] not in ",]}\n#":
                self.advance()

    def key_value(self, table: tuple, track: tuple | None = None):
        """One `key = value`; `track` is the table's resolved path for the define-once rule (None inside
        arrays, whose inline tables are separate tables)."""
        parts, quoted, start, end = self.read_key()
        if not parts:
            self.skip_line()
            return
        path = table + tuple(parts)
        self.index.keys.setdefault(path, KeyInfo(self.pos(start), tuple(quoted), self.s[start:end].strip()))
        # each dotted prefix implicitly defines a table; remember where it was first written
        for k in range(1, len(parts)):
            self.index.tables.setdefault(table + tuple(parts[:k]), self.pos(start))
        full = None
        if track is not None:
            full = track + tuple(parts)
            self._define_key(track, parts, self.pos(start))
        self.skip_ws()
        if self.peek() == "=":
            self.advance()
            self.skip_value(path, full)

    # ------------------------------------------------------------------ define-once (find_redefinition)
    def _conflict(self, path: tuple, pos: Position, how: str) -> None:
        if self.redefinition is None:
            self.redefinition = Redefinition(path, pos, self.first.get(path, pos), how)

    def _mark(self, path: tuple, kind: str, pos: Position) -> None:
        self.defined[path] = kind
        self.first.setdefault(path, pos)

    def _resolve(self, parts) -> tuple:
        """A header's path with the current element index after every array of tables it passes."""
        out: tuple = ()
        for part in parts:
            out += (part,)
            n = self.aot.get(out)
            if n:
                out += (n - 1,)
        return out

    def _define_key(self, table: tuple, parts: list, pos: Position) -> None:
        for k in range(1, len(parts)):
            prefix = table + tuple(parts[:k])
            kind = self.defined.get(prefix)
            if kind in ("value", "header", "aot"):
                return self._conflict(prefix, pos, "dotted")  # a value or a [table] reopened by a dotted key
            if kind in (None, "implicit"):
                self._mark(prefix, "dotted", pos)
        full = table + tuple(parts)
        if full in self.defined:
            return self._conflict(full, pos, "key")
        self._mark(full, "value", pos)

    def _define_header(self, parts: list, double: bool, pos: Position) -> tuple:
        """Record a `[table]` / `[[array]]` header; returns the section's resolved path."""
        if not parts:
            return ()
        parent = self._resolve(parts[:-1])
        walked: tuple = ()
        for part in parts[:-1]:  # the tables the header passes through
            walked += (part,)
            if self.defined.get(walked) == "value":
                self._conflict(walked, pos, "header")
            elif walked not in self.defined:
                self._mark(walked, "implicit", pos)
            if self.aot.get(walked):
                walked += (self.aot[walked] - 1,)
        path = parent + (parts[-1],)
        kind = self.defined.get(path)
        if double:
            if kind not in (None, "aot"):
                self._conflict(path, pos, "header")
            self.aot[path] = self.aot.get(path, 0) + 1
            self._mark(path, "aot", pos)
            element = path + (self.aot[path] - 1,)
            self._mark(element, "header", pos)
            return element
        if kind == "aot":  # [a] after [[a]] names the last element, already a table
            element = path + (self.aot[path] - 1,)
            self._conflict(element, pos, "header")
            return element
        if kind not in (None, "implicit"):
            self._conflict(path, pos, "header")
        elif kind == "implicit":
            self.first[path] = pos  # the table is defined here, not where a longer header spelled it
        self._mark(path, "header", pos)
        return path

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
                self.section = self._define_header(parts, double, self.pos(start))
                if double:
                    n = self.array_counts.get(key, 0)
                    self.array_counts[key] = n + 1
                    self.index.tables.setdefault(key, self.pos(start))
                    table = key + (n,)
                else:
                    table = key
                self.index.tables.setdefault(table, self.pos(start))
                for k in range(1, len(key)):  # the implicit tables this header spells
                    self.index.spelled.setdefault(key[:k], key)
                continue
            before = self.i
            self.key_value(table, self.section)
            self.skip_ws()
            if self.peek() == "#":
                self.skip_line()
            if self.i == before:
                self.advance()
        return self.index


def index_keys(text: str) -> TomlIndex:
    return _Scanner(text).run()
