"""ArgoCD Applications and ApplicationSets: what they deploy, what they ignore, and whether that covers drift.

The ARGO rules ask one question in three ways: "will a controller and ArgoCD fight over a field?". To answer
it statically this module knows
- the ignoreDifferences entries of an app (plus `argocd-cm` system-level customizations in the scan),
  normalised to segment lists so a JSON pointer, a jq path and a catalogue path compare (KNOWLEDGE 5.1);
- what an app deploys that a controller patches: rows of the self-patching catalogue
  (`rules/knowledge/self_patching.yaml`, matched by chart name / repoURL) and, for `path` sources that
  name a directory of the scan, the linked resources' CRD placeholders, injected caBundles and
  autoscaled replicas (helpers of the webhook and workload rule families).
Everything a rule needs across resources is built once per scan behind `ctx.cached`.
Unknown values (ApplicationSet `{{...}}` templates, unreadable value files) never count as evidence:
coverage is then "maybe", and rules only fire on a definite answer.
"""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..findings import Position
from ..parse.yamldoc import ParseError, YMap, load_stream
from .kubernetes import K8sObject, as_list, as_map

YES, MAYBE, NO = "yes", "maybe", "no"
ANY = object()  # a path segment that stands for every element (`[]`, `[]?`, catalogue `*`)

# --- built-in kinds ------------------------------------------------------------------------------------
# kind -> groups the API server serves it under (legacy groups included: an entry naming them may still
# match on an old cluster, so they are never reported as wrong).
CORE_KINDS = {
    "Binding", "ComponentStatus", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node",
    "PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController",
    "ResourceQuota", "Secret", "Service", "ServiceAccount",
}
_GROUPED_KINDS = {
    "apps": ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"],
    "batch": ["Job", "CronJob"],
    "autoscaling": ["HorizontalPodAutoscaler"],
    "policy": ["PodDisruptionBudget", "PodSecurityPolicy"],
    "networking.k8s.io": ["Ingress", "IngressClass", "NetworkPolicy"],
    "rbac.authorization.k8s.io": ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
    "admissionregistration.k8s.io": [
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    ],
    "apiextensions.k8s.io": ["CustomResourceDefinition"],
    "apiregistration.k8s.io": ["APIService"],
    "storage.k8s.io": ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "CSIStorageCapacity"],
    "scheduling.k8s.io": ["PriorityClass"],
    "node.k8s.io": ["RuntimeClass"],
    "coordination.k8s.io": ["Lease"],
    "discovery.k8s.io": ["EndpointSlice"],
    "certificates.k8s.io": ["CertificateSigningRequest"],
    "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
    "events.k8s.io": ["Event"],
}
_LEGACY = {  # extensions/v1beta1 served these until Kubernetes 1.16-1.22
    "Deployment": {"extensions"}, "DaemonSet": {"extensions"}, "ReplicaSet": {"extensions"},
    "Ingress": {"extensions"}, "NetworkPolicy": {"extensions"}, "PodSecurityPolicy": {"extensions"},
}
BUILTIN_GROUPS: dict[str, set[str]] = {}
for _kind in CORE_KINDS:
    BUILTIN_GROUPS.setdefault(_kind, set()).add("")
for _group, _kinds in _GROUPED_KINDS.items():
    for _kind in _kinds:
        BUILTIN_GROUPS.setdefault(_kind, set()).add(_group)
for _kind, _groups in _LEGACY.items():
    BUILTIN_GROUPS[_kind] |= _groups
BUILTIN_GROUP_NAMES = {"", "extensions", *_GROUPED_KINDS}

# Built-in cluster-scoped kinds (kind -> group): a `namespace` in an entry for these never matches.
CLUSTER_SCOPED = {
    "Namespace": "", "Node": "", "PersistentVolume": "", "ComponentStatus": "",
    "ClusterRole": "rbac.authorization.k8s.io", "ClusterRoleBinding": "rbac.authorization.k8s.io",
    "MutatingWebhookConfiguration": "admissionregistration.k8s.io",
    "ValidatingWebhookConfiguration": "admissionregistration.k8s.io",
    "ValidatingAdmissionPolicy": "admissionregistration.k8s.io",
    "ValidatingAdmissionPolicyBinding": "admissionregistration.k8s.io",
    "MutatingAdmissionPolicy": "admissionregistration.k8s.io",
    "MutatingAdmissionPolicyBinding": "admissionregistration.k8s.io",
    "CustomResourceDefinition": "apiextensions.k8s.io", "APIService": "apiregistration.k8s.io",
    "StorageClass": "storage.k8s.io", "CSIDriver": "storage.k8s.io", "CSINode": "storage.k8s.io",
    "VolumeAttachment": "storage.k8s.io", "PriorityClass": "scheduling.k8s.io", "RuntimeClass": "node.k8s.io",
    "IngressClass": "networking.k8s.io", "CertificateSigningRequest": "certificates.k8s.io",
    "FlowSchema": "flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration": "flowcontrol.apiserver.k8s.io",
}


def is_templated(value) -> bool:
    """An ApplicationSet/Helm template placeholder: the value is unknown until generation."""
    return isinstance(value, str) and ("{{" in value or "${" in value)


def glob_match(pattern: str, value: str) -> bool:
    """ArgoCD matches group and kind with a glob (`*` any run, `?` one character)."""
    if not any(c in pattern for c in "*?["):
        return pattern == value
    return fnmatch.fnmatchcase(value, pattern)


def is_argocd(obj: K8sObject, kind: str) -> bool:
    return obj.kind == kind and obj.api_version.startswith("argoproj.io/")


# --- paths ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldPath:
    """A path into an object as segments (str keys/indices, or ANY). `exact` False = the expression narrows
    further (a `select(...)`) or could not be fully read: it may or may not cover a given field."""

    segments: tuple
    exact: bool = True


def parse_pointer(text: str) -> FieldPath | None:
    """RFC 6901 JSON pointer -> segments (`~1` -> `/`, `~0` -> `~`). None when not a pointer."""
    if not isinstance(text, str) or not text.startswith("/"):
        return None
    parts = text[1:].split("/")
    return FieldPath(tuple(p.replace("~1", "/").replace("~0", "~") for p in parts))


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_jq(text: str) -> FieldPath | None:
    """A jq path expression -> segments; None when it is not a readable path at all (then: maybe).

    Reads `.a.b`, `."a/b"`, `.a["b"]`, `.a[0]`, `.a[]`, `.a[]?`, `| select(...)` (narrows -> not exact) and
    `| .c` continuations. Anything else (recursive descent, functions, arithmetic) -> None.
    """
    if not isinstance(text, str):
        return None
    parts = _split_top_level(text.strip(), "|")
    if parts is None or not parts[0].strip():
        return None
    segments: list = []
    exact = True
    for i, part in enumerate(parts):
        part = part.strip()
        if i > 0 and part.startswith("select(") and part.endswith(")"):
            exact = False
            continue
        read = _read_jq_path(part)
        if read is None:
            return None
        segments.extend(read)
    return FieldPath(tuple(segments), exact)


def _split_top_level(text: str, sep: str) -> list[str] | None:
    out, depth, quote, buf, i = [], 0, False, [], 0
    while i < len(text):
        c = text[i]
        if quote:
            buf.append(c)
            if c == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                quote = False
        elif c == '"':
            quote = True
            buf.append(c)
        elif c in "([{":
            depth += 1
            buf.append(c)
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return None
            buf.append(c)
        elif c == sep and depth == 0:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    if quote or depth:
        return None
    out.append("".join(buf))
    return out


def _read_jq_path(text: str) -> list | None:
    if not text.startswith("."):
        return None
    if text == ".":
        return []
    out: list = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace() or c == "?":
            i += 1
            continue
        if c == ".":
            if i + 1 < n and text[i + 1] == ".":
                return None  # recursive descent
            i += 1
            if i < n and text[i] == '"':
                key, i = _read_string(text, i)
                if key is None:
                    return None
                out.append(key)
                continue
            m = _IDENT.match(text, i)
            if m:
                out.append(m.group(0))
                i = m.end()
                continue
            if i < n and text[i] == "[":
                continue
            return None
        if c == "[":
            j = text.find("]", i)
            if j < 0:
                return None
            inner = text[i + 1:j].strip()
            if inner == "":
                out.append(ANY)
                i = j + 1
                continue
            if inner.isdigit():
                out.append(inner)
                i = j + 1
                continue
            if inner.startswith('"'):
                start = i + 1
                while text[start].isspace():
                    start += 1
                key, end = _read_string(text, start)  # the key may itself contain `]`
                if key is None:
                    return None
                close = text.find("]", end)
                if close < 0 or text[end:close].strip():
                    return None
                out.append(key)
                i = close + 1
                continue
            return None
        return None
    return out


def _read_string(text: str, i: int) -> tuple[str | None, int]:
    """A JSON string at text[i] == '"' -> (value, index after the closing quote)."""
    if i >= len(text) or text[i] != '"':
        return None, i
    buf, j = [], i + 1
    while j < len(text):
        c = text[j]
        if c == "\\" and j + 1 < len(text):
            buf.append(text[j + 1])
            j += 2
            continue
        if c == '"':
            return "".join(buf), j + 1
        buf.append(c)
        j += 1
    return None, j


def segments_to_jq(segments) -> str:
    out = []
    for seg in segments:
        if seg is ANY:
            out.append("[]?")
        elif isinstance(seg, str) and seg.isdigit():
            out.append(f"[{seg}]")
        elif isinstance(seg, str) and _IDENT.fullmatch(seg):
            out.append(f".{seg}")
        else:
            escaped = str(seg).replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    text = "".join(out)
    return text if text.startswith(".") else "." + text


def segments_to_pointer(segments) -> str:
    return "".join("/" + ("*" if s is ANY else str(s).replace("~", "~0").replace("/", "~1")) for s in segments)


def _segment_covers(entry_seg, patched_seg) -> bool:
    if entry_seg is ANY or patched_seg is ANY:
        return True
    return entry_seg == patched_seg


def path_covers(entry: FieldPath, patched: tuple) -> str:
    """Does an ignored path cover a patched path (equal, or a parent of it)?"""
    if len(entry.segments) > len(patched):
        return NO
    for e, p in zip(entry.segments, patched):
        if not _segment_covers(e, p):
            return NO
    return YES if entry.exact else MAYBE


# --- jq and pointer validity (ARGO003) -----------------------------------------------------------------
_JQ_BUILTINS = {
    "length", "utf8bytelength", "not", "keys", "keys_unsorted", "values", "empty", "error", "add", "any",
    "all", "flatten", "range", "floor", "sqrt", "tostring", "tonumber", "type", "infinite", "nan",
    "isinfinite", "isnan", "isnormal", "sort", "group_by", "min", "max", "unique", "reverse", "contains",
    "tojson", "fromjson", "ascii_downcase", "ascii_upcase", "input", "inputs", "debug", "stderr", "env",
    "now", "paths", "leaf_paths", "to_entries", "from_entries", "with_entries", "select", "map",
    "map_values", "path", "del", "first", "last", "nth", "until", "while", "repeat", "recurse", "splits",
    "split", "join", "ltrimstr", "rtrimstr", "startswith", "endswith", "test", "match", "capture", "scan",
    "sub", "gsub", "ascii", "implode", "explode", "abs", "toarray", "true", "false", "null", "if", "then",
    "else", "elif", "end", "as", "def", "reduce", "foreach", "try", "catch", "label", "and", "or",
    "halt", "halt_error", "getpath", "setpath", "delpaths", "has", "in", "inside", "objects", "arrays",
    "booleans", "numbers", "strings", "nulls", "iterables", "scalars", "limit", "tostream", "fromstream",
    "truncate_stream", "input_line_number", "splits", "ltrimstr", "trim", "ltrim", "rtrim", "pick",
    "getpath", "to_number", "significand", "log", "exp", "pow", "min_by", "max_by", "unique_by", "sort_by",
    "indices", "index", "rindex", "combinations", "walk", "transpose", "env", "builtins", "splits",
    "ascii", "todate", "fromdate", "date", "dateadd", "datesub", "mktime", "gmtime", "localtime",
    "strftime", "strptime", "todateiso8601", "fromdateiso8601", "dateiso8601", "tojson", "input_filename",
    "ltrimstr", "getpath", "error", "not", "objects", "isvalid", "ascii", "abs", "toarray", "have_literal_numbers",
}
_SLASH_WORD = re.compile(r"(?<=[A-Za-z0-9_\]\"])\s*/\s*([A-Za-z_][A-Za-z0-9_]*)(?!\s*\()")
_DASH_WORD = re.compile(r"\.[A-Za-z_][A-Za-z0-9_]*-([A-Za-z_][A-Za-z0-9_]*)(?!\s*\()")


def jq_syntax_problem(text) -> str | None:
    """A reason the jq expression certainly fails to compile, or None (valid or not sure).

    Argo CD compiles jqPathExpressions with gojq; an expression it rejects ignores nothing. Only errors
    that jq and gojq both report are returned: JSONPath habits (`$.a`, `[*]`, `[?(@.x)]`, `{.a}`), single
    quotes, a token that cannot start a term where one is needed, unbalanced brackets, and an unknown
    function that an unquoted `/` or `-` in a key creates. Anything unusual but possibly valid -> None.
    """
    if not isinstance(text, str):
        return "is not a string"
    expr = text.strip()
    if not expr:
        return "is empty"
    if expr.startswith("/"):
        return "is a JSON pointer, not a jq path (jq paths start with `.`); move it to jsonPointers"
    habit = _jsonpath_habit(expr)
    if habit:
        return habit
    if "'" in _outside_strings(expr):
        fixed = _double_quoted(expr)
        return ("uses single quotes, which jq does not have (it rejects `'` as an invalid character); write the "
                "key in double quotes" + (f": {fixed}" if fixed and _jq_grammar_problem(fixed) is None else ""))
    if _split_top_level(expr, "|") is None:
        return "has unbalanced brackets, parentheses or quotes"
    problem = _jq_grammar_problem(expr)
    if problem:
        return problem
    outside = _outside_strings(expr)
    for regex, what in ((_SLASH_WORD, "/"), (_DASH_WORD, "-")):
        for m in regex.finditer(outside):
            word = m.group(1)
            if word not in _JQ_BUILTINS:
                return (f"reads `{what}{word}` as an operator and an undefined function `{word}`; "
                        f"quote keys that contain `{what}`: {_quoted_fix(expr)}")
    return None


def _jsonpath_habit(expr: str) -> str | None:
    """JSONPath / kubectl `-o jsonpath` syntax written as jq: a syntax error in jq and gojq."""
    outside = _outside_strings(expr)
    fixed = _jsonpath_to_jq(expr)
    fix = f": {fixed}" if fixed and _jq_grammar_problem(fixed) is None and "'" not in _outside_strings(fixed) else ""
    if outside.startswith("{") and outside.endswith("}") and outside[1:].lstrip()[:1] in (".", "$"):
        return f"is a kubectl JSONPath template (`{{...}}`); jq has no braces around a path, write it bare{fix}"
    if re.match(r"\$\s*[.\[]", outside):
        return f"starts with `$`, the JSONPath root; jq has no root symbol (`$` starts a variable), start with `.`{fix}"
    if re.search(r"\[\s*\*\s*\]", outside):
        return (f"uses the JSONPath wildcard `[*]`; jq iterates with `[]` (`[]?` also tolerates a missing "
                f"list){fix}")
    if re.search(r"\[\s*\?\s*\(", outside):
        return f"uses a JSONPath filter `[?(...)]`; jq filters with `[] | select(...)`{fix}"
    return None


def _jsonpath_to_jq(expr: str) -> str | None:
    """A jq rewrite of a JSONPath-style expression (for messages), or None."""
    out = expr.strip()
    if out.startswith("{") and out.endswith("}"):
        out = out[1:-1].strip()
    if out.startswith("$"):
        out = out[1:].lstrip()
        if not out.startswith("."):
            out = "." + out
    out = re.sub(r"\[\s*\*\s*\]", "[]?", out)
    m = re.search(r"\[\s*\?\s*\((.*?)\)\s*\]", out)
    if m:
        cond = re.sub(r"@(?=[.\[])", "", m.group(1)).replace("@", ".").strip()
        cond = re.sub(r"(?<![=!<>])=(?!=)", "==", cond)
        rest = out[m.end():].strip()
        out = out[:m.start()] + f"[] | select({cond})" + (f" | {rest}" if rest else "")
    out = _double_quoted(out) or out
    return out if out and out != expr.strip() else None


def _double_quoted(expr: str) -> str | None:
    """The expression with 'single-quoted' strings rewritten as "double-quoted" ones, or None."""
    out, changed = re.subn(r"'([^'\"\\]*)'", lambda m: f'"{m.group(1)}"', expr)
    if not changed:
        return None
    out = re.sub(r'(?<=[A-Za-z0-9_\]?])\.\s*\[\s*"', '["', out)  # .a.['b'] -> .a["b"]
    return out


_TERM_KEYWORDS = {"and", "or", "if", "then", "elif", "else", "reduce", "foreach", "try", "catch", "label",
                  "import", "include", "as"}
_ASSIGN_OPS = ("//=", "|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "//", "?//")
_INVALID_CHARS = "`&^~\\"
TERM, KEY, ANY_TOKEN = "term", "key", "any"


def _jq_grammar_problem(expr: str) -> str | None:
    """A token in a place jq's grammar never allows (checked against jq 1.6/1.7 and gojq), or None.

    A small scanner, not a parser: it tracks only whether the next token must start a term (after `|`,
    `,`, `(`, `[`, an operator, the start), must be an object key (after `{`), or may be anything.
    """
    state = TERM
    stack: list[str] = []
    i, n = 0, len(expr)

    def bad(token: str) -> str:
        shown = token if len(token) <= 12 else token[:12] + "..."
        return f"has a syntax error: jq does not accept `{shown}` at character {i + 1}"

    while i < n:
        c = expr[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            j = expr.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == '"':
            end = _skip_jq_string(expr, i)
            if end is None:
                return "has an unterminated string"
            i, state = end, ANY_TOKEN
            continue
        if c in _INVALID_CHARS or (c == "!" and expr[i + 1:i + 2] != "="):
            return f"has a syntax error: `{c}` is not a jq character (at character {i + 1})"
        if c == ".":
            if state == KEY:
                return bad(expr[i:i + 8]) + " (an object key is a name, a string or `(expr)`)"
            after = expr[i + 1:i + 2]
            if state == ANY_TOKEN and not (after == "." or after == '"' or after == "[" or after.isalnum()
                                           or after == "_"):
                return "has a `.` that names no key (a path cannot end with a dot)" if not after.strip() or \
                    i + 1 >= n else bad(expr[i:i + 2])
            if after == ".":
                i += 2
            elif expr[i + 1:i + 2] == '"':
                end = _skip_jq_string(expr, i + 1)
                if end is None:
                    return "has an unterminated string"
                i = end
            else:
                i += 1
                m = _IDENT.match(expr, i) or re.compile(r"[0-9]+").match(expr, i)
                if m:
                    i = m.end()
            state = ANY_TOKEN
            continue
        if c == "$" or c == "@":
            j = i + 1
            while c == "$" and j < n and expr[j] in " \t":
                j += 1  # jq 1.6 reads `$ name` as two tokens
            m = _IDENT.match(expr, j)
            if not m:
                return bad(expr[i:i + 2])
            i, state = m.end(), ANY_TOKEN
            continue
        m = _IDENT.match(expr, i)
        if m:
            word = m.group(0)
            i = m.end()
            while expr.startswith("::", i) and _IDENT.match(expr, i + 2):  # module::function
                i = _IDENT.match(expr, i + 2).end()
            state = TERM if word in _TERM_KEYWORDS else ANY_TOKEN
            continue
        m = re.compile(r"[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?").match(expr, i)
        if m:
            i, state = m.end(), ANY_TOKEN
            continue
        if c in "([{":
            stack.append(c)
            i += 1
            state = KEY if c == "{" else ("slice" if c == "[" else TERM)
            continue
        if c in ")]}":
            opener = {")": "(", "]": "[", "}": "{"}[c]
            if not stack or stack[-1] != opener:
                return "has unbalanced brackets, parentheses or quotes"
            allowed = (c == "]" and state == "slice") or (c == "}" and state == KEY) or state == ANY_TOKEN
            if not allowed:
                return bad(c)
            stack.pop()
            i += 1
            state = ANY_TOKEN
            continue
        if c == ",":
            if state != ANY_TOKEN:
                return bad(c)
            state = KEY if stack and stack[-1] == "{" else TERM
            i += 1
            continue
        if c == ":":
            if state == "slice" or state == ANY_TOKEN:
                state = "slice" if stack and stack[-1] == "[" else TERM
                i += 1
                continue
            return bad(c)
        if c == ";":
            state = TERM
            i += 1
            continue
        if c == "?":
            if expr.startswith("?//", i) and state == ANY_TOKEN:
                state = TERM
                i += 3
                continue
            if state != ANY_TOKEN:
                return bad(expr[i:i + 3])
            i += 1
            continue
        if c in "+-":
            if expr.startswith(c + "=", i) and state == ANY_TOKEN:
                i += 2
            else:
                i += 1  # binary, or unary before a term
            state = TERM
            continue
        op = next((o for o in _ASSIGN_OPS if expr.startswith(o, i)), None) or (c if c in "|*/%<>=" else None)
        if op is None:
            return None  # a character this scanner does not know: not sure, never report
        if state != ANY_TOKEN:
            return bad(op)
        i += len(op)
        state = TERM
    if stack:
        return "has unbalanced brackets, parentheses or quotes"
    if state != ANY_TOKEN:
        return "ends where jq expects more (a trailing pipe, operator or dot)"
    return None


def _skip_jq_string(expr: str, i: int) -> int | None:
    """Index after the jq string starting at expr[i] == '"' (with `\\(...)` interpolation), or None."""
    j, n = i + 1, len(expr)
    while j < n:
        c = expr[j]
        if c == "\\":
            if expr[j + 1:j + 2] == "(":
                depth, j = 1, j + 2
                while j < n and depth:
                    if expr[j] == '"':
                        end = _skip_jq_string(expr, j)
                        if end is None:
                            return None
                        j = end
                        continue
                    depth += {"(": 1, ")": -1}.get(expr[j], 0)
                    j += 1
                continue
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    return None


_MAP_KEY = re.compile(r"\.(labels|annotations|matchLabels)\.([A-Za-z0-9_.\-/]+)")


def _quoted_fix(expr: str) -> str:
    """The expression with a label/annotation key quoted, or a generic example."""
    m = _MAP_KEY.search(expr)
    if m:
        return expr[:m.start()] + f'.{m.group(1)}["{m.group(2)}"]' + expr[m.end():]
    m = _DASHED_KEY.search(expr)
    if m:
        return expr[:m.start()] + f'["{m.group(1)}"]' + expr[m.end():]
    return '.metadata.labels["app.kubernetes.io/name"]'


_DASHED_KEY = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+)")


def _outside_strings(expr: str) -> str:
    """The expression with string literals blanked out (so `."a/b"` is not read as division)."""
    out, quote, i = [], False, 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                out.append("  ")
                i += 2
                continue
            if c == '"':
                quote = False
                out.append('"')
            else:
                out.append(" ")
        else:
            if c == '"':
                quote = True
            out.append(c)
        i += 1
    return "".join(out)


_STRING_MAPS = {"labels", "annotations"}
# Maps keyed by label keys with string values wherever they appear (pod spec nodeSelector, label selectors):
# a `/` of a key like `kubernetes.io/os` left unescaped points inside a string value, which never exists.
_LABEL_KEY_MAPS = {"matchLabels", "nodeSelector"}


def pointer_problem(text) -> str | None:
    """A reason a JSON pointer can never match, or None."""
    if not isinstance(text, str):
        return "is not a string"
    if text == "":
        return None
    if not text.startswith("/"):
        return "does not start with `/` (a JSON pointer is /spec/replicas, not spec/replicas or .spec.replicas)"
    if re.search(r"~(?![01])", text):
        return "has `~` not followed by 0 or 1 (escape `~` as `~0` and `/` as `~1`)"
    parts = text[1:].split("/")
    for i, part in enumerate(parts[:-1]):
        if (part in _STRING_MAPS and i > 0 and parts[i - 1] == "metadata") or part in _LABEL_KEY_MAPS:
            if len(parts) > i + 2:
                key = "/".join(parts[i + 1:])
                fixed = "/" + "/".join(parts[:i + 1]) + "/" + key.replace("~", "~0").replace("/", "~1")
                noun = {"labels": "label", "annotations": "annotation", "nodeSelector": "nodeSelector"}.get(part, part)
                return (f"splits the key `{key}` at `/`: {noun} values are strings, so this points inside one; "
                        f"escape `/` as `~1`: {fixed}")
    return None


# --- ignoreDifferences entries -------------------------------------------------------------------------
@dataclass
class IgnoreEntry:
    group: str | None  # None: templated (unknown)
    kind: str | None
    name: str | None  # "" = any
    namespace: str | None
    paths: list[FieldPath] = field(default_factory=list)
    unknown_paths: bool = False  # a path we could not read (jq functions, templates): "maybe"
    # managedFieldsManagers: Argo CD ignores the fields those field managers own in the live object, so the
    # entry covers a patched path only when the controller that writes it is one of them (its manager name
    # known: Patched.managers). A templated name is unknown ("maybe").
    managers: tuple = ()
    managers_unknown: bool = False
    origin: str = ""  # where it is written, for messages
    data: dict | None = None  # the entry mapping (for positions)


def entry_from_map(item, origin: str = "") -> IgnoreEntry | None:
    if not isinstance(item, dict):
        return None
    group = item.get("group", "")
    kind = item.get("kind")
    name = item.get("name") or ""
    namespace = item.get("namespace") or ""
    entry = IgnoreEntry(
        group=None if is_templated(group) else ("" if group is None else str(group)),
        kind=None if (kind is None or is_templated(kind)) else str(kind),
        name=None if is_templated(name) else str(name),
        namespace=None if is_templated(namespace) else str(namespace),
        origin=origin, data=item,
    )
    _add_paths(entry, item)
    return entry


def _add_paths(entry: IgnoreEntry, item: dict) -> None:
    for ptr in as_list(item.get("jsonPointers")):
        if is_templated(ptr):
            entry.unknown_paths = True
            continue
        parsed = parse_pointer(ptr) if ptr != "" else FieldPath(())
        if parsed is not None:
            entry.paths.append(parsed)
    for expr in as_list(item.get("jqPathExpressions")):
        if is_templated(expr):
            entry.unknown_paths = True
            continue
        if jq_syntax_problem(expr):
            continue  # matches nothing (ARGO003 says so)
        parsed = parse_jq(expr)
        if parsed is None:
            entry.unknown_paths = True
        else:
            entry.paths.append(parsed)
    names = []
    for manager in as_list(item.get("managedFieldsManagers")):
        if is_templated(manager):
            entry.managers_unknown = True
        elif isinstance(manager, str) and manager.strip():
            names.append(manager.strip())
    entry.managers = tuple(names)


def entries_of(spec, where: str = "spec") -> list[IgnoreEntry]:
    return [e for e in (entry_from_map(i, f"{where}.ignoreDifferences[{n}]")
                        for n, i in enumerate(as_list(as_map(spec).get("ignoreDifferences")))) if e]


# --- argocd-cm ----------------------------------------------------------------------------------------
_CM_PREFIX = "resource.customizations.ignoreDifferences."


@dataclass
class SystemSettings:
    entries: list[IgnoreEntry] = field(default_factory=list)
    ignore_aggregated_roles: bool = False
    ignore_status: str | None = None


def system_settings(ctx) -> SystemSettings:
    return ctx.cached("argocd.system_settings", _build_system_settings)


def _yaml_value(value):
    """argocd-cm values are YAML strings; some repos write a mapping directly. None when unreadable."""
    if isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str):
        return None
    try:
        docs = load_stream(value)
    except ParseError:
        return None
    return docs[0].data if docs else None


def _build_system_settings(ctx) -> SystemSettings:
    """argocd-cm settings wherever the scan writes them: the ConfigMap itself, a kustomize patch of it
    (a partial object the rules do not judge, but its data is the install's configuration), the argo-cd
    Helm chart's `configs.cm` values of an Application, and the Argo CD Operator's `ArgoCD` resource."""
    out = SystemSettings()
    for cm in ctx.objects("ConfigMap"):
        if cm.name == "argocd-cm":
            _read_cm_data(out, as_map(cm.data.get("data")))
    for data in _patched_argocd_cm_data(ctx):
        _read_cm_data(out, data)
    for app in ctx.objects("Application", "ApplicationSet"):
        view = app_view(app) if app.api_version.startswith("argoproj.io/") else None
        for source in view.sources if view else ():
            chart = source.get("chart")
            if isinstance(chart, str) and chart.rstrip("/").rsplit("/", 1)[-1] == "argo-cd":
                values, _complete = helm_values(source)
                _read_cm_data(out, as_map(as_map(values.get("configs")).get("cm")))
    for argocd in ctx.objects("ArgoCD"):
        if argocd.api_version.startswith("argoproj.io/"):
            _read_operator_cr(out, as_map(argocd.data.get("spec")))
    return out


def _patched_argocd_cm_data(ctx) -> list[dict]:
    """`data` of argocd-cm ConfigMaps in the patches of the scan's kustomizations (files or inline)."""
    out = []
    for kust in ctx.objects("Kustomization"):
        base = Path(kust.path).parent
        texts = []
        items = [*as_list(kust.data.get("patches")), *as_list(kust.data.get("patchesStrategicMerge"))]
        for item in items:
            if isinstance(item, dict):
                if isinstance(item.get("patch"), str):
                    texts.append(item["patch"])
                    continue
                item = item.get("path")
            if not isinstance(item, str) or "://" in item:
                continue
            if "\n" in item or item.lstrip().startswith(("apiVersion", "kind", "metadata")):
                texts.append(item)  # an inline patchesStrategicMerge entry
                continue
            try:
                texts.append((base / item).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                continue
        for text in texts:
            try:
                docs = load_stream(text)
            except ParseError:
                continue
            for doc in docs:
                data = doc.data if isinstance(doc.data, dict) else None
                if (data and data.get("kind") == "ConfigMap"
                        and as_map(data.get("metadata")).get("name") == "argocd-cm"):
                    out.append(as_map(data.get("data")))
    return out


def _read_operator_cr(out: SystemSettings, spec: dict) -> None:
    """Argo CD Operator: spec.resourceIgnoreDifferences {all, resourceIdentifiers[{group, kind,
    customization}]} and spec.extraConfig (raw argocd-cm keys)."""
    _read_cm_data(out, as_map(spec.get("extraConfig")))
    ignores = as_map(spec.get("resourceIgnoreDifferences"))
    if isinstance(ignores.get("all"), dict):
        entry = IgnoreEntry(group="*", kind="*", name="", namespace="", origin="ArgoCD resourceIgnoreDifferences.all")
        _add_paths(entry, ignores["all"])
        out.entries.append(entry)
    for ident in as_list(ignores.get("resourceIdentifiers")):
        ident = as_map(ident)
        kind = ident.get("kind")
        if not isinstance(kind, str) or is_templated(kind):
            continue
        group = ident.get("group") or ""
        entry = IgnoreEntry(group=str(group), kind=kind, name="", namespace="",
                            origin=f"ArgoCD resourceIgnoreDifferences {group}/{kind}")
        _add_paths(entry, as_map(ident.get("customization")))
        out.entries.append(entry)


def _read_cm_data(out: SystemSettings, data: dict) -> None:
    """The ignoreDifferences/compare settings among argocd-cm `data` keys."""
    for key, value in data.items():
        key = str(key)
        if key.startswith(_CM_PREFIX):
            suffix = key[len(_CM_PREFIX):]
            body = as_map(_yaml_value(value))
            if suffix == "all":
                group, kind = "*", "*"
            else:
                group, _, kind = suffix.rpartition("_")
            entry = IgnoreEntry(group=group, kind=kind, name="", namespace="", origin=f"argocd-cm {key}")
            _add_paths(entry, body)
            out.entries.append(entry)
        elif key == "resource.customizations":
            for gk, custom in as_map(_yaml_value(value)).items():
                body = as_map(_yaml_value(as_map(custom).get("ignoreDifferences")))
                if not body:
                    continue
                group, _, kind = str(gk).rpartition("/")
                entry = IgnoreEntry(group=group, kind=kind, name="", namespace="",
                                    origin=f"argocd-cm resource.customizations {gk}")
                _add_paths(entry, body)
                out.entries.append(entry)
        elif key == "resource.compareoptions":
            opts = as_map(_yaml_value(value))
            out.ignore_aggregated_roles = out.ignore_aggregated_roles or opts.get("ignoreAggregatedRoles") in (True, "true")
            status = opts.get("ignoreResourceStatusField")
            out.ignore_status = str(status) if status is not None else None


# --- what is patched at run time ----------------------------------------------------------------------
@dataclass
class Patched:
    """A field a deployed resource renders and a controller (or each render) replaces."""

    group: str
    kind: str
    name: str  # may be a glob pattern for catalogue rows (`istio-validator*`)
    namespace: str | None  # None: cluster-scoped; "?" unknown
    segments: tuple
    why: str  # e.g. "the chart renders `replaceme`; dapr-operator patches it"
    where: str = ""  # a file:line of the rendered resource, when it is in the scan
    crd: bool = False
    obj: K8sObject | None = None  # the linked resource (path sources)
    # field managers that write the path at run time (managedFields `manager`); None = not known, () = no
    # controller writes it (the render itself changes). Only a known name lets managedFieldsManagers cover.
    managers: tuple | None = None

    @property
    def pointer(self) -> str:
        return segments_to_pointer(self.segments)


def covers(entry: IgnoreEntry, patched: Patched) -> str:
    """ArgoCD's matching (KNOWLEDGE 5.1): glob group/kind, equal-or-absent name/namespace, parent path."""
    if entry.kind is None or entry.group is None:
        resource = MAYBE
    elif not glob_match(entry.group, patched.group) or not glob_match(entry.kind, patched.kind):
        return NO
    else:
        resource = YES
    if entry.name is None:
        resource = MAYBE
    elif entry.name:
        if any(c in patched.name for c in "*?["):
            if not fnmatch.fnmatchcase(entry.name, patched.name):
                return NO
        elif entry.name != patched.name:
            return NO
    if entry.namespace is None:
        resource = MAYBE
    elif entry.namespace:
        if patched.namespace is None:
            return NO  # cluster-scoped objects have no namespace: the entry never matches them
        if patched.namespace == "?":
            resource = MAYBE
        elif entry.namespace != patched.namespace:
            return NO
    best = NO
    for path in entry.paths:
        got = path_covers(path, patched.segments)
        if got == YES:
            best = YES
            break
        if got == MAYBE:
            best = MAYBE
    if best != YES and manager_covers(entry, patched):
        best = YES
    if best != YES and (entry.unknown_paths or entry.managers_unknown):
        best = MAYBE
    if best == NO:
        return NO
    return YES if best == YES and resource == YES else MAYBE


def manager_covers(entry: IgnoreEntry, patched: Patched) -> bool:
    """The entry's managedFieldsManagers include the field manager known to write the patched path."""
    return bool(patched.managers) and bool(set(entry.managers) & set(patched.managers))


def managers_note(entries: list[IgnoreEntry], patched: Patched) -> str:
    """Why a managedFieldsManagers entry for this resource does not cover the path (message text), or ""."""
    for entry in entries:
        if not entry.managers or manager_covers(entry, patched):
            continue
        whole = replace(entry, paths=[FieldPath(())], unknown_paths=False, managers=(), managers_unknown=False)
        if covers(whole, patched) == NO:
            continue  # an entry for other resources
        listed = ", ".join(f"`{m}`" for m in entry.managers)
        if patched.managers:
            who = f"this field is written by field manager {', '.join(f'`{m}`' for m in patched.managers)}"
        elif patched.managers == ():
            who = "no controller owns this field (each render changes it)"
        else:
            who = "the field manager that writes this field is not known"
        return (f" The managedFieldsManagers entry ({entry.origin}) only ignores fields owned by {listed}, and "
                f"{who}: name the path in jsonPointers or jqPathExpressions.")
    return ""


def system_covers(settings: SystemSettings, patched: Patched) -> str:
    best = NO
    for entry in settings.entries:
        got = covers(entry, patched)
        if got == YES:
            return YES
        if got == MAYBE:
            best = MAYBE
    if patched.segments[:1] == ("status",) and settings.ignore_status in ("all", "crd"):
        return YES if settings.ignore_status == "all" else MAYBE
    if (patched.kind == "ClusterRole" and patched.segments[:1] == ("rules",) and settings.ignore_aggregated_roles):
        return YES
    return best


# --- Application view --------------------------------------------------------------------------------
@dataclass
class AppView:
    obj: K8sObject
    spec: dict  # Application spec, or ApplicationSet spec.template.spec
    spec_pos: Position
    label: str  # "Application dapr" / "ApplicationSet dapr"
    sources: list[dict]
    dest_namespace: str | None  # None when templated/unknown
    automated: bool | None  # None when unknown
    respects: bool | None  # RespectIgnoreDifferences=true present (None when unknown)
    entries: list[IgnoreEntry]
    # An ApplicationSet templatePatch is Go-templated text we do not render; what it may change makes the
    # matching facts unknown (never guess), what it cannot touch stays judged (TemplatePatch facts below).
    patch_unknown: bool = False  # it may add ignoreDifferences or swap what is deployed: coverage unknown
    patch_values: bool = False  # it may set Helm values: a catalogue switch-off may be on
    patch_skip_crds: bool = False  # it may set helm.skipCrds


def app_views(obj: K8sObject, repo: Path | None = None) -> list[AppView]:
    """The Applications an object stands for: an Application itself; an ApplicationSet's template rendered
    with each parameter set its generators are known to produce (model/appset_generators), else the
    template as written (its placeholders unknown)."""
    view = app_view(obj)
    if view is None or not is_argocd(obj, "ApplicationSet") or "{{" not in repr(view.spec):
        return [view] if view is not None else []
    from .appset_generators import parameter_sets, render

    views = []
    for label, params in parameter_sets(obj.data.get("spec"), repo):
        if not params:
            views.append(view)
            continue
        rendered = app_view(obj, lambda spec, p=params: render(spec, p))
        if rendered is not None:
            rendered.label = f"{view.label} ({label})" if label else view.label
            views.append(rendered)
    return views


def app_view(obj: K8sObject, render_spec=None) -> AppView | None:
    """The Application-shaped spec of an Application or of an ApplicationSet's template, or None
    (`render_spec` renders an ApplicationSet's template spec with one generator parameter set)."""
    if is_argocd(obj, "Application"):
        spec = obj.data.get("spec")
        if not isinstance(spec, YMap):
            return None
        pos = obj.data.at("spec")
        label = f"Application {obj.name}"
        patch = None
    elif is_argocd(obj, "ApplicationSet"):
        aspec = obj.data.get("spec")
        template = aspec.get("template") if isinstance(aspec, dict) else None
        spec = template.get("spec") if isinstance(template, dict) else None
        if not isinstance(spec, YMap):
            return None
        if render_spec is not None:
            spec = render_spec(spec)
        pos = template.at("spec")
        label = f"ApplicationSet {obj.name}"
        patch = aspec.get("templatePatch")
    else:
        return None
    sources = [s for s in as_list(spec.get("sources")) if isinstance(s, dict)]
    if isinstance(spec.get("source"), dict):
        sources.insert(0, spec["source"])
    dest = as_map(spec.get("destination")).get("namespace")
    dest_ns = None if is_templated(dest) else (str(dest) if dest else "")
    sync = spec.get("syncPolicy")
    automated: bool | None
    respects: bool | None
    if sync is None:
        automated, respects = False, False
    elif not isinstance(sync, dict):
        automated, respects = None, None
    else:
        auto = sync.get("automated")
        if auto is None:
            automated = False
        elif isinstance(auto, dict):
            enabled = auto.get("enabled", True)
            if is_templated(enabled):
                automated = None
            else:
                automated = enabled not in (False, "false", "False")
        elif is_templated(auto):
            automated = None
        else:
            automated = None
        options = sync.get("syncOptions")
        if options is None:
            respects = False
        elif isinstance(options, list):
            texts = [str(o).replace(" ", "") for o in options]
            if "RespectIgnoreDifferences=true" in texts:
                respects = True
            elif any(is_templated(t) for t in texts):
                respects = None
            else:
                respects = False
        else:
            respects = None
    view = AppView(obj=obj, spec=spec, spec_pos=pos, label=label, sources=sources, dest_namespace=dest_ns,
                   automated=automated, respects=respects,
                   entries=entries_of(spec, "spec.template.spec" if label.startswith("ApplicationSet") else "spec"))
    if patch is not None:
        _apply_template_patch(view, patch)
    return view


_PATCH_DEPLOYS = re.compile(r"\b(sources|chart|repoURL|path)\s*:")
_PATCH_VALUES = re.compile(r"\b(helm|values|valuesObject|valueFiles|parameters|fileParameters)\s*:")
_PATCH_SYNC = re.compile(r"\b(syncPolicy|syncOptions|automated|enabled)\s*:")


def _apply_template_patch(view: AppView, patch) -> None:
    """What an ApplicationSet `templatePatch` may change, read from its text (Go template actions included).

    Only the keys it names matter: a patch that switches automated sync on per cluster (the Argo CD docs'
    example) cannot add an ignoreDifferences entry, so ARGO001 stays judged; one that names
    ignoreDifferences, or another chart/repo/path, makes coverage unknown.
    """
    text = patch if isinstance(patch, str) else str(patch)
    if "ignoreDifferences" in text or _PATCH_DEPLOYS.search(text):
        view.patch_unknown = True
    if _PATCH_VALUES.search(text):
        view.patch_values = True
    if "skipCrds" in text:
        view.patch_skip_crds = True
    if _PATCH_SYNC.search(text):
        view.automated, view.respects = None, None  # per-generator sync settings: ARGO002 cannot judge


# --- the self-patching catalogue ---------------------------------------------------------------------
@dataclass
class CatalogueResource:
    group: str
    kind: str
    name: str
    namespaced: bool
    paths: list[tuple]  # segment tuples
    crd_only: bool
    rendered: str


@dataclass
class CatalogueRow:
    component: str
    charts: list[str]
    chart_name_alone: bool
    repo_urls: list[str]
    git: list[dict]
    resources: list[CatalogueResource]
    replaced: str
    switch_off: list[dict]
    field_managers: tuple | None = None  # who writes the paths at run time; None = not verified


def catalogue(ctx) -> list[CatalogueRow]:
    return ctx.cached("argocd.self_patching", _build_catalogue)


def _build_catalogue(ctx) -> list[CatalogueRow]:
    data = as_map(ctx.knowledge.get("self_patching"))
    rows = []
    for raw in as_list(data.get("components")):
        if not isinstance(raw, dict):
            continue
        match = as_map(raw.get("match"))
        resources = []
        for res in as_list(raw.get("resources")):
            res = as_map(res)
            paths = []
            for ptr in as_list(res.get("paths")):
                parsed = parse_pointer(ptr)
                if parsed:
                    paths.append(tuple(ANY if s == "*" else s for s in parsed.segments))
            resources.append(CatalogueResource(
                group=str(res.get("group") or ""), kind=str(res.get("kind") or ""), name=str(res.get("name") or ""),
                namespaced=bool(res.get("namespaced", False)), paths=paths, crd_only=bool(res.get("crd_only", False)),
                rendered=str(res.get("rendered") or ""),
            ))
        rows.append(CatalogueRow(
            component=str(raw.get("component") or "?"),
            charts=[str(c) for c in as_list(match.get("charts"))],
            chart_name_alone=bool(match.get("chart_name_alone", False)),
            repo_urls=[str(u) for u in as_list(match.get("repo_urls"))],
            git=[as_map(g) for g in as_list(match.get("git"))],
            resources=resources, replaced=str(raw.get("replaced") or "replaced at run time"),
            switch_off=[as_map(s) for s in as_list(raw.get("switch_off"))],
            field_managers=(tuple(str(m) for m in as_list(raw.get("field_managers")) if m)
                            if "field_managers" in raw else None),
        ))
    return rows


def _norm_url(url: str) -> str:
    url = url.strip().lower()
    for prefix in ("oci://", "https://", "http://", "git@", "ssh://git@"):
        if url.startswith(prefix):
            url = url[len(prefix):]
    return url.replace(":", "/").rstrip("/").removesuffix(".git")


def row_matches_source(row: CatalogueRow, source: dict) -> bool | None:
    """True/False, or None when the chart or repo is templated (unknown: never guess).

    A Helm source matches by chart name: alone when the name is specific to the component (mirrors and OCI
    copies keep it), else together with one of the row's repoURL patterns. A Git source matches by repo
    pattern and chart path (a chart deployed straight from its upstream repository).
    """
    chart, repo, path = source.get("chart"), source.get("repoURL"), source.get("path")
    if chart is not None:
        if is_templated(chart):
            return None
        if str(chart).rstrip("/").rsplit("/", 1)[-1] not in row.charts:
            return False
        if row.chart_name_alone:
            return True
        if is_templated(repo):
            return None
        return isinstance(repo, str) and _url_matches(repo, row.repo_urls)
    if isinstance(repo, str) and repo.startswith("oci://") and path is None:
        # an OCI chart addressed by repoURL alone: oci://registry/charts/dapr
        return repo.rstrip("/").rsplit("/", 1)[-1] in row.charts and row.chart_name_alone
    if path is not None and repo is not None:
        if is_templated(path) or is_templated(repo):
            return None
        path_n = str(path).strip().strip("/").removeprefix("./")
        return any(_url_matches(str(repo), [str(g.get("repo", ""))]) and path_n == str(g.get("path", "")).strip("/")
                   for g in row.git)
    return False


def _url_matches(url: str, patterns: list[str]) -> bool:
    url_n = _norm_url(url)
    return any(fnmatch.fnmatchcase(url_n, _norm_url(p)) for p in patterns)


def helm_values(source: dict, value_file=None):
    """(values mapping, complete?) of a Helm source: value files, then inline values/valuesObject/parameters
    (Argo CD's precedence). A value file is read when `value_file(name)` finds it (a multi-source
    `$values/...` reference into this repository); any other value file, or a template, makes the values
    incomplete (a switch-off value might be set where we cannot read it)."""
    helm = source.get("helm")
    if helm is None:
        return {}, True
    if not isinstance(helm, dict):
        return {}, False
    complete = True
    merged: dict = {}
    files = helm.get("valueFiles")
    if files not in (None, []):
        for name in as_list(files) if isinstance(files, list) else [None]:
            data = value_file(name) if value_file is not None and isinstance(name, str) else None
            if isinstance(data, dict):
                _deep_merge(merged, data)
            else:
                complete = False  # in the chart or another repository: may set anything
    values = helm.get("values")
    if isinstance(values, str):
        # a templated values string still says which keys it sets: a `{{.name}}` leaf is unknown itself,
        # and the switch it does not touch stays judged (switched_off reads templated leaves as unknown)
        parsed = _yaml_value(values)
        if isinstance(parsed, dict):
            _deep_merge(merged, parsed)
        elif values.strip():
            complete = False
    elif isinstance(values, dict):
        _deep_merge(merged, values)
    obj = helm.get("valuesObject")
    if isinstance(obj, dict):
        _deep_merge(merged, obj)
    elif obj is not None:
        complete = False
    for param in as_list(helm.get("parameters")):
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            _set_dotted(merged, param["name"], param.get("value"))
    if as_list(helm.get("fileParameters")):
        complete = False
    if _has_templated_key(merged):
        complete = False
    return merged, complete


def _ref_value_files(view: AppView, ctx):
    """A reader for `$<ref>/path` value files of a multi-source app whose `ref` source is this repository
    (any scanned repository root holding the path, or a configured repo URL): the parsed mapping, else None."""
    refs = {s.get("ref"): s for s in view.sources if isinstance(s.get("ref"), str) and s.get("ref")}
    if not refs:
        return None
    index = file_index(ctx)
    real = _resolve(view.obj.path)
    roots = [r for r in [_repo_root(real.parent) if real is not None else None, *index.roots] if r is not None]

    def read(name: str):
        if not name.startswith("$") or "/" not in name:
            return None
        ref, rel = name[1:].split("/", 1)
        source = refs.get(ref)
        repo_url = source.get("repoURL") if source else None
        if source is None or not isinstance(repo_url, str) or is_templated(repo_url) or is_templated(rel):
            return None
        if index.repo_urls and _norm_url(repo_url) not in {_norm_url(u) for u in index.repo_urls}:
            return None  # another repository: its files are not these
        for root in roots:
            path = (root / rel).resolve()
            if root in path.parents and path.is_file():
                data = _read_yaml_file(path)
                return data if isinstance(data, dict) else None
        return None

    return read


def _deep_merge(into: dict, other: dict) -> None:
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _deep_merge(into[k], v)
        else:
            into[k] = v


def _set_dotted(into: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = into
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def _has_templated_key(value) -> bool:
    """A templated key (or a templated value standing for a whole mapping) may set any switch."""
    if isinstance(value, dict):
        return any(is_templated(k) or _has_templated_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_templated_key(v) for v in value)
    return False


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "null", "~")
    return bool(value)


def switched_off(row: CatalogueRow, source: dict, value_file=None) -> bool | None:
    """True when a documented chart value turns the patching off; None when values cannot be fully read."""
    if not row.switch_off:
        return False
    values, complete = helm_values(source, value_file)
    for switch in row.switch_off:
        value = values
        for part in str(switch.get("value", "")).split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
        when = str(switch.get("when", "truthy"))
        if is_templated(value):
            return None  # the switch itself comes from a generator parameter: unknown
        if value is not None:
            if when == "truthy" and _truthy(value):
                return True
            if when == "falsy" and not _truthy(value):
                return True
    return False if complete else None


def skip_crds(source: dict) -> bool | None:
    helm = as_map(source.get("helm"))
    value = helm.get("skipCrds")
    if is_templated(value):
        return None
    return value in (True, "true", "True")


# --- path sources ------------------------------------------------------------------------------------
@dataclass
class FileIndex:
    by_file: dict  # resolved Path -> [K8sObject]
    by_dir: dict  # resolved directory Path -> [resolved file Paths directly inside]
    by_ancestor: dict  # resolved directory Path -> [resolved file Paths anywhere below]
    roots: list  # candidate roots for `path` (scan root, repo root)
    repo_urls: list = field(default_factory=list)  # repoURLs that name the scanned repository (--argocd-repo-url)
    kustomize: dict = field(default_factory=dict)  # directory -> files its kustomization deploys (read once)


def file_index(ctx) -> FileIndex:
    return ctx.cached("argocd.file_index", _build_file_index)


def _resolve(display: str) -> Path | None:
    try:
        p = Path(display)
        return p.resolve() if p.exists() else None
    except (OSError, ValueError):
        return None


def _build_file_index(ctx) -> FileIndex:
    by_file: dict = {}
    for res in ctx.resources:
        if isinstance(res, K8sObject):
            by_file.setdefault(res.path, []).append(res)
    resolved: dict = {}
    for display, objs in by_file.items():
        real = _resolve(display)
        if real is not None:
            resolved[real] = objs
    by_dir: dict = {}
    by_ancestor: dict = {}
    for real in resolved:
        by_dir.setdefault(real.parent, []).append(real)
        for anc in real.parents:
            by_ancestor.setdefault(anc, []).append(real)
    roots = []
    project = as_map(ctx.knowledge.get("project"))
    root = project.get("root")
    if isinstance(root, str) and root and Path(root).is_dir():
        roots = [Path(root).resolve()]  # the scan root (the context directory, or the scanned directory)
    elif resolved:
        roots = [Path(os.path.commonpath([str(p.parent) for p in resolved]))]
    urls = [str(u) for u in as_list(project.get("argocd_repo_urls")) if u]
    return FileIndex(resolved, by_dir, by_ancestor, roots, urls)


def _repo_root(start: Path) -> Path | None:
    for anc in [start, *start.parents]:
        if (anc / ".git").exists():
            return anc
    return None


_KUSTOMIZATION = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def source_directories(view: AppView, ctx) -> list[tuple[dict, Path]]:
    """(source, directory of the scan) for the app's `path` sources that name a directory of this repo."""
    if not any(isinstance(s.get("path"), str) and not s.get("chart") for s in view.sources):
        return []  # no path source: the file index (a realpath per scanned file) is not needed
    index = file_index(ctx)
    app_file = _resolve(view.obj.path)
    bases: list[Path] = []
    # By default any `path` that exists under the scan root is this repository's (issue 4); only when
    # the configuration names this repository's URLs (`argocd-repo-urls`) must the app's repoURL match.
    # Git remotes are not used: a clone's origin (a mirror, a local path in CI) rarely equals the URL
    # ArgoCD is given.
    remotes: list[str] = list(index.repo_urls)
    if app_file is not None:
        repo = _repo_root(app_file.parent)
        if repo is not None:
            bases.append(repo)
    for root in index.roots:
        if root not in bases:
            bases.append(root)
    out = []
    for source in view.sources:
        path = source.get("path")
        if not isinstance(path, str) or is_templated(path) or source.get("chart"):
            continue
        repo_url = source.get("repoURL")
        if remotes and (not isinstance(repo_url, str) or is_templated(repo_url)
                        or _norm_url(repo_url) not in {_norm_url(r) for r in remotes}):
            continue  # another repository (or one we cannot tell): its files are not these
        rel = os.path.normpath(path.strip().lstrip("/")) if path.strip() else "."
        if rel == "." or rel.startswith(".."):
            continue  # the whole repository: far more often another repo's root than this scan's
        for base in bases:
            directory = (base / rel).resolve()
            if not directory.is_dir() or base not in directory.parents:
                continue
            out.append((source, directory))
            break
    return out


def linked_objects(view: AppView, ctx) -> list[tuple[dict, K8sObject]]:
    """(source, object) for resources of the scan that the app's `path` sources deploy."""
    index = file_index(ctx)
    out = []
    seen = set()
    for source, directory in source_directories(view, ctx):
        for f in _deployed_files(directory, source, index):
            for obj in index.by_file.get(f, ()):
                if id(obj) not in seen and obj is not view.obj and _rendered_for(obj, directory):
                    seen.add(id(obj))
                    out.append((source, obj))
    return out


def _rendered_for(obj: K8sObject, directory: Path) -> bool:
    """A base object that kustomize overlays render differently (model/kustomize) belongs to the app whose
    path is the overlay that renders it that way (or holds it), not to a sibling overlay's app."""
    tops = getattr(obj, "rendered_by", None)
    if tops is None:
        return True
    d = str(directory)
    return any(t == d or t.startswith(d + os.sep) for t in tops)


def _read_yaml_file(path: Path):
    try:
        docs = load_stream(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ParseError):
        return None
    return docs[0].data if docs else None


def chart_dependency_sources(view: AppView, ctx) -> list[dict]:
    """Helm-source-shaped dicts for the dependencies of a wrapper (umbrella) chart that a `path` source
    deploys: `Chart.yaml` (or v1 `requirements.yaml`) `dependencies[]` -> {chart, repoURL, helm}.

    A wrapper chart is the usual way to deploy a third-party chart with a team's defaults; ArgoCD runs
    `helm dependency build` and renders the subchart, its crds/ included (unless `skipCrds`). The helm
    block carries the subchart's values (wrapper values.yaml + the app's values under the dependency's
    alias/name) so catalogue switch-offs still apply; a dependency whose `condition`/`tags` cannot be
    evaluated is left out (never guess).
    """
    out: list[dict] = []
    for source, directory in source_directories(view, ctx):
        chart_file = next((directory / n for n in ("Chart.yaml", "Chart.yml") if (directory / n).is_file()), None)
        if chart_file is None:
            continue
        chart = as_map(_read_yaml_file(chart_file))
        deps = as_list(chart.get("dependencies"))
        if not deps and (directory / "requirements.yaml").is_file():
            deps = as_list(as_map(_read_yaml_file(directory / "requirements.yaml")).get("dependencies"))
        if not deps:
            continue
        app_values, complete = helm_values(source)
        values: dict = {}
        if (directory / "values.yaml").is_file():
            base = _read_yaml_file(directory / "values.yaml")
            if isinstance(base, dict):
                _deep_merge(values, base)
            elif base is not None:
                complete = False
        _deep_merge(values, app_values)
        source_helm = as_map(source.get("helm"))
        for dep in deps:
            dep = as_map(dep)
            name = dep.get("name")
            if not isinstance(name, str) or not name or is_templated(name):
                continue
            switchable = bool(dep.get("condition")) or bool(as_list(dep.get("tags")))
            if switchable and (not complete or _dependency_enabled(dep, values) is False):
                continue  # disabled, or the app's values (which we cannot read) may disable it
            key = dep.get("alias") if isinstance(dep.get("alias"), str) and dep.get("alias") else name
            sub = values.get(key)
            helm: dict = {"valuesObject": dict(sub) if isinstance(sub, dict) else {}}
            if not complete:
                helm["valueFiles"] = ["(values we cannot read)"]
            if "skipCrds" in source_helm:
                helm["skipCrds"] = source_helm.get("skipCrds")
            out.append({"chart": name, "repoURL": str(dep.get("repository") or ""), "helm": helm,
                        "path": source.get("path")})
    return out


def _dependency_enabled(dep: dict, values: dict) -> bool | None:
    """Helm's `condition` (first path that resolves to a bool wins) then `tags` (any true enables).
    None when neither is set (enabled) or when they resolve to nothing (Helm then keeps the chart)."""
    condition = dep.get("condition")
    if isinstance(condition, str) and condition.strip():
        for path in condition.split(","):
            value = values
            for part in path.strip().split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
    tags = [t for t in as_list(dep.get("tags")) if isinstance(t, str)]
    if tags:
        flags = as_map(values.get("tags"))
        seen = [flags.get(t) for t in tags if isinstance(flags.get(t), bool)]
        if seen:
            return any(seen)
    return None


def _deployed_files(directory: Path, source: dict, index: FileIndex) -> list[Path]:
    """Files an ArgoCD source of this directory deploys: kustomize resources, a chart's crds/ (and any
    rendered output in it), or a plain directory's YAML (top level unless `directory.recurse`)."""
    for name in _KUSTOMIZATION:
        if (directory / name).is_file():
            if directory not in index.kustomize:
                index.kustomize[directory] = sorted(_kustomize_files(directory, set(), 0))
            return index.kustomize[directory]
    if (directory / "Chart.yaml").is_file() or (directory / "Chart.yml").is_file():
        files = index.by_ancestor.get(directory, [])
        if skip_crds(source):
            files = [f for f in files if "crds" not in f.relative_to(directory).parts]
        return files
    opts = as_map(source.get("directory"))
    recurse = opts.get("recurse") in (True, "true")
    files = index.by_ancestor.get(directory, []) if recurse else index.by_dir.get(directory, [])
    include, exclude = opts.get("include"), opts.get("exclude")
    if isinstance(include, str) and include:
        files = [f for f in files if _glob_any(f.relative_to(directory).as_posix(), include)]
    if isinstance(exclude, str) and exclude:
        files = [f for f in files if not _glob_any(f.relative_to(directory).as_posix(), exclude)]
    return files


def _glob_any(rel: str, pattern: str) -> bool:
    pattern = pattern.strip()
    if pattern.startswith("{") and pattern.endswith("}"):
        options = [p.strip() for p in pattern[1:-1].split(",")]
    else:
        options = [pattern]
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in options)


def _kustomize_files(directory: Path, visited: set, depth: int) -> set[Path]:
    if depth > 8 or directory in visited:
        return set()
    visited.add(directory)
    data = None
    for name in _KUSTOMIZATION:
        f = directory / name
        if f.is_file():
            try:
                docs = load_stream(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ParseError):
                return set()
            data = docs[0].data if docs else None
            break
    if not isinstance(data, dict):
        return set()
    out: set[Path] = set()
    entries = [*as_list(data.get("resources")), *as_list(data.get("bases")), *as_list(data.get("crds")),
               *as_list(data.get("components"))]
    for item in entries:
        if not isinstance(item, str) or "://" in item or item.startswith(("github.com/", "git@")):
            continue
        target = (directory / item).resolve()
        if target.is_file():
            out.add(target)
        elif target.is_dir():
            out |= _kustomize_files(target, visited, depth + 1)
    return out


# --- everything an app deploys that gets patched ------------------------------------------------------
@dataclass
class AppAnalysis:
    view: AppView
    patched: list[Patched] = field(default_factory=list)  # known rendered-and-patched fields
    linked: list[tuple[dict, K8sObject]] = field(default_factory=list)
    rows_unknown: bool = False  # a chart we could not identify (templated): coverage claims stay silent


def analyses(obj: K8sObject, ctx) -> list[AppAnalysis]:
    """One analysis per Application the object stands for (app_views), built once per scan."""
    return ctx.cached(f"argocd.analyses:{id(obj)}",
                      lambda c: [_analyse(v, c) for v in app_views(obj, _generator_repo(obj, c))])


def _generator_repo(obj: K8sObject, ctx) -> Path | None:
    """The repository git generators read: the one holding the ApplicationSet, else the scan root."""
    if not is_argocd(obj, "ApplicationSet") or "git" not in repr(obj.spec.get("generators")):
        return None  # only git generators read the repository
    real = _resolve(obj.path)
    repo = _repo_root(real.parent) if real is not None else None
    roots = file_index(ctx).roots
    return repo or (roots[0] if roots else None)


def _analyse(view: AppView, ctx) -> AppAnalysis:
    out = AppAnalysis(view)
    value_file = _ref_value_files(view, ctx)
    for source in [*view.sources, *chart_dependency_sources(view, ctx)]:
        for row in catalogue(ctx):
            matched = row_matches_source(row, source)
            if matched is None:
                out.rows_unknown = True
                continue
            if not matched:
                continue
            off = switched_off(row, source, value_file)
            if off is False and row.switch_off and view.patch_values:
                off = None  # the templatePatch may set the switch-off value
            if off is not False:
                continue  # switched off, or values we cannot read: never guess
            skip = None if view.patch_skip_crds else skip_crds(source)
            for res in row.resources:
                if res.crd_only and skip is not False:
                    continue
                ns = ("?" if view.dest_namespace in (None, "") else view.dest_namespace) if res.namespaced else None
                for segs in res.paths:
                    out.patched.append(Patched(
                        group=res.group, kind=res.kind, name=res.name, namespace=ns, segments=segs,
                        why=(f"rendered as {res.rendered or 'a literal value'} by chart "
                             f"{source.get('chart') or source.get('path')} and {row.replaced}"),
                        crd=res.crd_only, managers=row.field_managers,
                    ))
    out.linked = linked_objects(view, ctx)
    for source, linked in out.linked:
        out.patched.extend(p for p in _linked_patches(linked, view, ctx)
                           if not (p.crd and view.patch_skip_crds))  # the patch may skip a chart's crds/
    return out


def _drift_helpers():
    try:
        from . import drift  # written by the webhook/CRD rule family
    except ImportError:
        return None, None
    return getattr(drift, "crd_placeholder_paths", None), getattr(drift, "injected_cabundle_paths", None)


def _autoscale_helper():
    try:
        from . import workloads  # written by the workload rule family
    except ImportError:
        return None
    return getattr(workloads, "replicas_fight_autoscaler", None)


def _linked_patches(obj: K8sObject, view: AppView, ctx) -> list[Patched]:
    placeholders, cabundles = _drift_helpers()
    fights = _autoscale_helper()
    group, kind = obj.group, obj.kind
    namespaced = CLUSTER_SCOPED.get(kind) != group and crd_groups(ctx).get(kind, {}).get(group) != "Cluster"
    ns = (obj.namespace or (view.dest_namespace if view.dest_namespace else "?")) if namespaced else None
    # (pointer, position, why, field managers writing it: None when not verified)
    found: list[tuple[str, Position, str, tuple | None]] = []
    if placeholders is not None:
        for pointer, pos in placeholders(obj) or ():
            found.append((pointer, pos, "a placeholder the controller patches at run time", None))
    if cabundles is not None:
        for pointer, pos in cabundles(obj) or ():
            found.append((pointer, pos, "a literal caBundle that cert-manager's cainjector replaces", None))
    if fights is not None:
        pos = fights(obj, ctx)
        if pos is not None:
            # The HPA controller (KEDA creates an HPA too) runs in kube-controller-manager and scales through
            # the scale subresource: managedFields name `kube-controller-manager` (the Argo CD docs' recipe).
            found.append(("/spec/replicas", pos, "a replica count the HPA/KEDA autoscaler targeting it changes at run time",
                          ("kube-controller-manager",)))
    out = []
    for pointer, pos, why, managers in found:
        parsed = parse_pointer(pointer)
        if parsed is None:
            continue
        value = _value(obj.data, parsed.segments)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
            why = f"rendered as `{shown}`, {why}"
        line = obj.locate(pos).line if isinstance(pos, Position) else None
        out.append(Patched(group=group, kind=kind, name=obj.name, namespace=ns, segments=parsed.segments,
                           why=why, where=f"{obj.path}:{line}" if line else obj.path,
                           crd=kind == "CustomResourceDefinition", obj=obj, managers=managers))
    return out


def coverage(analysis: AppAnalysis, patched: Patched, ctx) -> str:
    """Coverage of one patched field by the app's entries or argocd-cm (YES / MAYBE / NO)."""
    if analysis.view.patch_unknown:
        return MAYBE
    best = NO
    for entry in analysis.view.entries:
        got = covers(entry, patched)
        if got == YES:
            return YES
        if got == MAYBE:
            best = MAYBE
    got = system_covers(system_settings(ctx), patched)
    if got == YES:
        return YES
    if got == MAYBE:
        best = MAYBE
    return best


def _value(data, segments):
    for seg in segments:
        if isinstance(data, dict):
            data = data.get(seg)
        elif isinstance(data, list) and isinstance(seg, str) and seg.isdigit() and int(seg) < len(data):
            data = data[int(seg)]
        else:
            return None
    return data


def value_at(data, segments) -> bool:
    """Is there a value at this path (ANY = any element) in a rendered object?"""
    if not segments:
        return True
    head, rest = segments[0], segments[1:]
    if isinstance(data, dict):
        if head is ANY:
            return any(value_at(v, rest) for v in data.values())
        return head in data and value_at(data[head], rest)
    if isinstance(data, list):
        if head is ANY:
            return any(value_at(v, rest) for v in data)
        if isinstance(head, str) and head.isdigit() and int(head) < len(data):
            return value_at(data[int(head)], rest)
    return False


def suggested_entry(patched_list: list[Patched]) -> str:
    """The ignoreDifferences entry to add for one resource, in the flow style users paste."""
    first = patched_list[0]
    parts = []
    if first.group:
        parts.append(f"group: {first.group}")
    parts.append(f"kind: {first.kind}")
    if first.name and not any(c in first.name for c in "*?["):
        parts.append(f"name: {first.name}")
    paths = []
    for p in patched_list:
        jq = segments_to_jq(p.segments)
        if jq not in paths:
            paths.append(jq)
    parts.append(f"jqPathExpressions: [{', '.join(paths)}]")
    return ", ".join(parts)


def crd_groups(ctx) -> dict[str, dict[str, str]]:
    """kind -> {group: scope} of the CustomResourceDefinitions in the scan."""
    def build(c):
        out: dict[str, dict[str, str]] = {}
        for crd in c.objects("CustomResourceDefinition"):
            spec = crd.spec
            kind = as_map(spec.get("names")).get("kind")
            group = spec.get("group")
            if isinstance(kind, str) and isinstance(group, str):
                out.setdefault(kind, {})[group] = str(spec.get("scope") or "Namespaced")
        return out

    return ctx.cached("argocd.crd_groups", build)


__all__ = [
    "ANY", "YES", "MAYBE", "NO", "AppView", "AppAnalysis", "IgnoreEntry", "Patched", "FieldPath",
    "analyses", "app_view", "app_views", "coverage", "covers", "manager_covers", "managers_note", "system_settings", "parse_jq", "parse_pointer", "jq_syntax_problem",
    "pointer_problem", "segments_to_jq", "suggested_entry", "value_at", "BUILTIN_GROUPS", "BUILTIN_GROUP_NAMES",
    "CLUSTER_SCOPED", "CORE_KINDS", "crd_groups", "is_templated", "glob_match", "is_argocd",
]
