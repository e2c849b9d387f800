"""HCL (Terraform) with positions, and a small, honest expression evaluator.

python-hcl2's dict API drops line numbers, so this module walks its Lark parse tree
(`hcl2.parses_to_tree`) into located blocks and attributes, and expressions into a tiny AST whose nodes
know their line and column. The evaluator computes what can be known without running Terraform:
literals, collections, heredocs, string interpolation, a handful of pure functions and references that
the caller's `Env` resolves (locals, variable defaults, data sources...). Everything else is `UNKNOWN`,
and a string with an unknown piece keeps the known pieces around the tomldoc `UNKNOWN` marker (so
`/aws/service/bottlerocket/aws-k8s-${var.v}/x86_64/latest/image_id` still reveals the variant). The
evaluator never raises on odd expressions: checks that depend on an unknown value are skipped.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Position
from .tomldoc import UNKNOWN as MARK
from .yamldoc import ParseError

# =============================================================================================== AST
# Every node has `pos`: the 1-based position of its first character in the file.


@dataclass(eq=False)
class Node:
    pos: Position


@dataclass(eq=False)
class Literal(Node):
    value: object  # str | int | float | bool | None


@dataclass(eq=False)
class Template(Node):
    """A quoted string: literal text pieces (escapes decoded) and interpolated expressions."""

    parts: list  # str | Node
    directives: bool = False  # %{if}/%{for}: not evaluated


@dataclass(eq=False)
class Heredoc(Node):
    """`<<EOT` / `<<-EOT`. `body` is the text after indentation trimming, placeholders still in it."""

    body: str
    trim: bool
    content_pos: Position  # where the first character of the (trimmed) content stands in the file
    indent: int = 0  # columns removed from every line by `<<-`


@dataclass(eq=False)
class TupleExpr(Node):
    items: list


@dataclass(eq=False)
class ObjectItem:
    key: Node
    key_name: str | None  # a bare identifier or a literal string key
    value: Node
    pos: Position


@dataclass(eq=False)
class ObjectExpr(Node):
    items: list  # ObjectItem


@dataclass(eq=False)
class Traversal(Node):
    """`root.attr[index]...`: steps are ("attr", name), ("index", Node) or ("splat", None)."""

    root: str
    steps: list


@dataclass(eq=False)
class IndexOf(Node):
    """Steps applied to something that is not a bare name: `f(x)[0]`, `{...}.a`."""

    base: Node
    steps: list


@dataclass(eq=False)
class Call(Node):
    name: str
    args: list
    expand: bool = False  # f(list...)


@dataclass(eq=False)
class Conditional(Node):
    cond: Node
    then: Node
    other: Node


@dataclass(eq=False)
class BinaryOp(Node):
    op: str
    left: Node
    right: Node


@dataclass(eq=False)
class UnaryOp(Node):
    op: str
    operand: Node


@dataclass(eq=False)
class ForExpr(Node):
    """`[for v in coll : expr if cond]` / `{for k, v in coll : key => value... if cond}`."""

    key_var: str | None  # the first name when two are given (index / map key)
    value_var: str
    collection: Node
    key: Node | None  # None for a tuple `for`
    value: Node
    cond: Node | None = None
    grouping: bool = False  # `...` after the value: values grouped into lists per key


@dataclass(eq=False)
class Other(Node):
    """A construct the evaluator does not model (for expressions, splats...): always UNKNOWN."""

    what: str


@dataclass(eq=False)
class Attribute:
    name: str
    value: Node
    pos: Position  # the attribute name


@dataclass(eq=False)
class Block:
    type: str
    labels: list[str]
    body: "Body"
    pos: Position  # the block type keyword
    end_line: int = 0

    @property
    def name(self) -> str:
        return self.labels[-1] if self.labels else ""


@dataclass(eq=False)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def attr(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]

    def block(self, type_: str) -> Block | None:
        for b in self.blocks:
            if b.type == type_:
                return b
        return None


# ============================================================================================ parsing
_TOKEN_NAMES = {
    "RBRACE": "'}'", "LBRACE": "'{'", "RSQB": "']'", "LSQB": "'['", "RPAR": "')'", "LPAR": "'('",
    "DBLQUOTE": "'\"'", "EQ": "'='", "COMMA": "','", "NAME": "a name", "$END": "end of file",
    "NL_OR_COMMENT": "a new line", "COLON": "':'",
}


def _describe(token) -> str:
    if token is None:
        return "input"
    if token.type == "$END":
        return "end of file"
    text = str(token).strip()
    if token.type == "STRING_CHARS" or not text:
        text = str(token).split("\n", 1)[0].strip() or "new line"
    if len(text) > 30:
        text = text[:27] + "..."
    return repr(text)


def _syntax_error(exc, text: str) -> ParseError:
    lines = text.split("\n")
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    if not isinstance(line, int) or line < 1:
        line, column = len(lines), len(lines[-1]) + 1 if lines else 1
    if line > len(lines) or (line == len(lines) and lines[-1] == "" and len(lines) > 1):
        # the parser ran past the end (hcl2 appends a newline): point after the last character
        line = len(lines) - 1 if lines[-1] == "" and len(lines) > 1 else len(lines)
        column = len(lines[line - 1]) + 1
    if not isinstance(column, int) or column < 1:
        column = 1
    token = getattr(exc, "token", None)
    what = _describe(token) if token is not None else None
    if what is None and getattr(exc, "char", None) is not None:
        what = repr(exc.char)
    expected = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    wanted = [_TOKEN_NAMES[t] for t in expected if t in _TOKEN_NAMES]
    message = f"HCL syntax error: unexpected {what or 'input'}"
    if wanted and len(wanted) <= 4:
        message += f", expected {' or '.join(wanted)}"
    return ParseError(message, Position(line, column))


_PARSER = None


def _parse_tree(text: str):
    """python-hcl2's grammar and post-lexer in a Lark parser of our own: without `propagate_positions`
    (tokens keep their line/column; node positions are taken from their first token), which halves the
    parse time. Falls back to `hcl2.parses_to_tree` if the grammar cannot be loaded that way."""
    global _PARSER
    if _PARSER is None:
        try:
            from hcl2 import parser as hcl2_parser
            from hcl2.postlexer import PostLexer
            from lark import Lark

            grammar_path = os.path.join(os.path.dirname(hcl2_parser.__file__), "hcl2.lark")
            with open(grammar_path, encoding="utf-8") as fh:
                grammar = fh.read()
            # HCL identifiers are Unicode (ID_Start ID_Continue* and '-'); python-hcl2's NAME is ASCII-only,
            # so `locals { abteilungs_kürzel = ... }` would be a false E001
            grammar = grammar.replace("NAME : /[a-zA-Z_][a-zA-Z0-9_-]*/", r"NAME : /(?!\d)\w[\w-]*/")
            _PARSER = Lark(grammar, parser="lalr", postlex=PostLexer(), propagate_positions=False, cache=True,
                           import_paths=[os.path.dirname(grammar_path)])
        except Exception:  # noqa: BLE001 - another hcl2 layout: use its own entry point
            import hcl2

            _PARSER = False
            return hcl2.parses_to_tree(text)
    if _PARSER is False:
        import hcl2

        return hcl2.parses_to_tree(text)
    return _PARSER.parse(text + "\n")  # hcl2 appends a newline too (no EOF token in its grammar)


def parse_hcl(text: str) -> Body:
    """The located body of a .tf file. Raises ParseError (message, position) on a syntax error."""
    from lark import Token, Tree
    from lark.exceptions import LarkError

    text = text.replace("\r\n", "\n")
    try:
        tree = _parse_tree(text)
    except LarkError as exc:
        raise _syntax_error(exc, text) from None
    except RecursionError:
        raise ParseError("HCL too deeply nested to read", Position(1, 1)) from None
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the scan
        raise ParseError(f"HCL could not be parsed: {type(exc).__name__}", Position(1, 1)) from None
    try:
        return _Converter(Token, Tree).body(tree.children[0])
    except RecursionError:
        raise ParseError("HCL too deeply nested to read", Position(1, 1)) from None


def parse_expression(source: str) -> Node:
    """One expression (e.g. the inside of a heredoc `${...}`); Other on any syntax error."""
    try:
        body = parse_hcl(f"__forewarn__ = {source.strip()}\n")
    except ParseError:
        return Other(Position(1, 1), "unparsable expression")
    attr = body.attr("__forewarn__")
    return attr.value if attr else Other(Position(1, 1), "unparsable expression")


_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw

    def sub(m):
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            try:
                return chr(int(code[1:], 16))
            except (ValueError, OverflowError):
                return m.group(0)
        return _SIMPLE_ESCAPES.get(code, m.group(0))

    return _ESCAPE.sub(sub, raw)


def _heredoc(token, trim: bool) -> Heredoc:
    value = str(token).replace("\r\n", "\n")
    first_nl = value.find("\n")
    marker = value[: first_nl].strip()
    delimiter = marker[3:] if trim else marker[2:]
    lines = value[first_nl + 1 :].split("\n")
    # the closing delimiter is the last line that is only the delimiter
    end = len(lines) - 1
    while end >= 0 and lines[end].strip() != delimiter:
        end -= 1
    body_lines = lines[: max(end, 0)]
    indent = 0
    if trim:
        widths = [len(ln) - len(ln.lstrip(" \t")) for ln in body_lines if ln.strip()]
        indent = min(widths) if widths else 0
        body_lines = [ln[indent:] if ln.strip() else ln.lstrip(" \t") for ln in body_lines]
    body = "".join(ln + "\n" for ln in body_lines)
    pos = Position(token.line, token.column)
    return Heredoc(pos, body, trim, Position(token.line + 1, indent + 1), indent)


class _Converter:
    """Lark tree -> Body/Block/Attribute/Node. Unknown shapes become `Other`, never an exception."""

    def __init__(self, token_cls, tree_cls):
        self.Token = token_cls
        self.Tree = tree_cls

    # ----------------------------------------------------------------- helpers
    def pos(self, item) -> Position:
        if isinstance(item, self.Token):
            return Position(item.line or 1, item.column or 1)
        meta = getattr(item, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Position(meta.line, meta.column)
        for child in getattr(item, "children", ()):
            if isinstance(child, (self.Token, self.Tree)):
                return self.pos(child)
        return Position(1, 1)

    def trees(self, tree):
        return [c for c in tree.children if isinstance(c, self.Tree) and c.data != "new_line_or_comment"]

    def name_of(self, tree) -> str:
        """identifier / keyword / literal_value / string used as a name or label."""
        if isinstance(tree, self.Token):
            return str(tree)
        if tree.data == "string":
            return "".join(
                _unescape(str(p.children[0])) if isinstance(p.children[0], self.Token) else ""
                for p in tree.children
                if isinstance(p, self.Tree)
            )
        for c in tree.children:
            if isinstance(c, self.Token):
                return str(c)
        return ""

    # ----------------------------------------------------------------- structure
    def body(self, tree) -> Body:
        out = Body()
        for child in tree.children:
            if not isinstance(child, self.Tree):
                continue
            if child.data == "attribute":
                attr = self.attribute(child)
                if attr is not None:
                    out.attributes[attr.name] = attr
            elif child.data == "block":
                out.blocks.append(self.block(child))
        return out

    def attribute(self, tree) -> Attribute | None:
        kids = self.trees(tree)
        if len(kids) < 2:
            return None
        return Attribute(self.name_of(kids[0]), self.expr(kids[-1]), self.pos(kids[0]))

    def block(self, tree) -> Block:
        names: list = []
        body = Body()
        end_line = 0
        for child in tree.children:
            if isinstance(child, self.Tree):
                if child.data == "body":
                    body = self.body(child)
                elif child.data != "new_line_or_comment":
                    names.append(self.name_of(child))
            elif isinstance(child, self.Token) and child.type == "RBRACE":
                end_line = child.line or 0
        pos = self.pos(tree)
        return Block(names[0] if names else "", names[1:], body, pos, end_line or pos.line)

    # ----------------------------------------------------------------- expressions
    def expr(self, tree) -> Node:
        if isinstance(tree, self.Token):
            return Other(self.pos(tree), tree.type)
        pos = self.pos(tree)
        kind = tree.data
        kids = self.trees(tree)
        try:
            if kind == "expr_term":
                tokens = [c for c in tree.children if isinstance(c, self.Token)]
                if kids and len(kids) == 1:
                    return self.expr(kids[0])
                if tokens and tokens[0].type == "LPAR" and kids:
                    return self.expr(kids[0])
                return Other(pos, "empty")
            if kind == "int_lit":
                return Literal(pos, int(str(tree.children[0])))
            if kind == "float_lit":
                return Literal(pos, float(str(tree.children[0])))
            if kind == "literal_value":
                word = str(tree.children[0])
                return Literal(pos, {"true": True, "false": False, "null": None}.get(word))
            if kind == "identifier" or kind == "keyword":
                return Traversal(pos, str(tree.children[0]), [])
            if kind == "string":
                return self.string(tree, pos)
            if kind == "heredoc_template":
                return _heredoc(tree.children[0], trim=False)
            if kind == "heredoc_template_trim":
                return _heredoc(tree.children[0], trim=True)
            if kind == "tuple":
                return TupleExpr(pos, [self.expr(k) for k in kids])
            if kind == "object":
                return ObjectExpr(pos, [self.object_item(k) for k in kids if k.data == "object_elem"])
            if kind == "function_call":
                return self.call(tree, pos)
            if kind in ("get_attr_expr_term", "index_expr_term"):
                return self.traversal(tree, pos)
            if kind == "conditional":
                if len(kids) >= 3:
                    return Conditional(pos, self.expr(kids[0]), self.expr(kids[1]), self.expr(kids[2]))
                return Other(pos, kind)
            if kind == "binary_op":
                term = kids[1]
                tkids = self.trees(term)
                op_tree = tkids[0]
                op = str(op_tree.children[0]).strip() if op_tree.children else "?"
                return BinaryOp(pos, op, self.expr(kids[0]), self.expr(tkids[-1]))
            if kind == "unary_op":
                op = str(tree.children[0]).strip()
                return UnaryOp(pos, op, self.expr(kids[-1]))
            if kind in ("for_tuple_expr", "for_object_expr"):
                return self.for_expr(tree, kind, pos)
        except (IndexError, ValueError, AttributeError, TypeError):
            return Other(pos, kind)
        return Other(pos, kind)

    def string(self, tree, pos) -> Template:
        parts: list = []
        directives = False
        for part in tree.children:
            if not isinstance(part, self.Tree):
                continue
            inner = part.children[0] if part.children else None
            if isinstance(inner, self.Token):
                raw = str(inner)
                if inner.type == "ESCAPED_INTERPOLATION":
                    parts.append(raw[1:])  # $${x} -> ${x}
                elif inner.type == "ESCAPED_DIRECTIVE":
                    parts.append(raw[1:])
                else:
                    parts.append(_unescape(raw))
            elif isinstance(inner, self.Tree):
                if inner.data == "interpolation":
                    sub = self.trees(inner)
                    parts.append(self.expr(sub[0]) if sub else Other(pos, "interpolation"))
                else:
                    directives = True
        merged: list = []
        for p in parts:
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            else:
                merged.append(p)
        return Template(pos, merged, directives)

    def object_item(self, tree) -> ObjectItem:
        kids = self.trees(tree)
        key_tree, value_tree = kids[0], kids[-1]
        key_kids = self.trees(key_tree)
        key_node = self.expr(key_kids[0]) if key_kids else Other(self.pos(key_tree), "key")
        if key_kids and key_kids[0].data == "keyword":
            key_node = Traversal(self.pos(key_tree), self.name_of(key_kids[0]), [])
        key_name = None
        if isinstance(key_node, Traversal) and not key_node.steps:
            key_name = key_node.root
        elif isinstance(key_node, Template) and all(isinstance(p, str) for p in key_node.parts):
            key_name = "".join(key_node.parts)
        elif isinstance(key_node, Literal) and isinstance(key_node.value, (int, float)):
            key_name = str(key_node.value)
        # `(var.k) = v` keeps its key as an expression (key_name None)
        if key_kids and isinstance(key_kids[0], self.Tree) and any(
            isinstance(c, self.Token) and c.type == "LPAR" for c in key_kids[0].children
        ):
            key_name = None
        return ObjectItem(key_node, key_name, self.expr(value_tree), self.pos(key_tree))

    def for_expr(self, tree, kind, pos) -> Node:
        kids = self.trees(tree)
        intro = kids[0]
        names = [self.name_of(k) for k in self.trees(intro) if k.data == "identifier"]
        colls = [k for k in self.trees(intro) if k.data != "identifier"]
        if not names or len(names) > 2 or len(colls) != 1:
            return Other(pos, kind)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        rest = kids[1:]
        cond = None
        if rest and rest[-1].data == "for_cond":
            cond_kids = self.trees(rest[-1])
            cond = self.expr(cond_kids[0]) if cond_kids else Other(self.pos(rest[-1]), "for_cond")
            rest = rest[:-1]
        grouping = any(isinstance(c, self.Token) and c.type == "ELLIPSIS" for c in tree.children)
        if kind == "for_tuple_expr" and len(rest) == 1:
            return ForExpr(pos, key_var, value_var, self.expr(colls[0]), None, self.expr(rest[0]), cond)
        if kind == "for_object_expr" and len(rest) == 2:
            return ForExpr(pos, key_var, value_var, self.expr(colls[0]), self.expr(rest[0]), self.expr(rest[1]),
                           cond, grouping)
        return Other(pos, kind)

    def call(self, tree, pos) -> Node:
        names = [self.name_of(c) for c in tree.children if isinstance(c, self.Tree) and c.data == "identifier"]
        args_tree = next((c for c in tree.children if isinstance(c, self.Tree) and c.data == "arguments"), None)
        args, expand = [], False
        if args_tree is not None:
            args = [self.expr(k) for k in self.trees(args_tree)]
            expand = any(isinstance(c, self.Token) and c.type == "ELLIPSIS" for c in args_tree.children)
        return Call(pos, "::".join(names), args, expand)

    def traversal(self, tree, pos) -> Node:
        steps: list = []
        node = tree
        while isinstance(node, self.Tree) and node.data in ("get_attr_expr_term", "index_expr_term", "expr_term"):
            if node.data == "expr_term":
                kids = self.trees(node)
                if len(kids) == 1 and kids[0].data in ("get_attr_expr_term", "index_expr_term"):
                    node = kids[0]
                    continue
                break
            base, step = self.trees(node)[:2]
            steps.append(self.step(step))
            node = base
        steps.reverse()
        base_kids = self.trees(node) if node.data == "expr_term" else [node]
        if len(base_kids) == 1 and base_kids[0].data == "identifier" and not any(
            isinstance(c, self.Token) and c.type == "LPAR" for c in node.children
        ):
            return Traversal(pos, str(base_kids[0].children[0]), steps)
        return IndexOf(pos, self.expr(node), steps)

    def step(self, tree):
        if tree.data == "get_attr":
            kids = self.trees(tree)
            return ("attr", self.name_of(kids[0]) if kids else "")
        if tree.data == "braces_index":
            kids = self.trees(tree)
            return ("index", self.expr(kids[0]) if kids else Other(self.pos(tree), "index"))
        if tree.data == "short_index":
            num = [c for c in tree.children if isinstance(c, self.Token) and c.type == "INT_LITERAL"]
            return ("index", Literal(self.pos(tree), int(str(num[0])) if num else 0))
        return ("splat", None)


# ============================================================================================= values
class _Unknown:
    """A value forewarn cannot know. Falsy, so a careless `if value:` treats it as absent, not as set."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN = _Unknown()


class LDict(dict):
    """An object/map value that remembers where it (and each of its keys) was written."""

    file: str = ""
    pos: Position = Position(1, 1)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.key_pos: dict = {}
        self.key_file: dict = {}

    def at(self, key) -> Position:
        return self.key_pos.get(key, self.pos)

    def file_of(self, key) -> str:
        return self.key_file.get(key, self.file)


class LList(list):
    file: str = ""
    pos: Position = Position(1, 1)

    def __init__(self, *args):
        super().__init__(*args)
        self.item_pos: list = []

    def at(self, i: int) -> Position:
        return self.item_pos[i] if 0 <= i < len(self.item_pos) else self.pos


class Doc(str):
    """A string that is a document (a heredoc, a template file, a quoted string) and knows where its text
    stands: line/column offsets into `file` for a heredoc, `pin` for a one-line quoted string (positions
    inside cannot be mapped), or `template` for a templatefile() target. `template_text`/`variables` are
    what tomldoc.render_template needs to render it placeholder-exactly."""

    file: str = ""
    line_offset: int = 0
    column_offset: int = 0
    pin: Position | None = None
    template: "TemplateRef | None" = None
    template_text: str = ""
    variables: dict | None = None
    origin: str = ""  # "heredoc" | "string" | "templatefile" | "file"
    start: Position = Position(1, 1)  # where the expression that produced it starts (host file)

    @classmethod
    def make(cls, text: str, file: str, origin: str, start: Position, **kw) -> "Doc":
        doc = cls(text)
        doc.file, doc.origin, doc.start = file, origin, start
        doc.template_text = kw.pop("template_text", text)
        doc.variables = kw.pop("variables", None) or {}
        for key, value in kw.items():
            setattr(doc, key, value)
        return doc


@dataclass(frozen=True, eq=False)
class TemplateRef:
    """A templatefile() call that rendered a file: which file, with which literal arguments, from where."""

    path: str  # resolved absolute path of the template
    display: str  # how findings name it
    text: str
    variables: dict
    call_file: str
    call_pos: Position


@dataclass(frozen=True, eq=False)
class SsmParameter:
    """`data.aws_ssm_parameter.x.value`: the value is unknown, but the parameter name often tells a lot."""

    name: object  # str (maybe partially known) or UNKNOWN
    address: str
    file: str
    pos: Position


@dataclass(frozen=True, eq=False)
class AmiLookup:
    """`data.aws_ami.x.id`: the AMI is unknown; its name filters / name_regex are kept."""

    names: tuple
    address: str
    file: str
    pos: Position


@dataclass(frozen=True, eq=False)
class BlockRef:
    """A reference to a resource of the same module (`aws_launch_template.x.id`)."""

    type: str
    name: str
    attr: str
    file: str = ""
    pos: Position = Position(1, 1)
    key: object = None  # the instance (`x[each.key]`, `x[0]`): None when not indexed, UNKNOWN when unknown

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


OPAQUE = (SsmParameter, AmiLookup, BlockRef)


def is_known(value) -> bool:
    """A value fully known statically (scalars, or containers; containers may hold unknown members)."""
    if value is UNKNOWN or isinstance(value, OPAQUE):
        return False
    if isinstance(value, str):
        return MARK not in value
    return True


def known_str(value) -> str | None:
    return value if isinstance(value, str) and MARK not in value else None


def as_number(value):
    """A known number (Terraform converts "20" to 20 where a number is expected), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    s = known_str(value)
    if s is not None:
        try:
            return int(s.strip())
        except ValueError:
            try:
                return float(s.strip())
            except ValueError:
                return None
    return None


def as_bool(value):
    """A known bool (also "true"/"false" strings), else None."""
    if isinstance(value, bool):
        return value
    s = known_str(value)
    if s is not None and s.strip().lower() in ("true", "false"):
        return s.strip().lower() == "true"
    return None


def to_text(value):
    """Terraform's string conversion of a known primitive; None when that is not possible."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


# ========================================================================================= evaluation
class Env:
    """What an expression may refer to. The default knows nothing: every reference is UNKNOWN.

    `file` is the display path of the file being evaluated (for located values), `directory` its
    directory on disk (path.module, relative template paths) or None when unknown (stdin).
    """

    file: str = ""
    directory: Path | None = None

    def reference(self, node: Traversal, evaluator: "Evaluator"):
        return UNKNOWN

    def templatefile(self, path, variables, node: Call):
        return UNKNOWN

    def read_file(self, path, node: Call):
        return UNKNOWN


_DIRECTIVE = re.compile(r"(?<!%)%\{[^}]*\}", re.S)


class Evaluator:
    """Evaluates AST nodes in an Env. Pure and total: any failure is UNKNOWN, never an exception."""

    MAX_DEPTH = 64
    MAX_FOR_ITEMS = 256  # a `for` over more elements is UNKNOWN (keeps evaluation linear and small)

    def __init__(self, env: Env):
        self.env = env
        self.depth = 0
        self._expr_cache: dict = {}
        self.scopes: list[dict] = []  # names bound by enclosing `for` expressions, innermost last

    def eval(self, node):
        if node is None:
            return None
        self.depth += 1
        try:
            if self.depth > self.MAX_DEPTH:
                return UNKNOWN
            return self._eval(node)
        except RecursionError:
            return UNKNOWN
        except Exception:  # noqa: BLE001 - honest evaluator: what cannot be computed is unknown
            return UNKNOWN
        finally:
            self.depth -= 1

    def _eval(self, node):
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Template):
            return self.template(node)
        if isinstance(node, Heredoc):
            return self.heredoc(node)
        if isinstance(node, TupleExpr):
            out = LList(self.eval(i) for i in node.items)
            out.item_pos = [i.pos for i in node.items]
            out.file, out.pos = self.env.file, node.pos
            return out
        if isinstance(node, ObjectExpr):
            return self.object(node)
        if isinstance(node, Traversal):
            for scope in reversed(self.scopes):
                if node.root in scope:
                    return self.apply_steps(scope[node.root], node.steps)
            return self.env.reference(node, self)
        if isinstance(node, ForExpr):
            return self.for_expr(node)
        if isinstance(node, IndexOf):
            return self.apply_steps(self.eval(node.base), node.steps)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Conditional):
            cond = as_bool(self.eval(node.cond))
            if cond is None:
                return UNKNOWN
            return self.eval(node.then if cond else node.other)
        if isinstance(node, UnaryOp):
            value = self.eval(node.operand)
            if node.op == "-":
                n = as_number(value)
                return -n if n is not None else UNKNOWN
            if node.op == "!":
                b = as_bool(value)
                return (not b) if b is not None else UNKNOWN
            return UNKNOWN
        if isinstance(node, BinaryOp):
            return self.binary(node)
        return UNKNOWN

    # ------------------------------------------------------------------ strings
    def template(self, node: Template):
        if node.directives:
            return UNKNOWN
        if len(node.parts) == 1 and isinstance(node.parts[0], Node):
            return self.eval(node.parts[0])  # "${x}" keeps x's type
        out, tpl, variables = [], [], {}
        for i, part in enumerate(node.parts):
            if isinstance(part, str):
                out.append(part)
                tpl.append(part.replace("${", "$${"))
                continue
            value = self.eval(part)
            text = to_text(value)
            out.append(text if text is not None else MARK)
            name = f"__forewarn_{i}"
            tpl.append("${" + name + "}")
            if text is not None and MARK not in text:
                variables[name] = value
        value = "".join(out)
        if "\n" in value or "settings" in value:
            # may be an embedded document: positions inside a one-line string cannot be mapped, so findings
            # in it point at the string itself
            return Doc.make(value, self.env.file, "string", node.pos, pin=node.pos,
                            template_text="".join(tpl), variables=variables)
        return value

    def heredoc(self, node: Heredoc) -> Doc:
        """The heredoc's value as a Doc that keeps its position (for embedded documents)."""
        text = node.body
        if "%{" in text:  # directives first: their conditions are expressions of this scope
            from .tomldoc import resolve_directives

            text = resolve_directives(text, lambda source: self.eval(self._parsed(source)), [])
        variables: dict = {}
        template_text = text
        if "${" in text:
            pieces, tpl_pieces, last = [], [], 0
            from .directives import placeholders

            for i, m in enumerate(placeholders(text)):
                expr = m.group(1).strip().strip("~").strip()
                value = self.eval(self._parsed(expr))
                pieces.append(text[last : m.start()])
                tpl_pieces.append(text[last : m.start()])
                rendered = to_text(value)
                pieces.append((rendered if rendered is not None else MARK) + "\n" * m.group(0).count("\n"))
                name = f"__forewarn_{i}"
                if value is not None and is_known(value) and to_text(value) is not None:
                    variables[name] = value
                tpl_pieces.append("${" + name + "}" + "\n" * m.group(0).count("\n"))
                last = m.end()
            pieces.append(text[last:])
            tpl_pieces.append(text[last:])
            text = "".join(pieces).replace("$${", "${")
            template_text = "".join(tpl_pieces)
        if "%{" in text:
            text = _DIRECTIVE.sub(lambda m: "\n" * m.group(0).count("\n"), text).replace("%%{", "%{")
        return Doc.make(
            text, self.env.file, "heredoc", node.pos, template_text=template_text, variables=variables,
            line_offset=node.content_pos.line - 1, column_offset=node.indent,
        )

    def _parsed(self, source: str) -> Node:
        node = self._expr_cache.get(source)
        if node is None:
            node = self._expr_cache[source] = parse_expression(source)
        return node

    # ------------------------------------------------------------------ collections
    def object(self, node: ObjectExpr) -> LDict:
        out = LDict()
        out.file, out.pos = self.env.file, node.pos
        for item in node.items:
            key = item.key_name
            if key is None:
                key = to_text(self.eval(item.key))
                if key is None:
                    return UNKNOWN  # a computed key we cannot know: the whole map is unknown
            out[key] = self.eval(item.value)
            out.key_pos[key] = item.pos
        return out

    def for_expr(self, node: ForExpr):
        """A `for` expression over a known list/map (e.g. node groups built per AZ or from a map of
        settings). Any unknown element key, condition or collection makes the whole result UNKNOWN."""
        coll = self.eval(node.collection)
        if isinstance(coll, dict):
            pairs = list(coll.items())
        elif isinstance(coll, (list, tuple, set)) and not isinstance(coll, str):
            pairs = list(enumerate(coll)) if not isinstance(coll, set) else [(v, v) for v in sorted(coll, key=repr)]
        else:
            return UNKNOWN
        if len(pairs) > self.MAX_FOR_ITEMS:
            return UNKNOWN
        if node.key is None:
            out = LList()
            out.item_pos = []
        else:
            out = LDict()
        out.file, out.pos = self.env.file, node.pos
        for k, v in pairs:
            scope = {node.value_var: v}
            if node.key_var is not None:
                scope[node.key_var] = k
            self.scopes.append(scope)
            try:
                if node.cond is not None:
                    keep = as_bool(self.eval(node.cond))
                    if keep is None:
                        return UNKNOWN
                    if not keep:
                        continue
                value = self.eval(node.value)
                if node.key is None:
                    out.append(value)
                    out.item_pos.append(node.value.pos)
                    continue
                key = to_text(self.eval(node.key))
                if key is None:
                    return UNKNOWN
                if node.grouping:
                    out.setdefault(key, LList()).append(value)
                elif key in out:
                    return UNKNOWN  # Terraform refuses duplicate keys without `...`
                else:
                    out[key] = value
                out.key_pos[key] = node.key.pos
            finally:
                self.scopes.pop()
        return out

    def apply_steps(self, value, steps):
        for kind, arg in steps:
            if kind == "splat" or value is UNKNOWN:
                return UNKNOWN
            if kind == "attr":
                value = value.get(arg, UNKNOWN) if isinstance(value, dict) else UNKNOWN
                continue
            index = self.eval(arg)
            if isinstance(value, dict):
                key = to_text(index)
                value = value.get(key, UNKNOWN) if key is not None else UNKNOWN
            elif isinstance(value, list):
                n = as_number(index)
                value = value[int(n)] if isinstance(n, (int, float)) and 0 <= int(n) < len(value) else UNKNOWN
            else:
                return UNKNOWN
        return value

    # ------------------------------------------------------------------ operators
    def binary(self, node: BinaryOp):
        op = node.op
        left, right = self.eval(node.left), self.eval(node.right)
        if op in ("&&", "||"):
            a, b = as_bool(left), as_bool(right)
            if op == "&&" and (a is False or b is False):
                return False
            if op == "||" and (a is True or b is True):
                return True
            return UNKNOWN if a is None or b is None else (a and b if op == "&&" else a or b)
        if not is_known(left) or not is_known(right):
            return UNKNOWN
        if op in ("==", "!="):
            if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
                return UNKNOWN
            same = type(left) is type(right) or (
                isinstance(left, (int, float)) and isinstance(right, (int, float))
                and not isinstance(left, bool) and not isinstance(right, bool)
            )
            equal = same and left == right
            return equal if op == "==" else not equal
        a, b = as_number(left), as_number(right)
        if a is None or b is None:
            return UNKNOWN
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b if b else UNKNOWN
        if op == "%":
            return a % b if b else UNKNOWN
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        return UNKNOWN

    # ------------------------------------------------------------------ functions
    def call(self, node: Call):
        name = node.name
        if node.expand:
            return UNKNOWN
        if name in _IDENTITY:
            return self.eval(node.args[0]) if len(node.args) == 1 else UNKNOWN
        if name == "templatefile":
            if len(node.args) != 2:
                return UNKNOWN
            return self.env.templatefile(self.eval(node.args[0]), self.eval(node.args[1]), node)
        if name in ("file", "filebase64"):  # filebase64 = base64encode(file()): keep the inner document
            return self.env.read_file(self.eval(node.args[0]), node) if len(node.args) == 1 else UNKNOWN
        fn = _FUNCTIONS.get(name)
        if fn is None:
            return UNKNOWN
        args = [self.eval(a) for a in node.args]
        result = fn(*args)
        return UNKNOWN if result is None else result


_IDENTITY = {
    # base64 wrappers keep the inner document (the node decodes what Terraform encodes)
    "base64encode", "base64gzip", "sensitive", "nonsensitive", "tolist", "toset", "tomap",
    # yamlencode keeps the object: a kubectl_manifest's yaml_body is judged as the object it encodes;
    # yamldecode(templatefile(...)) keeps the rendered manifest text, which tf_manifests reads as YAML
    "yamlencode", "yamldecode",
}


def _str_fn(fn):
    def wrapped(*args):
        if len(args) != 1:
            return None
        s = known_str(args[0])
        return fn(s) if s is not None else None

    return wrapped


_FORMAT_VERB = re.compile(r"%(%|[-+ 0#]*\d*(?:\.\d+)?[sdvqft])")


def _format(fmt=None, *args):
    fmt = known_str(fmt)
    if fmt is None:
        return None
    args = list(args)
    out, last, i = [], 0, 0
    for m in _FORMAT_VERB.finditer(fmt):
        out.append(fmt[last : m.start()])
        last = m.end()
        spec = m.group(1)
        if spec == "%":
            out.append("%")
            continue
        if i >= len(args):
            return None
        value = args[i]
        i += 1
        verb, flags = spec[-1], spec[:-1]
        if verb in "sv":
            text = to_text(value)
            if text is None or MARK in text:
                return None
            out.append(("%" + flags + "s") % text)
        elif verb == "q":
            text = to_text(value)
            if text is None or MARK in text:
                return None
            out.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            num = as_number(value)
            if num is None:
                return None
            out.append(("%" + flags + verb) % (int(num) if verb == "d" else float(num)))
    out.append(fmt[last:])
    if "%" in fmt[last:].replace("%%", ""):
        return None
    return "".join(out)


def _join(sep=None, *lists):
    sep = known_str(sep)
    if sep is None or not lists:
        return None
    items = []
    for lst in lists:
        if not isinstance(lst, list):
            return None
        for item in lst:
            text = to_text(item)
            if text is None:
                return None
            items.append(text)  # a partly unknown item keeps its marker, as interpolation does
    return sep.join(items)


def _replace(s=None, old=None, new=None):
    s, old, new = known_str(s), known_str(old), known_str(new)
    if s is None or old is None or new is None:
        return None
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        try:
            repl = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", new)
            return re.sub(old[1:-1], repl, s)
        except (re.error, IndexError):
            return None
    return s.replace(old, new)


def _merge(*maps):
    out = LDict()
    first = True
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            return None
        if first and isinstance(m, LDict):
            out.file, out.pos = m.file, m.pos
            first = False
        for key, value in m.items():
            out[key] = value
            if isinstance(m, LDict):
                out.key_pos[key] = m.key_pos.get(key, m.pos)
                out.key_file[key] = m.key_file.get(key, m.file)
    return out


def _concat(*lists):
    out = LList()
    for lst in lists:
        if not isinstance(lst, list):
            return None
        out.extend(lst)
        out.item_pos.extend(lst.item_pos if isinstance(lst, LList) else [Position(1, 1)] * len(lst))
    return out


def _lookup(m=None, key=None, *default):
    if not isinstance(m, dict) or known_str(key) is None or len(default) > 1:
        return None
    if key in m:
        return m[key]
    return default[0] if default else None


def _coalesce(*args):
    """The first argument that is not null or "": a data source's value (an SSM parameter) counts as one,
    so `coalesce(var.pinned_version, data.aws_ssm_parameter.latest.value)` keeps what the SSM path says."""
    for a in args:
        if a is UNKNOWN:
            return None
        if isinstance(a, OPAQUE):
            return a
        if isinstance(a, str) and MARK in a:
            return a if a.replace(MARK, "") else None
        if a is not None and a != "":
            return a
    return None


def _trim_fn(prefix: bool):
    def wrapped(s=None, affix=None):
        s, affix = known_str(s), known_str(affix)
        if s is None or affix is None:
            return None
        if prefix:
            return s[len(affix):] if affix and s.startswith(affix) else s
        return s[: -len(affix)] if affix and s.endswith(affix) else s

    return wrapped


def _indent(n=None, s=None):
    """indent(n, s): every line but the first indented by n spaces (Terraform's definition)."""
    n, text = as_number(n), known_str(s)
    if n is None or text is None or n < 0 or n != int(n):
        return None
    lines = text.split("\n")
    return "\n".join([lines[0]] + [(" " * int(n) + line) if line else line for line in lines[1:]])


def _length(v=None):
    if isinstance(v, (list, dict)):
        return len(v)
    s = known_str(v)
    return len(s) if s is not None else None


def _tostring(v=None):
    text = to_text(v)
    return text


def _tonumber(v=None):
    return as_number(v)


def _tobool(v=None):
    return as_bool(v)


_FUNCTIONS = {
    "upper": _str_fn(str.upper),
    "lower": _str_fn(str.lower),
    "trimspace": _str_fn(str.strip),
    "format": _format,
    "join": _join,
    "replace": _replace,
    "merge": _merge,
    "concat": _concat,
    "lookup": _lookup,
    "coalesce": _coalesce,
    "trimprefix": _trim_fn(True),
    "trimsuffix": _trim_fn(False),
    "length": _length,
    "indent": _indent,
    "tostring": _tostring,
    "tonumber": _tonumber,
    "tobool": _tobool,
}


def function_names() -> set[str]:
    """The functions the evaluator computes (the rest are UNKNOWN)."""
    return set(_FUNCTIONS) | _IDENTITY | {"templatefile", "file", "filebase64"}


def iter_nodes(node):
    """Every expression node under `node` (itself included), depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        yield n
        if isinstance(n, Template):
            stack.extend(p for p in n.parts if isinstance(p, Node))
        elif isinstance(n, TupleExpr):
            stack.extend(n.items)
        elif isinstance(n, ObjectExpr):
            for item in n.items:
                stack.append(item.key)
                stack.append(item.value)
        elif isinstance(n, Traversal):
            stack.extend(arg for kind, arg in n.steps if kind == "index")
        elif isinstance(n, IndexOf):
            stack.append(n.base)
            stack.extend(arg for kind, arg in n.steps if kind == "index")
        elif isinstance(n, Call):
            stack.extend(n.args)
        elif isinstance(n, Conditional):
            stack.extend((n.cond, n.then, n.other))
        elif isinstance(n, BinaryOp):
            stack.extend((n.left, n.right))
        elif isinstance(n, UnaryOp):
            stack.append(n.operand)


def iter_attributes(body: Body):
    """Every attribute of a body and of its nested blocks."""
    stack = [body]
    while stack:
        b = stack.pop()
        yield from b.attributes.values()
        stack.extend(blk.body for blk in b.blocks)
