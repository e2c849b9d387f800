"""YAML streams into plain dicts and lists that remember where every key and value stood.

Why not `yaml.safe_load`: it loses positions, refuses valid YAML (a `=` key, local tags such as `!Ref`),
silently keeps the last of duplicate keys and expands aliases without bound. Here libyaml composes the node
graph (C speed), and a small walk turns it into `YMap`/`YList` with a side table of positions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from ..findings import Position

try:  # libyaml is the fast path; the pure-Python loader is the fallback on odd platforms
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_NODES = 1_000_000  # a "billion laughs" stream expands past this; real manifests stay far below


class ParseError(Exception):
    def __init__(self, message: str, position: Position):
        super().__init__(message)
        self.message = message
        self.position = position


class YMap(dict):
    """A mapping; `key_pos[k]` / `val_pos[k]` are the positions of a key and of its value."""

    __slots__ = ("pos", "key_pos", "val_pos")

    def __init__(self, pos: Position):
        super().__init__()
        self.pos = pos
        self.key_pos: dict = {}
        self.val_pos: dict = {}

    def at(self, key) -> Position:
        """Where a finding about `key` should point: the key itself, else the mapping."""
        return self.key_pos.get(key, self.pos)


class YList(list):
    """A sequence; `item_pos[i]` is the position of item i."""

    __slots__ = ("pos", "item_pos")

    def __init__(self, pos: Position):
        super().__init__()
        self.pos = pos
        self.item_pos: list[Position] = []

    def at(self, index: int) -> Position:
        return self.item_pos[index] if 0 <= index < len(self.item_pos) else self.pos


def position_of(container, key) -> Position:
    """Position of `container[key]` (value), falling back to the container's own position."""
    if isinstance(container, YMap):
        return container.val_pos.get(key, container.pos)
    if isinstance(container, YList):
        return container.at(key)
    return Position(1, 1)


@dataclass
class YamlDocument:
    index: int  # 0-based document index in the stream
    data: object  # YMap, YList or scalar
    start_line: int
    source: str | None  # `# Source: chart/templates/x.yaml` comment of `helm template`, if any


_SCALARS = yaml.constructor.SafeConstructor()
_SOURCE_RE = re.compile(r"^# Source: (.+)$", re.M)


def _mark(node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self):
        self.count = 0
        self.memo: dict[int, object] = {}

    def build(self, node):
        self.count += 1
        if self.count > MAX_NODES:
            raise ParseError(
                f"YAML alias expansion exceeds {MAX_NODES} nodes (a 'billion laughs' document?)", _mark(node)
            )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        key = id(node)
        if key in self.memo:  # an alias: count its size again, as a consumer walking it would pay for it
            self.count += self._size(node)
            return self.memo[key]
        if isinstance(node, yaml.SequenceNode):
            out = YList(_mark(node))
            self.memo[key] = out
            for item in node.value:
                out.item_pos.append(_mark(item))
                out.append(self.build(item))
            return out
        out = YMap(_mark(node))
        self.memo[key] = out
        explicit: set = set()
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                merged = self.build(vnode)
                for src in merged if isinstance(merged, list) else [merged]:
                    if isinstance(src, YMap):
                        for k, v in src.items():
                            if k not in out:
                                out[k] = v
                                out.key_pos[k] = src.key_pos.get(k, out.pos)
                                out.val_pos[k] = src.val_pos.get(k, out.pos)
                continue
            k = self.build(knode)
            if isinstance(k, (list, dict)):
                k = yaml.dump(k, default_flow_style=True).strip()  # complex keys: keep a hashable text
            if k in explicit:
                raise ParseError(
                    f"duplicate key {k!r} (first at line {out.key_pos[k].line}); "
                    "the API server and kubectl reject it",
                    _mark(knode),
                )
            explicit.add(k)
            out.key_pos[k] = _mark(knode)
            out.val_pos[k] = _mark(vnode)
            out[k] = self.build(vnode)
        return out

    def _size(self, node) -> int:
        cache = self.__dict__.setdefault("_sizes", {})
        key = id(node)
        if key in cache:
            return cache[key]
        if isinstance(node, yaml.ScalarNode):
            return 1
        cache[key] = 1  # guards against recursive structures
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(self._size(n) for n in node.value)
        else:
            total = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
        cache[key] = total
        if self.count + total > MAX_NODES:
            raise ParseError(
                f"YAML alias expansion exceeds {MAX_NODES} nodes (a 'billion laughs' document?)", _mark(node)
            )
        return total

    @staticmethod
    def scalar(node):
        tag = node.tag
        try:
            if tag == "tag:yaml.org,2002:str":
                return node.value
            if tag == "tag:yaml.org,2002:int":
                return _SCALARS.construct_yaml_int(node)
            if tag == "tag:yaml.org,2002:bool":
                return _SCALARS.construct_yaml_bool(node)
            if tag == "tag:yaml.org,2002:null":
                return None
            if tag == "tag:yaml.org,2002:float":
                return _SCALARS.construct_yaml_float(node)
        except (ValueError, yaml.YAMLError):
            return node.value
        # timestamps, `=` (tag:yaml.org,2002:value), binary, local tags like !Ref: the text is what matters
        return node.value


def load_stream(text: str) -> list[YamlDocument]:
    """Parse every document of a stream. Raises ParseError with the parser's position."""
    docs: list[YamlDocument] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise ParseError(f"YAML syntax error: {problem}{context}", pos) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {exc}", Position(1, 1)) from None
    sources = [(m.start(), m.group(1).strip()) for m in _SOURCE_RE.finditer(text)] if "# Source:" in text else []
    line_starts = None
    if sources:
        line_starts = _line_starts(text)
    builder = _Builder()
    for i, node in enumerate(nodes):
        if node is None:
            continue
        data = builder.build(node)
        start = node.start_mark.line + 1
        source = None
        if sources:
            offset = line_starts[node.start_mark.line]
            before = [s for pos, s in sources if pos <= offset]
            source = before[-1] if before else None
        docs.append(YamlDocument(i, data, start, source))
    return docs


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts
