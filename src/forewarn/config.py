"""Project configuration: `[tool.forewarn]` in pyproject.toml, or the top level of `.forewarn.toml`.

The file is found by walking up from the scanned path (in each directory `.forewarn.toml` wins over
pyproject.toml; a pyproject.toml without `[tool.forewarn]` is passed over). It is validated against
`config_schema.json` before anything runs: an unknown key or a bad value is exit 2 naming the file and line,
because a typo that silently disables a setting is how a gate rots. Every effective value remembers where
it came from (`forewarn config` prints it): the default, a line of the file, or a command-line flag.
Command-line flags override the file; `--extend-*` flags add to it.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Position

CONFIG_NAMES = (".forewarn.toml", "pyproject.toml")
SCHEMA_PATH = Path(__file__).with_name("config_schema.json")
FORMATS = ("text", "concise", "json", "sarif", "junit", "github")

DEFAULTS: dict[str, object] = {
    "select": [],
    "extend-select": [],
    "ignore": [],
    "exclude": [],
    "fail-on": "warning",
    "format": ["text"],
    "rule-dirs": [],
    "params": {},
    "per-path-ignores": [],
    "argocd-repo-urls": [],
    "context": None,  # None: the git work tree around the scanned paths
    "cache": True,
    "baseline": None,
    "report-unused": False,
    "max-file-size": 10 * 1024 * 1024,
}
PATH_KEYS = ("rule-dirs", "baseline", "context")  # resolved against the config file's directory


class ConfigError(Exception):
    """A configuration the user must fix: the message names the file and line (exit 2)."""


# --------------------------------------------------------------------------------------------- the file
@dataclass
class ConfigFile:
    path: Path
    data: dict
    prefix: tuple  # ("tool", "forewarn") in pyproject.toml, () in .forewarn.toml
    index: object = None  # parse.tomldoc.TomlIndex of the whole file

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def display(self) -> str:
        from .discover import display_path

        return display_path(self.path)

    def position(self, *keys) -> Position:
        fallback = self.index.table(self.prefix) if self.prefix else None
        return self.index.at(self.prefix + tuple(keys), fallback=fallback or Position(1, 1))

    def where(self, *keys) -> str:
        pos = self.position(*keys)
        return f"{self.display}:{pos.line}"

    def error(self, keys: tuple, message: str) -> ConfigError:
        pos = self.position(*keys)
        return ConfigError(f"{self.display}:{pos.line}:{pos.column}: {message}")


def find_config(start: Path) -> Path | None:
    """The nearest `.forewarn.toml`, or pyproject.toml holding `[tool.forewarn]`, at or above `start`."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        dotfile = folder / ".forewarn.toml"
        if _is_file(dotfile):
            return dotfile
        pyproject = folder / "pyproject.toml"
        if _is_file(pyproject) and _has_tool_table(pyproject):
            return pyproject
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # an unreadable directory (PermissionError is not swallowed by is_file)
        return False


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "forewarn" not in text:
        return False
    try:
        data = _parse(text, path)
    except ConfigError:
        return True  # let read_config report the syntax error with its line
    return isinstance(data.get("tool"), dict) and "forewarn" in data["tool"]


def _parse(text: str, path: Path) -> dict:
    import tomlkit
    from tomlkit.exceptions import ParseError as TomlkitError

    try:
        return tomlkit.parse(text).unwrap()
    except TomlkitError as exc:
        import re

        message = re.sub(r" at line \d+ col \d+$", "", str(exc))
        from .discover import display_path

        raise ConfigError(f"{display_path(path)}:{exc.line}:{(exc.col or 0) + 1}: TOML syntax error: {message}") from None


def _plain(value):
    """TOML dates become ISO strings (the schema speaks JSON); everything else stays as parsed."""
    if isinstance(value, _dt.datetime):
        return value  # a date-time is not a date: the schema rejects it with the key's line
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_config(path: Path) -> ConfigFile:
    from .parse.tomldoc import index_keys

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    data = _parse(text, path)
    if path.name == "pyproject.toml":
        prefix = ("tool", "forewarn")
        table = (data.get("tool") or {}).get("forewarn") if isinstance(data.get("tool"), dict) else None
        if table is None:
            table = {}
    else:
        prefix = ()
        table = data
    cfg = ConfigFile(path=path.resolve(), data={}, prefix=prefix, index=index_keys(text))
    if not isinstance(table, dict):
        raise cfg.error((), "[tool.forewarn] must be a table")
    cfg.data = _plain(table)
    validate(cfg)
    return cfg


def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(cfg: ConfigFile) -> None:
    """Schema check; every problem is reported with its line (all of them, not only the first)."""
    import jsonschema

    schema = _schema()
    # "format": "date" is checked (2027-13-01 matches the pattern but is no day): a bad `until` is as
    # invalid as a missing reason, so both stop with exit 2 instead of one becoming a runtime E002
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker(["date"]))
    problems = []
    for err in sorted(validator.iter_errors(cfg.data), key=lambda e: [str(p) for p in e.absolute_path]):
        keys = tuple(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = sorted((err.schema.get("properties") or {}).keys())
            extra = [k for k in err.instance if k not in allowed]
            for key in extra:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else f" (known keys: {', '.join(allowed)})"
                problems.append(cfg.error(keys + (key,), f"unknown key '{key}'{more}"))
            continue
        problems.append(cfg.error(keys, f"{_where(keys)}: {_message(err, keys)}"))
    if problems:
        raise ConfigError("\n".join(str(p) for p in problems))


def _where(keys: tuple) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or "(top)"


def _message(err, keys) -> str:
    key = next((k for k in reversed(keys) if isinstance(k, str)), "")
    if key == "format" or (len(keys) >= 2 and keys[0] == "format"):
        return f"{err.instance!r} is not an output: use one of {', '.join(FORMATS)}, optionally FORMAT:FILE"
    if key == "context":
        return f"{err.instance!r}: use a directory (relative to this file) or false"
    if key == "until":
        return f"{err.instance!r} is not a date: write a calendar day as YYYY-MM-DD"
    if key == "reason" and err.validator == "pattern":
        return "a suppression needs a reason: say why the finding is accepted"
    if err.validator == "pattern" and isinstance(err.instance, str):
        return f"{err.instance!r} is not a rule code or code prefix"
    return err.message


# --------------------------------------------------------------------------------------------- effective
@dataclass
class Settings:
    """The effective configuration: value and origin of every key."""

    values: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    config: ConfigFile | None = None

    def __getitem__(self, key):
        return self.values[key]

    def set(self, key, value, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source

    def as_dict(self) -> dict:
        return {k: {"value": _jsonable(self.values[k]), "source": self.sources[k]} for k in self.values}


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def from_file(cfg: ConfigFile | None) -> Settings:
    """Defaults overlaid with the file (paths resolved against the file's directory)."""
    s = Settings(config=cfg)
    for key, value in DEFAULTS.items():
        s.set(key, json.loads(json.dumps(value)), "default")
    if cfg is None:
        return s
    for key, value in cfg.data.items():
        if key == "format" and isinstance(value, str):
            value = [value]
        if key in ("select", "extend-select", "ignore"):
            value = [str(v).upper() for v in value]
        if key == "per-path-ignores":
            value = [dict(v, codes=[str(c).upper() for c in v["codes"]], line=cfg.position(key, i).line)
                     for i, v in enumerate(value)]
        if key in PATH_KEYS and isinstance(value, str):
            value = str((cfg.root / value).resolve())
        if key == "rule-dirs":
            value = [str((cfg.root / v).resolve()) for v in value]
        if key == "format":
            value = [_resolve_output(v, cfg.root) for v in value]
        s.set(key, value, cfg.where(key))
    return s


def _resolve_output(spec: str, root: Path) -> str:
    fmt, sep, target = spec.partition(":")
    if not sep or target == "-":
        return spec
    return f"{fmt}:{(root / target).resolve()}" if not os.path.isabs(target) else spec


def check_against_catalog(settings: Settings, catalog) -> None:
    """Codes and params of the file must name rules that exist (a typo is an error, not a no-op)."""
    cfg = settings.config
    if cfg is None:
        return
    codes = list(catalog.rules)
    problems = []

    def known(prefix: str) -> bool:
        return any(code.startswith(prefix) for code in codes)

    for key in ("select", "extend-select", "ignore"):
        for i, code in enumerate(cfg.data.get(key) or []):
            if not known(str(code).upper()):
                problems.append(cfg.error((key, i), f"{key}: no rule code starts with {code!r}"))
    for i, entry in enumerate(cfg.data.get("per-path-ignores") or []):
        for j, code in enumerate(entry.get("codes") or []):
            if not known(str(code).upper()):
                problems.append(cfg.error(("per-path-ignores", i, "codes", j),
                                          f"per-path-ignores: no rule code starts with {code!r}"))
    for code, params in (cfg.data.get("params") or {}).items():
        rule = catalog.rules.get(code)
        if rule is None:
            hint = difflib.get_close_matches(code, codes, n=1)
            more = f" (did you mean {hint[0]}?)" if hint else ""
            problems.append(cfg.error(("params", code), f"params: no rule {code}{more}"))
            continue
        for name, value in params.items():
            if name not in rule.params:
                names = ", ".join(sorted(rule.params)) or "none"
                problems.append(cfg.error(("params", code, name),
                                          f"params: {code} has no parameter '{name}' (its parameters: {names})"))
                continue
            spec = _param_schemas().get(rule.template, {}).get(name)
            if spec is not None:
                import jsonschema

                if not jsonschema.Draft202012Validator(spec).is_valid(value):
                    why = f": {spec['description']}" if spec.get("description") else ""
                    problems.append(cfg.error(("params", code, name),
                                              f"params: {code}.{name} must be {_describe(spec)}, not {_shown(value)}{why}"))
                continue
            expected = _type_name(rule.params[name])
            if expected and not _same_type(rule.params[name], value):
                problems.append(cfg.error(("params", code, name),
                                          f"params: {code}.{name} must be {expected}, not {value!r}"))
    if problems:
        raise ConfigError("\n".join(str(p) for p in problems))


def _param_schemas() -> dict:
    """template -> {param: JSON schema}: the type and range each check template accepts for its params.

    Declared in the rule pack (`rules/schema.json`, `$defs/templateParams`), where they also validate the
    rule files' own values, so a custom rule reusing a template is held to the same ranges."""
    from .catalog import builtin_rules_dir

    try:
        schema = json.loads((builtin_rules_dir() / "schema.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    templates = (schema.get("$defs") or {}).get("templateParams") or {}
    return {t: dict(s.get("properties") or {}) for t, s in templates.items() if isinstance(s, dict)}


def _shown(value) -> str:
    """A value as it is written in TOML (`true`, `"4"`, `[]`), not as Python prints it."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


_TYPE_WORDS = {"number": "a number", "integer": "an integer", "string": "a string", "array": "an array",
               "boolean": "true or false", "object": "a table"}


def _describe(spec: dict) -> str:
    """`a number >= 1`, `an integer from 1 to 30`, `an array of strings`: what a param accepts, in words."""
    text = _TYPE_WORDS.get(spec.get("type"), "a valid value")
    if spec.get("type") == "array" and (spec.get("items") or {}).get("type") == "string":
        text += " of strings"
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None and high is not None:
        text += f" from {low} to {high}"
    elif low is not None:
        text += f" >= {low}"
    elif high is not None:
        text += f" <= {high}"
    if spec.get("minLength"):
        text = f"a non-empty {text[2:]}" if text.startswith("a ") else text
    if spec.get("minItems"):
        text += f" with at least {spec['minItems']} item(s)"
    if spec.get("uniqueItems"):
        text += ", no repeats"
    return text


def _type_name(default) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, (int, float)):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, list):
        return "an array"
    if isinstance(default, dict):
        return "a table"
    return ""


def _same_type(default, value) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    for kind in (str, list, dict):
        if isinstance(default, kind):
            return isinstance(value, kind)
    return True


def render_settings(settings: Settings, fmt: str = "text") -> str:
    """`forewarn config`: the effective value of every key and where it came from."""
    if fmt == "json":
        data = {"config_file": str(settings.config.path) if settings.config else None, "settings": settings.as_dict()}
        return json.dumps(data, indent=2) + "\n"
    import tomlkit

    lines = ["# forewarn: effective configuration"]
    lines.append(f"# file: {settings.config.display if settings.config else '(none found: defaults)'}")
    width = 0
    rendered = []
    for key in DEFAULTS:
        value = settings.values[key]
        if key == "per-path-ignores":
            value = [{k: v for k, v in e.items() if k != "line"} for e in value]
        text = _toml_value(tomlkit, value, key)
        rendered.append((f"{key} = {text}", settings.sources[key]))
        width = max(width, len(rendered[-1][0]))
    width = min(width, 60)
    for line, source in rendered:
        lines.append(f"{line:<{width}}  # {source}")
    return "\n".join(lines) + "\n"


_UNSET = {"context": "(named files: their git work tree; named directories: themselves)", "baseline": "(none)"}


def _toml_value(tomlkit, value, key: str = "") -> str:
    if value is None:
        return _UNSET.get(key, "(unset)")
    if isinstance(value, dict) and not value:
        return "{}"
    item = tomlkit.item(_jsonable(value))
    if hasattr(item, "multiline"):
        item.multiline(False)
    text = item.as_string()
    return " ".join(text.split()) if "\n" in text else text
