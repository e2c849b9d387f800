"""The rule pack: `rules/*.yaml`, validated against `rules/schema.json`, each rule bound to a check template.

A rule is data (code, severity, params, docs); a template is Python (`checks/`). Binding them here lets a
team add a rule of its own that reuses a built-in template with other params (`--rules DIR`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding, Position, Severity
from .parse.yamldoc import ParseError, YList, YMap, load_stream


class CatalogError(Exception):
    """A broken rule pack: exit 2, naming the file and line."""


def builtin_rules_dir() -> Path:
    """`forewarn/rules` inside an installed wheel; the repository's `rules/` in a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    if (packaged / "schema.json").is_file():
        return packaged
    return here.parent.parent / "rules"


@dataclass
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    template: str
    scope: dict
    params: dict
    docs: dict
    enabled: bool = True
    source: str = ""

    @property
    def formats(self) -> list[str]:
        return list(self.scope.get("formats", []))

    @property
    def kinds(self) -> set[str] | None:
        kinds = self.scope.get("kinds")
        return set(kinds) if kinds else None

    def finding(self, resource, pos: Position, message: str, snippet: str = "", path: str | None = None) -> Finding:
        """A finding of this rule at `pos` inside `resource` (shifted to the host file's coordinates)."""
        if getattr(pos, "path", ""):  # a position in another file (a kustomize patch's value)
            path, pos = pos.path, Position(pos.line, pos.column)
        where = resource.locate(pos) if resource is not None and path is None else pos
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            path=path or resource.path,
            line=where.line,
            column=where.column,
            resource=getattr(resource, "address", ""),
            snippet=snippet,
            notes=list(getattr(resource, "notes", []) or []),
        )


@dataclass
class Catalog:
    rules: dict[str, Rule] = field(default_factory=dict)
    knowledge: dict[str, object] = field(default_factory=dict)

    def get(self, code: str) -> Rule:
        return self.rules[code]

    def ordered(self) -> list[Rule]:
        return sorted(self.rules.values(), key=lambda r: _code_key(r.code))


def _code_key(code: str):
    prefix = code.rstrip("0123456789")
    return (prefix, int(code[len(prefix):] or 0))


def _load_yaml_file(path: Path):
    text = path.read_text(encoding="utf-8")
    try:
        docs = load_stream(text)
    except ParseError as exc:
        raise CatalogError(f"{path}:{exc.position.line}:{exc.position.column}: {exc.message}") from None
    return docs[0].data if docs else None


def _error_position(data, path_parts) -> Position:
    node, pos = data, getattr(data, "pos", Position(1, 1))
    for part in path_parts:
        if isinstance(node, YMap) and part in node:
            pos = node.at(part)
            node = node[part]
        elif isinstance(node, YList) and isinstance(part, int) and part < len(node):
            pos = node.at(part)
            node = node[part]
        else:
            break
    return pos


def pack_digest(directory: Path) -> str:
    """sha256 over the schema and every rule file of a pack (names and bytes)."""
    digest = hashlib.sha256()
    for path in [directory / "schema.json", *sorted(directory.glob("*.yaml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def builtin_pack_is_validated(base: Path) -> bool:
    """The built-in pack as shipped was validated by the test suite, which writes `validated.sha256`.

    Skipping jsonschema for it saves ~55 ms of import at every start (a pre-commit hook runs often);
    any edit to the installed pack changes the digest, and then it is validated like any other pack.
    """
    stamp = base / "validated.sha256"
    try:
        return stamp.read_text(encoding="utf-8").strip() == pack_digest(base)
    except OSError:
        return False


def load_catalog(extra_dirs: list[str | Path] = (), params: dict | None = None) -> Catalog:
    """Load built-in rules plus extra packs; a file there with a built-in code replaces that rule."""
    from .checks import templates

    base = builtin_rules_dir()
    schema = json.loads((base / "schema.json").read_text(encoding="utf-8"))
    validator = None
    known_templates = templates()
    catalog = Catalog()
    for knowledge_file in sorted((base / "knowledge").glob("*.yaml")):
        catalog.knowledge[knowledge_file.stem] = _load_yaml_file(knowledge_file)
    trusted = builtin_pack_is_validated(base)
    for directory in [base, *map(Path, extra_dirs)]:
        if not directory.is_dir():
            raise CatalogError(f"{directory}: rule directory not found")
        for path in sorted(directory.glob("*.yaml")):
            data = _load_yaml_file(path)
            if not (trusted and directory is base):
                if validator is None:
                    import jsonschema

                    validator = jsonschema.Draft202012Validator(schema)
                errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
                if errors:
                    err = errors[0]
                    pos = _error_position(data, list(err.absolute_path))
                    where = "/".join(str(p) for p in err.absolute_path) or "(top)"
                    raise CatalogError(f"{path}:{pos.line}:{pos.column}: invalid rule at {where}: {err.message}")
            if data["template"] not in known_templates:
                pos = _error_position(data, ["template"])
                raise CatalogError(f"{path}:{pos.line}:{pos.column}: unknown template {data['template']!r}")
            rule = Rule(
                code=data["code"],
                name=data["name"],
                severity=Severity.parse(data["severity"]),
                summary=data["summary"],
                template=data["template"],
                scope=dict(data.get("scope") or {}),
                params=dict(data.get("params") or {}),
                docs=dict(data.get("docs") or {}),
                enabled=bool(data.get("enabled", True)),
                source=str(path),
            )
            if params and rule.code in params:
                rule.params.update(params[rule.code])
            catalog.rules[rule.code] = rule
    return catalog
