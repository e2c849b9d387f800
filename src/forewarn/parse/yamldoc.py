"""YAML streams into plain dicts and lists that remember where every key and value stood.

Why not `yaml.safe_load`: it loses positions, refuses valid YAML (a `=` key, local tags such as `!Ref`),
silently keeps the last of duplicate keys and expands aliases without bound. Here libyaml composes the node
graph (C speed), and a small walk turns it into `YMap`/`YList` with a side table of positions.
"""
from __future__ import annotations

import bisect
import json
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


def remap(node, position, value=None):
    """A copy of a YAML tree with every position passed through `position(p)` (and every scalar through
    `value(v)` when given): documents embedded elsewhere (a heredoc), values from another file (a patch)."""
    if isinstance(node, YMap):
        out = YMap(position(node.pos))
        for key, item in node.items():
            out[key] = remap(item, position, value)
            if key in node.key_pos:
                out.key_pos[key] = position(node.key_pos[key])
            if key in node.val_pos:
                out.val_pos[key] = position(node.val_pos[key])
        return out
    if isinstance(node, YList):
        out = YList(position(node.pos))
        for i, item in enumerate(node):
            out.append(remap(item, position, value))
            out.item_pos.append(position(node.at(i)))
        return out
    return value(node) if value is not None else node


@dataclass
class YamlDocument:
    index: int  # 0-based document index in the stream
    data: object  # YMap, YList or scalar
    start_line: int
    source: str | None  # `# Source: chart/templates/x.yaml` comment of `helm template`, if any


_SCALARS = yaml.constructor.SafeConstructor()
_SOURCE_RE = re.compile(r"^# Source: (.+)$", re.M)
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_CONSTRUCT = {
    "tag:yaml.org,2002:int": _SCALARS.construct_yaml_int,
    "tag:yaml.org,2002:float": _SCALARS.construct_yaml_float,
    "tag:yaml.org,2002:bool": _SCALARS.construct_yaml_bool,
}
_STR_TAGS = {None, "!", "tag:yaml.org,2002:str"}


def _resolve_plain(value: str):
    """YAML 1.1 implicit typing of a plain scalar, exactly as PyYAML's SafeLoader resolves it."""
    for tag, regexp in _RESOLVERS.get(value[:1] if value else "", ()):
        if regexp.match(value):
            if tag == "tag:yaml.org,2002:null":
                return None
            construct = _CONSTRUCT.get(tag)
            if construct is None:  # timestamps, `=`, merge: the text is what matters
                return value
            try:
                return construct(yaml.ScalarNode(tag, value))
            except (ValueError, yaml.YAMLError):
                return value
    return value


def _scalar(event):
    tag = event.tag
    if tag in _STR_TAGS:
        if event.implicit[0]:
            return _resolve_plain(event.value)
        return event.value
    if tag == "tag:yaml.org,2002:null":
        return None
    construct = _CONSTRUCT.get(tag)
    if construct is not None:
        try:
            return construct(yaml.ScalarNode(tag, event.value))
        except (ValueError, yaml.YAMLError):
            return event.value
    return event.value  # binary, timestamps, local tags such as !Ref: the text is what matters


def _pos(event) -> Position:
    mark = event.start_mark
    return Position(mark.line + 1, mark.column + 1)


class _Frame:
    """A mapping or sequence being filled from the event stream."""

    __slots__ = ("obj", "anchor", "key", "key_pos", "has_key", "explicit", "size", "merge")

    def __init__(self, obj, anchor):
        self.obj = obj
        self.anchor = anchor
        self.key = None
        self.key_pos = None
        self.has_key = False
        self.explicit: set = set()
        self.size = 1
        self.merge = False


def _too_many(pos: Position) -> ParseError:
    return ParseError(f"YAML alias expansion exceeds {MAX_NODES} nodes (a 'billion laughs' document?)", pos)


def _compose(events) -> list[tuple[object, int]]:
    """Build every document of an event stream: [(data, start_line)]. Iterative (deep YAML is fine)."""
    docs: list[tuple[object, int]] = []
    anchors: dict[str, tuple[object, int]] = {}
    stack: list[_Frame] = []
    total = 0
    doc_line = 1
    root = None
    for event in events:
        cls = type(event)
        if cls is yaml.ScalarEvent:
            value, size = _scalar(event), 1
            if event.anchor:
                anchors[event.anchor] = (value, 1)
        elif cls is yaml.MappingStartEvent:
            stack.append(_Frame(YMap(_pos(event)), event.anchor))
            continue
        elif cls is yaml.SequenceStartEvent:
            stack.append(_Frame(YList(_pos(event)), event.anchor))
            continue
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            frame = stack.pop()
            value, size = frame.obj, frame.size
            if frame.anchor:
                anchors[frame.anchor] = (value, size)
        elif cls is yaml.AliasEvent:
            if event.anchor not in anchors:
                raise ParseError(f"found undefined alias {event.anchor!r}", _pos(event))
            value, size = anchors[event.anchor]
            total += size  # a consumer walking the data pays for the expansion again
            if total > MAX_NODES:
                raise _too_many(_pos(event))
            if isinstance(value, (YMap, YList)):
                # a shared subtree (`spec: *pod`) belongs to the object that uses it: findings about it
                # point at the alias, not into the object where the anchor was written
                at = _pos(event)
                value = remap(value, lambda _p, at=at: at)
        elif cls is yaml.DocumentStartEvent:
            doc_line = event.start_mark.line + 1
            anchors = {}
            root = None
            continue
        elif cls is yaml.DocumentEndEvent:
            docs.append((root, root.pos.line if isinstance(root, (YMap, YList)) else doc_line))
            continue
        else:  # stream start/end
            continue
        total += 1
        if total > MAX_NODES:
            raise _too_many(_pos(event))
        if not stack:
            root = value
            continue
        frame = stack[-1]
        frame.size += size
        obj = frame.obj
        if type(obj) is YList:
            obj.item_pos.append(_pos(event) if cls is not yaml.MappingEndEvent and cls is not yaml.SequenceEndEvent
                                else value.pos)
            obj.append(value)
            continue
        if not frame.has_key:
            key = value
            if isinstance(key, (list, dict)):
                key = json.dumps(key, default=str)  # complex keys (rare, e.g. `{{ .Values.x }}`): a hashable text
            frame.key = key
            frame.key_pos = _pos(event) if cls is yaml.ScalarEvent or cls is yaml.AliasEvent else value.pos
            frame.merge = key == "<<" and cls is yaml.ScalarEvent and event.implicit[0]
            frame.has_key = True
            continue
        frame.has_key = False
        key = frame.key
        if frame.merge:
            for src in value if isinstance(value, list) else [value]:
                if isinstance(src, YMap):
                    for k, v in src.items():
                        if k not in obj:
                            obj[k] = v
                            obj.key_pos[k] = src.key_pos.get(k, obj.pos)
                            obj.val_pos[k] = src.val_pos.get(k, obj.pos)
            continue
        if key in frame.explicit:
            raise ParseError(
                f"duplicate key {key!r} (first at line {obj.key_pos[key].line}); the API server and kubectl reject it",
                frame.key_pos,
            )
        frame.explicit.add(key)
        obj.key_pos[key] = frame.key_pos
        obj.val_pos[key] = _pos(event) if cls is yaml.ScalarEvent or cls is yaml.AliasEvent else value.pos
        obj[key] = value
    return docs


def load_stream(text: str) -> list[YamlDocument]:
    """Parse every document of a stream. Raises ParseError with the parser's position.

    libyaml produces the events (C speed); `_compose` builds YMap/YList from them directly, which is
    faster than PyYAML's own composer + constructor and keeps positions, duplicate keys and alias sizes.
    """
    # YAML 1.1 (libyaml) also breaks lines at NEL, LINE and PARAGRAPH SEPARATOR; editors, git and SARIF
    # viewers count only LF / CR: positions are translated back when the text holds one
    relines = _Relines(text) if _EXTRA_BREAKS.search(text) else None
    try:
        built = _compose(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        if relines is not None:
            pos = relines(pos)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise ParseError(f"YAML syntax error: {problem}{context}", pos) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {exc}", Position(1, 1)) from None
    except RecursionError:
        raise ParseError("YAML nested too deeply", Position(1, 1)) from None
    sources = [(m.start(), m.group(1).strip()) for m in _SOURCE_RE.finditer(text)] if "# Source:" in text else []
    line_starts = _line_starts(text) if sources else None
    docs: list[YamlDocument] = []
    for i, (data, start) in enumerate(built):
        if data is None:
            continue
        if relines is not None:
            data = remap(data, relines)
            start = relines(Position(start, 1)).line
        source = None
        if sources:
            offset = line_starts[min(start - 1, len(line_starts) - 1)]
            before = [s for pos, s in sources if pos <= offset]
            source = before[-1] if before else None
        docs.append(YamlDocument(i, data, start, source))
    return docs


_EXTRA_BREAKS = re.compile("[\x85\u2028\u2029]")


class _Relines:
    """libyaml (line, column) -> the (line, column) an editor shows, for texts with YAML-only line breaks."""

    def __init__(self, text: str):
        self.yaml_starts = [0] + [m.end() for m in re.finditer("\r\n|[\r\n\x85\u2028\u2029]", text)]
        self.real_starts = [0] + [m.end() for m in re.finditer("\r\n|[\r\n]", text)]

    def __call__(self, pos: Position) -> Position:
        if not 0 < pos.line <= len(self.yaml_starts):
            return pos
        index = self.yaml_starts[pos.line - 1] + pos.column - 1
        line = bisect.bisect_right(self.real_starts, index)
        return Position(line, index - self.real_starts[line - 1] + 1)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts
