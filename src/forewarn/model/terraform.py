"""Terraform modules (one per directory) and what the TF rules need to know about their EKS nodes.

All `.tf` files of a directory form one module: a `TerraformModule` resource. Its expressions are
evaluated by `parse.hcldoc.Evaluator` in a module scope (locals, variable defaults, `data` sources of the
same directory, references to its resources). `TerraformModule.analysis` then collects, once:

- **storage owners**: `aws_launch_template`s and terraform-aws-eks node groups (map entries of the root
  module, or the node-group submodules used directly) with their block device mappings, user data and the
  evidence that they start Bottlerocket nodes (KNOWLEDGE.md 2.4);
- **release pins**: `release_version` / `ami_release_version` taken from an SSM parameter (TF003);
- **embedded Bottlerocket settings** (user_data heredocs and strings, templatefile() targets rendered with
  the literal arguments of the call, terraform-aws-eks `bootstrap_extra_args`), returned by
  `load_modules` as `BottlerocketSettings` resources so the BR rules judge them.

Nothing here guesses: a value that cannot be computed is UNKNOWN and the rules skip it.
"""
from __future__ import annotations

import base64
import binascii
import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Position
from ..parse.hcldoc import (
    MARK,
    UNKNOWN,
    AmiLookup,
    Attribute,
    Block,
    BlockRef,
    Body,
    Doc,
    Env,
    Evaluator,
    LDict,
    SsmParameter,
    TemplateRef,
    Call,
    Conditional,
    Traversal,
    TupleExpr,
    iter_attributes,
    iter_nodes,
    Template,
    as_bool,
    as_number,
    is_known,
    known_str,
    parse_hcl,
)
from ..parse.tomldoc import UNKNOWN as TOML_UNKNOWN, parse_rendered, render_template
from ..parse.yamldoc import ParseError
from .base import Resource
from .bottlerocket import BottlerocketSettings

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
_EKS_SOURCE = re.compile(r"terraform-aws-modules/eks/aws|terraform-aws-eks", re.I)
_LOOSE_SETTINGS = re.compile(r"^\s*(\[\s*settings\b|settings\s*[.=])", re.M)
_STRICT_FIRST = re.compile(r"^\s*(\[\s*\[?\s*\"?settings\b|\"?settings\"?\s*[.=])")
_EPHEMERAL = re.compile(r"apiclient[\s\"',\]\[]*ephemeral-storage")


# ============================================================================================ files
@dataclass
class TfFile:
    display: str
    path: Path | None  # None for stdin
    text: str
    body: Body

    @property
    def directory(self) -> Path | None:
        if self.path is not None:
            return self.path.parent
        return None


# ======================================================================================== analysis
@dataclass
class Instance:
    """One instance of a `for_each`/`count` block: its address suffix (`["general"]`, `[0]`), the names
    it binds (`each`, `count`; an empty scope leaves them unknown; None = not a repeated block) and its key."""

    suffix: str
    scope: dict | None
    key: object = None


@dataclass
class Evidence:
    """Why forewarn believes a node runs Bottlerocket (and whether it is an NVIDIA variant)."""

    text: str
    nvidia: bool | None = None
    rank: int = 5  # how telling it is for a reader: ami_type first, user data last


@dataclass
class Device:
    """One block device mapping as written."""

    name: object  # evaluated device_name (UNKNOWN for dynamic blocks / computed names)
    file: str
    pos: Position  # device_name, else the mapping itself
    size: object = None
    encrypted: object = None
    encrypted_pos: Position | None = None
    kms_key_id: object = None
    snapshot_id: object = None

    @property
    def device(self) -> str | None:
        """`xvda` for "/dev/xvda" (or "xvda"); None when the name is unknown."""
        s = known_str(self.name)
        if s is None:
            return None
        s = s.strip()
        return s[5:] if s.startswith("/dev/") else s


@dataclass
class Storage:
    """Something that decides a node's block devices: a launch template or a terraform-aws-eks node group."""

    address: str
    file: str
    pos: Position
    devices: list[Device] | None = field(default_factory=list)  # None: cannot be known
    user_data: list = field(default_factory=list)  # evaluated user data / bootstrap_extra_args values
    evidence: list[Evidence] = field(default_factory=list)
    users: list[str] = field(default_factory=list)  # node groups using this launch template

    @property
    def bottlerocket(self) -> bool:
        return bool(self.evidence)

    @property
    def nvidia(self) -> bool | None:
        return combine_nvidia(self.evidence)

    def why(self, limit: int = 1) -> str:
        seen = []
        for ev in sorted(self.evidence, key=lambda e: e.rank):
            if ev.text not in seen:
                seen.append(ev.text)
        return "; ".join(seen[:limit])


@dataclass
class ReleasePin:
    """A node image version taken from an SSM parameter (TF003)."""

    address: str
    attribute: str
    file: str
    pos: Position
    parameter: SsmParameter
    ignored: bool | None  # lifecycle ignore_changes covers it; None = no lifecycle possible (module input)


@dataclass
class Analysis:
    storages: list[Storage] = field(default_factory=list)
    pins: list[ReleasePin] = field(default_factory=list)
    settings: list = field(default_factory=list)  # EmbeddedSettings
    problems: list = field(default_factory=list)  # (display, Position, message)
    ebs_default_encryption: list = field(default_factory=list)  # evaluated `enabled` values
    rendered: set = field(default_factory=set)  # resolved paths of templates templatefile() rendered
    # resolved path of a settings file read verbatim by file() -> what its users say (nvidia, kubernetes)
    file_hosts: dict = field(default_factory=dict)


def combine_nvidia(evidence) -> bool | None:
    values = [e.nvidia for e in evidence]
    if True in values:
        return True
    if False in values:
        return False
    return None


# ======================================================================================== resources
@dataclass
class EmbeddedSettings(BottlerocketSettings):
    """Bottlerocket settings found inside Terraform: positions shift into the host file (a heredoc), are
    pinned to the string that holds them (a one-line quoted string), or are the template's own lines (a
    templatefile() target: `path` is then the template)."""

    pin: Position | None = None
    template_file: str | None = None  # resolved path of the rendered template
    template_text: str = ""

    def locate(self, pos: Position) -> Position:
        if self.pin is not None:
            return self.pin
        return super().locate(pos)


@dataclass(eq=False, repr=False)
class TerraformModule(Resource):
    """All .tf files of one directory (compared by identity: it holds whole parse trees)."""

    files: list[TfFile] = field(default_factory=list)
    directory: Path | None = None
    cache: "LoadCache | None" = None
    _analysis: Analysis | None = None

    # -------------------------------------------------------------- indexes (built on first use)
    def __post_init__(self):
        self._locals: dict[str, tuple[TfFile, Attribute]] = {}
        self._variables: dict[str, tuple[TfFile, Block]] = {}
        self._resources: dict[tuple[str, str], tuple[TfFile, Block]] = {}
        self._data: dict[tuple[str, str], tuple[TfFile, Block]] = {}
        self._modules: list[tuple[TfFile, Block]] = []
        self._local_values: dict = {}
        self._var_values: dict = {}
        self._in_progress: set = set()
        self._tfvars: dict | None = None
        self._indexed = False
        self._binding = None  # (bound caller, its file, the module block, the call's Instance)
        self._views: list | None = None
        self.rendered_paths: set[str] = set()  # every template a templatefile() call here rendered

    def __repr__(self) -> str:
        return f"TerraformModule({self.address!r}, files={[f.display for f in self.files]!r})"

    def index(self):
        if self._indexed:
            return
        self._indexed = True
        for f in self.files:
            for block in f.body.blocks:
                if block.type == "locals":
                    for name, attr in block.body.attributes.items():
                        self._locals.setdefault(name, (f, attr))
                elif block.type == "variable" and block.labels:
                    self._variables.setdefault(block.labels[0], (f, block))
                elif block.type == "resource" and len(block.labels) == 2:
                    self._resources.setdefault((block.labels[0], block.labels[1]), (f, block))
                elif block.type == "data" and len(block.labels) == 2:
                    self._data.setdefault((block.labels[0], block.labels[1]), (f, block))
                elif block.type == "module" and block.labels:
                    self._modules.append((f, block))

    def resources_of(self, type_: str) -> list[tuple[TfFile, Block]]:
        self.index()
        return [(f, b) for (t, _), (f, b) in self._resources.items() if t == type_]

    @property
    def modules(self) -> list[tuple[TfFile, Block]]:
        self.index()
        return self._modules

    # -------------------------------------------------------------- evaluation
    def evaluate(self, node, tf_file: TfFile, instance: "Instance | None" = None):
        return self.evaluator(tf_file, instance).eval(node)

    def evaluator(self, tf_file: TfFile, instance: "Instance | None" = None) -> Evaluator:
        """An evaluator for one file of the module, with `each`/`count` bound when `instance` says so."""
        ev = Evaluator(ModuleEnv(self, tf_file))
        if instance is not None and instance.scope:
            ev.scopes.append(instance.scope)
        return ev

    def attr_value(self, body: Body, name: str, tf_file: TfFile, instance: "Instance | None" = None):
        """(value, position) of an attribute; (None, None) when absent."""
        attr = body.attr(name)
        if attr is None:
            return None, None
        return self.evaluate(attr.value, tf_file, instance), attr.pos

    def instances(self, block: Block, tf_file: TfFile) -> list["Instance"]:
        """The instances a `resource`/`module` block declares: one per `for_each` element or `count` index
        when the collection is known (none for an empty one or `count = 0`); a single instance, with
        `each`/`count` unknown, otherwise."""
        for_each = block.body.attr("for_each")
        count = block.body.attr("count")
        if for_each is not None:
            coll = self.evaluate(for_each.value, tf_file)
            if isinstance(coll, dict):
                pairs = list(coll.items())
            elif isinstance(coll, list) and all(isinstance(v, str) for v in coll):
                pairs = [(v, v) for v in dict.fromkeys(coll)]  # toset(): key and value are the element
            else:
                return [Instance("", {})]
            return [Instance(f'["{k}"]', {"each": {"key": k, "value": v}}, k)
                    for k, v in pairs[: Evaluator.MAX_FOR_ITEMS]]
        if count is not None:
            n = as_number(self.evaluate(count.value, tf_file))
            if n is None or n != int(n) or n < 0:
                return [Instance("", {})]
            return [Instance(f"[{i}]", {"count": {"index": i}}, i) for i in range(min(int(n), Evaluator.MAX_FOR_ITEMS))]
        return [Instance("", None)]

    def local(self, name: str):
        self.index()
        if name in self._local_values:
            return self._local_values[name]
        entry = self._locals.get(name)
        if entry is None or ("local", name) in self._in_progress:
            return UNKNOWN
        self._in_progress.add(("local", name))
        try:
            value = self.evaluate(entry[1].value, entry[0])
        finally:
            self._in_progress.discard(("local", name))
        self._local_values[name] = value
        return value

    def variable(self, name: str):
        self.index()
        if name in self._var_values:
            return self._var_values[name]
        if self._binding is not None:
            caller, tf_file, block, inst = self._binding
            attr = block.body.attr(name)
            value = caller.evaluate(attr.value, tf_file, inst) if attr is not None else self._default(name)
            self._var_values[name] = value
            return value
        callers = self._callers()
        if callers:
            value = self._value_from_callers(name, callers)
            self._var_values[name] = value
            return value
        tfvars = self.tfvars()
        if tfvars is None:
            return UNKNOWN
        if name in tfvars:
            value = tfvars[name]
        else:
            entry = self._variables.get(name)
            attr = entry[1].body.attr("default") if entry else None
            if attr is None:
                value = UNKNOWN  # no default: the caller decides
            else:  # a default is a literal: references in it are not resolved
                value = Evaluator(ModuleEnv(self, entry[0], literal_only=True)).eval(attr.value)
        self._var_values[name] = value
        return value

    def _default(self, name: str):
        entry = self._variables.get(name)
        attr = entry[1].body.attr("default") if entry else None
        if attr is None:
            return UNKNOWN
        return Evaluator(ModuleEnv(self, entry[0], literal_only=True)).eval(attr.value)

    def _value_from_callers(self, name: str, callers):
        """A child module's variable is what the scanned `module` blocks calling it pass (their default when
        they pass nothing); callers that disagree, or cannot be evaluated, make it UNKNOWN."""
        if ("var", name) in self._in_progress:
            return UNKNOWN
        self._in_progress.add(("var", name))
        try:
            values = []
            for caller, tf_file, block in callers:
                attr = block.body.attr(name)
                values.append(caller.evaluate(attr.value, tf_file) if attr is not None else self._default(name))
        finally:
            self._in_progress.discard(("var", name))
        first = values[0]
        if any(v is UNKNOWN for v in values) or any(repr(v) != repr(first) for v in values[1:]):
            return UNKNOWN
        return first

    def tfvars(self) -> dict | None:
        """Values from terraform.tfvars / *.auto.tfvars next to the module (they override defaults);
        None when one of them cannot be read (then no variable is known)."""
        if self._tfvars is not None:
            return self._tfvars
        values: dict = {}
        self._tfvars = values
        if self.directory is None:
            return values
        try:
            names = sorted(os.listdir(self.directory))
        except OSError:
            return values
        for name in names:
            if not (name == "terraform.tfvars" or name.endswith(".auto.tfvars")
                    or name == "terraform.tfvars.json" or name.endswith(".auto.tfvars.json")):
                continue
            path = self.directory / name
            try:
                text = path.read_text(encoding="utf-8")
                if name.endswith(".json"):
                    data = json.loads(text)
                    if isinstance(data, dict):
                        values.update(data)
                    continue
                body = parse_hcl(text)
            except (OSError, UnicodeDecodeError, ValueError, ParseError):
                self._tfvars = None
                return None
            tf_file = TfFile(_display(path), path, text, body)
            for var_name, attr in body.attributes.items():
                values[var_name] = Evaluator(ModuleEnv(self, tf_file, literal_only=True)).eval(attr.value)
        return values

    def _callers(self) -> list:
        if self.cache is None or self.directory is None:
            return []
        return self.cache.callers.get(str(self.directory)) or []

    # -------------------------------------------------------------- module calls
    MAX_VIEWS = 64

    def views(self, depth: int = 0) -> list["TerraformModule"]:
        """This module as each scanned call instantiates it: one view per `module` block calling it, per
        instance of that block (`for_each`/`count`), per view of the caller (modules calling modules), with
        the call's arguments as its variables. Calls passing different values are judged separately, not
        collapsed to unknown. A module nobody in the scan calls is a root: itself."""
        if self._binding is not None:
            return [self]
        if self._views is not None:
            return self._views
        callers = self._callers()
        if not callers or depth > 8:
            return [self]
        out: list[TerraformModule] = []
        for caller, tf_file, block in callers:
            for view in caller.views(depth + 1):
                for inst in view.instances(block, tf_file):
                    if len(out) < self.MAX_VIEWS:
                        out.append(self._bind(view, tf_file, block, inst))
        if depth == 0:
            self._views = out
        return out

    def _bind(self, caller: "TerraformModule", tf_file: TfFile, block: Block, inst: Instance) -> "TerraformModule":
        view = copy.copy(self)
        view.__post_init__()  # fresh indexes and value caches
        view._binding = (caller, tf_file, block, inst)
        view._analysis = None
        prefix = caller.call_prefix()
        view.address = f"{prefix}module.{block.labels[0] if block.labels else '?'}{inst.suffix}"
        return view

    def call_prefix(self) -> str:
        """`module.a["x"].` for a view (the address prefix of what it declares); "" for a root."""
        return f"{self.address}." if self._binding is not None else ""

    # -------------------------------------------------------------- analysis
    @property
    def analysis(self) -> Analysis:
        if self._analysis is None:
            views = self.views()
            if views == [self]:
                self._analysis = _analyse(self)
            else:
                self._analysis = _merge([_analyse(v) for v in views], [v.call_prefix() for v in views])
        return self._analysis


# ============================================================================================ scope
class ModuleEnv(Env):
    """References resolved inside one module (directory), evaluated from one of its files."""

    def __init__(self, module: TerraformModule, tf_file: TfFile, literal_only: bool = False):
        self.module = module
        self.tf_file = tf_file
        self.file = tf_file.display
        self.directory = tf_file.directory if tf_file.path is not None else Path(tf_file.display).parent
        self.literal_only = literal_only

    def reference(self, node: Traversal, ev: Evaluator):
        if self.literal_only:
            return UNKNOWN
        root, steps = node.root, node.steps
        attrs = [arg for kind, arg in steps if kind == "attr"]
        if root == "local" and steps and steps[0][0] == "attr":
            return ev.apply_steps(self.module.local(steps[0][1]), steps[1:])
        if root == "var" and steps and steps[0][0] == "attr":
            return ev.apply_steps(self.module.variable(steps[0][1]), steps[1:])
        if root == "path" and len(steps) == 1 and steps[0][0] == "attr":
            if steps[0][1] in ("module", "root"):
                return str(self.directory.resolve()) if self.directory is not None else UNKNOWN
            return UNKNOWN
        if root == "data" and len(attrs) >= 2:
            return self.data_reference(steps, node, ev)
        if steps and steps[0][0] == "attr":
            self.module.index()
            key = (root, steps[0][1])
            if root.startswith("kubernetes_") and key in self.module._resources:
                named = self._kubernetes_metadata(key, steps[1:])
                if named is not None:
                    return named
            if key in self.module._resources:
                rest = steps[1:]
                key = None
                if rest and rest[0][0] == "index":  # count / for_each instance
                    key = ev.eval(rest[0][1])
                    key = key if isinstance(key, (str, int)) and not isinstance(key, bool) else UNKNOWN
                    rest = rest[1:]
                attr = rest[0][1] if rest and rest[0][0] == "attr" else ""
                return BlockRef(root, steps[0][1], attr, self.file, node.pos, key)
        return UNKNOWN

    def _kubernetes_metadata(self, key, rest):
        """`kubernetes_service_v1.x.metadata[0].name` (or `.namespace`): what that resource's metadata says."""
        if len(rest) < 3 or rest[0] != ("attr", "metadata") or rest[1][0] != "index" or rest[2][0] != "attr":
            return None
        if rest[2][1] not in ("name", "namespace"):
            return None
        tf_file, block = self.module._resources[key]
        meta = block.body.block("metadata")
        if meta is None or len(block.body.blocks_of("metadata")) != 1 or block.body.attr("for_each") or \
                block.body.attr("count"):
            return None
        value, _ = self.module.attr_value(meta.body, rest[2][1], tf_file)
        return value if value is not None else ("" if rest[2][1] == "namespace" else None)

    def data_reference(self, steps, node, ev):
        if steps[0][0] != "attr" or len(steps) < 2 or steps[1][0] != "attr":
            return UNKNOWN
        type_, name = steps[0][1], steps[1][1]
        rest = steps[2:]
        key = None
        if rest and rest[0][0] == "index":  # one instance of a for_each / count data source
            key = ev.eval(rest[0][1])
            rest = rest[1:]
        attr = rest[0][1] if rest and rest[0][0] == "attr" else ""
        self.module.index()
        entry = self.module._data.get((type_, name))
        if entry is None:
            return UNKNOWN
        tf_file, block = entry
        address = f"data.{type_}.{name}"
        inst = None
        if key is not None and isinstance(key, (str, int)) and not isinstance(key, bool):
            inst = next((i for i in self.module.instances(block, tf_file) if i.key == key), None)
        if type_ == "aws_ssm_parameter":
            pname, _ = self.module.attr_value(block.body, "name", tf_file, inst)
            if attr in ("name", "id"):
                return pname
            if attr in ("value", "insecure_value"):
                return SsmParameter(pname if pname is not None else UNKNOWN, address, tf_file.display, block.pos)
            return UNKNOWN
        if type_ == "aws_ami" and attr in ("id", "image_id"):
            names = []
            for flt in block.body.blocks_of("filter"):
                fname, _ = self.module.attr_value(flt.body, "name", tf_file)
                if fname == "name":
                    values, _ = self.module.attr_value(flt.body, "values", tf_file)
                    if isinstance(values, list):
                        names.extend(v for v in values if isinstance(v, str))
            regex, _ = self.module.attr_value(block.body, "name_regex", tf_file)
            if isinstance(regex, str):
                names.append(regex)
            return AmiLookup(tuple(names), address, tf_file.display, block.pos)
        return UNKNOWN

    def templatefile(self, path, variables, node):
        target = self._resolve(path)
        if target is None:
            return UNKNOWN
        text = self.module.cache.read(target) if self.module.cache else _read_text(target)
        if text is None:
            return UNKNOWN
        known = {}
        if isinstance(variables, dict):
            for key, value in variables.items():
                if isinstance(value, (str, int, float, bool)) and is_known(value):
                    known[key] = value
        rendered = render_template(text, known)
        self.module.rendered_paths.add(target)
        ref = TemplateRef(target, _display(Path(target)), text, known, self.file, node.pos)
        return Doc.make(rendered.text, ref.display, "templatefile", node.pos, template=ref,
                        template_text=text, variables=known)

    def read_file(self, path, node):
        target = self._resolve(path)
        if target is None:
            return UNKNOWN
        text = self.module.cache.read(target) if self.module.cache else _read_text(target)
        if text is None:
            return UNKNOWN
        doc = Doc.make(text, _display(Path(target)), "file", node.pos, template_text=text.replace("${", "$${"))
        doc.file_target = target
        return doc

    def _resolve(self, path) -> str | None:
        s = known_str(path)
        if not s or "\x00" in s:
            return None
        p = Path(s)
        if not p.is_absolute():
            base = self.directory if self.directory is not None else Path(".")
            p = base / p
        return os.path.realpath(str(p))


def _read_text(path: str) -> str | None:
    try:
        if os.path.getsize(path) > MAX_TEMPLATE_BYTES:
            return None
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _display(path: Path) -> str:
    from ..discover import display_path

    return display_path(path)


class LoadCache:
    """Per-scan reads shared by all modules: template files and local module kinds."""

    def __init__(self):
        self.texts: dict[str, str | None] = {}
        self.module_kinds: dict[str, str | None] = {}
        # resolved directory of a scanned module -> the scanned `module` blocks calling it by a local path
        self.callers: dict[str, list] = {}

    def register_callers(self, modules):
        for module in modules:
            for tf_file, block in module.modules:
                attr = block.body.attr("source")
                source = known_str(module.evaluate(attr.value, tf_file)) if attr is not None else None
                if not source or not source.startswith(("./", "../")) or tf_file.directory is None:
                    continue
                target = os.path.normpath(str((tf_file.directory / source).resolve()))
                self.callers.setdefault(target, []).append((module, tf_file, block))

    def read(self, path: str) -> str | None:
        if path not in self.texts:
            self.texts[path] = _read_text(path)
        return self.texts[path]

    def local_module_kind(self, directory: str) -> str | None:
        """"root", "mng", "smng" for a local copy of terraform-aws-eks (or one of its node group
        submodules), judged by the variables it declares; None otherwise."""
        if directory in self.module_kinds:
            return self.module_kinds[directory]
        kind = None
        try:
            names = [n for n in os.listdir(directory) if n.endswith(".tf")]
        except OSError:
            names = []
        text = ""
        for name in names:
            text += self.read(os.path.join(directory, name)) or ""
        if re.search(r'variable\s+"eks_managed_node_groups"', text):
            kind = "root"
        elif re.search(r'variable\s+"block_device_mappings"', text) and re.search(r'variable\s+"ami_type"', text):
            if re.search(r'resource\s+"aws_eks_node_group"', text):
                kind = "mng"
            elif re.search(r'resource\s+"aws_autoscaling_group"', text):
                kind = "smng"
        self.module_kinds[directory] = kind
        return kind


# ========================================================================================= evidence
def ami_type_evidence(value, where: str) -> Evidence | None:
    s = value if isinstance(value, str) else None
    if s is None or not s.upper().startswith("BOTTLEROCKET_"):
        return None
    if "NVIDIA" in s.upper():
        nvidia = True
    else:
        nvidia = None if MARK in s else False
    shown = s if MARK not in s else s.replace(MARK, "…")
    return Evidence(f'{where}ami_type = "{shown}"', nvidia, 0)


def ssm_path_evidence(name, where: str) -> Evidence | None:
    s = name if isinstance(name, str) else None
    if s is None:
        return None
    marker = "/aws/service/bottlerocket/"
    at = s.find(marker)
    if at < 0:
        return None
    variant = s[at + len(marker):].split("/", 1)[0]
    if "-nvidia" in variant or "-nvidia" in s:
        nvidia = True
    else:
        nvidia = None if MARK in variant else False
    shown = s[at:].replace(MARK, "…")
    return Evidence(f"{where}SSM parameter {shown}", nvidia, 2)


def image_evidence(value, where: str) -> Evidence | None:
    """An AMI id / release version that reveals Bottlerocket: SSM parameter, resolve:ssm:, AMI name filter."""
    if isinstance(value, SsmParameter):
        return ssm_path_evidence(value.name, where)
    if isinstance(value, AmiLookup):
        for name in value.names:
            low = name.lower()
            if low.lstrip("^").startswith("bottlerocket-") or low.lstrip("^").startswith("bottlerocket"):
                nvidia = True if "nvidia" in low else (False if "aws-k8s" in low else None)
                return Evidence(f"{where}AMI name filter {name!r} ({value.address})", nvidia, 2)
        return None
    if isinstance(value, str):
        return ssm_path_evidence(value, where)
    return None


def looks_like_settings(text: str, strict: bool) -> bool:
    """A Bottlerocket settings document. Strict (inline user data): its first statement is a `settings`
    table or key, so shell scripts and MIME parts are never read as TOML. Loose (template files): the
    loader's own test."""
    if not isinstance(text, str) or "settings" not in text:
        return False
    if not strict:
        return bool(_LOOSE_SETTINGS.search(text))
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith(f'"{TOML_UNKNOWN}') or stripped.startswith(TOML_UNKNOWN):
            # lines a `${local.x}` inserts that are not known here: the rest of the text decides
            return bool(_LOOSE_SETTINGS.search(text))
        return bool(_STRICT_FIRST.match(stripped))
    return False


def _conditional_branches(module, attr, tf_file, inst) -> list | None:
    """Both values of a user_data conditional (through base64 wrappers), when its condition is unknown and
    both branches are known; None otherwise."""
    node = attr.value if attr is not None else None
    while isinstance(node, Call) and node.name in ("base64encode", "base64gzip") and len(node.args) == 1:
        node = node.args[0]
    if not isinstance(node, Conditional):
        return None
    values = [module.evaluate(node.then, tf_file, inst), module.evaluate(node.other, tf_file, inst)]
    if any(v is UNKNOWN for v in values):
        return None
    return values


def composed_document(value, file: str, pos: Position):
    """User data Terraform composes from known pieces (`join("\n", [local.a, local.b])`, `"${local.a}${local.b}"`)
    is a plain string, not a text with lines of its own: judged as one document pinned to the attribute."""
    if isinstance(value, str) and not isinstance(value, Doc) and looks_like_settings(value, strict=True):
        # unknown pieces (`${aws_eks_cluster.x.endpoint}`) stay the unknown marker: never judged
        return Doc.make(value, file, "composed", pos, pin=pos)
    return value


def user_data_evidence(value, where: str) -> Evidence | None:
    if isinstance(value, Doc) and value.template is not None:
        if looks_like_settings(value, strict=False):
            return Evidence(f"{where}user data is a Bottlerocket settings document ({value.template.display})",
                            None, 3)
        return None
    if isinstance(value, str) and looks_like_settings(value, strict=True):
        return Evidence(f"{where}user data is a Bottlerocket settings document", None, 3)
    return None


def runs_ephemeral_storage(value) -> bool:
    """User data that sets up ephemeral storage itself (`apiclient ephemeral-storage init/bind`), also
    inside a bootstrap container's base64 user data."""
    if not isinstance(value, str):
        return False
    if _EPHEMERAL.search(value):
        return True
    if "bootstrap-containers" in value:
        for blob in re.findall(r"user-data\s*=\s*\"([A-Za-z0-9+/=\s]{16,})\"", value):
            try:
                decoded = base64.b64decode(blob, validate=False).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                continue
            if _EPHEMERAL.search(decoded):
                return True
    return False


# ====================================================================================== analysing
def _analyse(module: TerraformModule) -> Analysis:
    out = Analysis()
    module.index()
    launch_templates: dict[str, Storage] = {}
    lt_names: dict[str, str] = {}
    docs: list[tuple[Doc, Storage, str]] = []

    # --- launch templates: one Storage per instance (`for_each` / `count` over known collections)
    for tf_file, block in module.resources_of("aws_launch_template"):
        name = block.labels[1]
        instances = module.instances(block, tf_file)
        for inst in instances:
            storage = Storage(f"aws_launch_template.{name}{inst.suffix}", tf_file.display, block.pos)
            storage.devices = _lt_devices(module, block, tf_file, inst)
            user_data, ud_pos = module.attr_value(block.body, "user_data", tf_file, inst)
            user_data = composed_document(user_data, tf_file.display, ud_pos)
            if user_data is UNKNOWN:
                # `var.x ? base64encode(<<EOT ... EOT) : null` with the toggle unknown: either branch may be
                # the user data. Both known means the disk layout question can be answered (TF001 only:
                # neither branch is judged as the node's settings, which would be a guess)
                branches = _conditional_branches(module, block.body.attr("user_data"), tf_file, inst)
                if branches is not None:
                    storage.user_data.extend(b for b in branches if b is not None)
            elif user_data is not None:
                storage.user_data.append(user_data)
                ev = user_data_evidence(user_data, "")
                if ev:
                    storage.evidence.append(ev)
                if isinstance(user_data, Doc):
                    docs.append((user_data, storage, f"user_data of {storage.address}"))
            image, _ = module.attr_value(block.body, "image_id", tf_file, inst)
            ev = image_evidence(image, "image_id from ")
            if ev:
                storage.evidence.append(ev)
            lt_name, _ = module.attr_value(block.body, "name", tf_file, inst)
            if known_str(lt_name):
                lt_names[lt_name] = (name, inst.key)
            launch_templates[(name, inst.key)] = storage
            out.storages.append(storage)
        if len(instances) == 1:
            launch_templates[(name, None)] = launch_templates[(name, instances[0].key)]

    def linked_template(value) -> Storage | None:
        """The launch template instance a reference names; None when it cannot be known."""
        if isinstance(value, BlockRef) and value.type == "aws_launch_template":
            if value.key is UNKNOWN:  # `x[each.key]` from a block whose instances are unknown
                same = {id(s): s for (n, _), s in launch_templates.items() if n == value.name}
                return next(iter(same.values())) if len(same) == 1 else None
            return launch_templates.get((value.name, value.key))
        s = known_str(value)
        if s and s in lt_names:
            return launch_templates.get(lt_names[s])
        return None

    # --- aws_eks_node_group
    for tf_file, block in module.resources_of("aws_eks_node_group"):
        for inst in module.instances(block, tf_file):
            address = f"aws_eks_node_group.{block.labels[1]}{inst.suffix}"
            evidence = []
            ami_type, _ = module.attr_value(block.body, "ami_type", tf_file, inst)
            ev = ami_type_evidence(ami_type, "")
            if ev:
                evidence.append(ev)
            release, release_pos = module.attr_value(block.body, "release_version", tf_file, inst)
            ev = image_evidence(release, "release_version from ")
            if ev:
                evidence.append(ev)
            if isinstance(release, SsmParameter):
                out.pins.append(ReleasePin(address, "release_version", tf_file.display, release_pos, release,
                                           _ignores(block, "release_version")))
            lt_block = block.body.block("launch_template")
            if lt_block is not None:
                for key in ("id", "name"):
                    value, _ = module.attr_value(lt_block.body, key, tf_file, inst)
                    target = linked_template(value)
                    if target is not None:
                        target.users.append(address)
                        target.evidence.extend(Evidence(f"{address}: {e.text}", e.nvidia, e.rank)
                                               for e in evidence)
                        break

    # --- terraform-aws-eks modules
    for tf_file, block in module.modules:
        for entry in _eks_entries(module, tf_file, block):
            _analyse_entry(module, entry, out, docs, linked_template)

    # instances of one block share its text: one pin per place written and parameter read
    unique = {}
    for pin in out.pins:
        unique.setdefault((pin.file, pin.pos, repr(pin.parameter.name)), pin)
    out.pins = list(unique.values())

    # --- account-wide EBS encryption
    for tf_file, block in module.resources_of("aws_ebs_encryption_by_default"):
        enabled, _ = module.attr_value(block.body, "enabled", tf_file)
        out.ebs_default_encryption.append(True if enabled is None else enabled)

    # --- every other templatefile() call (aws_instance, module inputs, locals...): its target is a
    # settings document judged with the call's arguments
    from .tf_manifests import host_blocks

    in_manifests = {id(node) for _f, block, _a, _attr in host_blocks(module)
                    for attr in iter_attributes(block.body) for node in iter_nodes(attr.value)}
    for tf_file in module.files:
        if "templatefile" not in tf_file.text:
            continue
        for attr in iter_attributes(tf_file.body):
            for node in iter_nodes(attr.value):
                if isinstance(node, Call) and node.name == "templatefile" and id(node) not in in_manifests:
                    value = module.evaluate(node, tf_file)
                    if isinstance(value, Doc) and value.template is not None:
                        out.rendered.add(value.template.path)
                        docs.append((value, None, f"templatefile() at {tf_file.display}:{node.pos.line}"))

    # --- embedded settings documents: one resource per document (and template arguments), with what the
    # nodes using it say about NVIDIA and Kubernetes
    grouped: dict = {}
    for doc, storage, role in docs:
        entry = grouped.setdefault(_doc_key(doc), (doc, role, []))
        if storage is not None:
            entry[2].append(storage)
    for doc, role, same in grouped.values():
        nvidia = combine_nvidia([e for s in same for e in s.evidence])
        target = getattr(doc, "file_target", None)
        if doc.origin == "file" and target and same:  # judged as itself; its users still know the node
            eks = any(s.users or s.address.startswith("module.") for s in same)
            out.file_hosts[target] = (nvidia, True if eks else None)
        # an EKS node group (or a launch template one uses) runs Kubernetes: judge the document as a node's
        # settings even when it only holds a fragment (EKS merges its own cluster settings in)
        eks = True if any(s.users or s.address.startswith("module.") for s in same) else None
        res, problem = settings_resource(doc, role, nvidia, eks)
        if res is not None:
            out.settings.append(res)
        if problem is not None:
            out.problems.append(problem)
    return out


def _merge(analyses: list[Analysis], prefixes: list[str]) -> Analysis:
    """One module's analyses under several calls: findings at the same text from equal values then agree
    (and are deduplicated by the scan); addresses say which call when there are several."""
    out = Analysis()
    settings_seen = set()
    for i, a in enumerate(analyses):
        prefix = prefixes[i]
        for storage in a.storages:
            storage.address = prefix + storage.address
            storage.users = [prefix + u for u in storage.users]
            out.storages.append(storage)
        for pin in a.pins:
            pin.address = prefix + pin.address
            out.pins.append(pin)
        for res in a.settings:
            key = (res.path, res.line_offset, res.column_offset, getattr(res, "template_file", None),
                   repr(getattr(res, "data", None)))
            if key not in settings_seen:
                settings_seen.add(key)
                out.settings.append(res)
        out.problems.extend(p for p in a.problems if p not in out.problems)
        out.ebs_default_encryption.extend(a.ebs_default_encryption)
        out.rendered |= a.rendered
        out.file_hosts.update(a.file_hosts)
    return out


def _doc_key(doc: Doc):
    if doc.template is not None:
        return ("template", doc.template.path, tuple(sorted((k, repr(v)) for k, v in doc.template.variables.items())))
    return ("inline", doc.file, doc.start.line, doc.start.column)


def _ignores(block: Block, attribute: str) -> bool:
    lifecycle = block.body.block("lifecycle")
    attr = lifecycle.body.attr("ignore_changes") if lifecycle else None
    if attr is None:
        return False
    value = attr.value
    if isinstance(value, Traversal) and value.root == "all" and not value.steps:
        return True
    if isinstance(value, TupleExpr):
        for item in value.items:
            if isinstance(item, Traversal) and item.root in (attribute, "all") and not item.steps:
                return True
            if isinstance(item, Template) and "".join(p for p in item.parts if isinstance(p, str)) == attribute:
                return True
    return False


def _lt_devices(module: TerraformModule, block: Block, tf_file: TfFile, inst: Instance) -> list[Device] | None:
    devices = []
    for child in block.body.blocks:
        if child.type == "dynamic" and child.labels and child.labels[0] == "block_device_mappings":
            devices.extend(_dynamic_devices(module, child, tf_file, inst))
            continue
        if child.type != "block_device_mappings":
            continue
        devices.append(_lt_device(module, child.body, tf_file, module.evaluator(tf_file, inst), child.pos))
    return devices


def _lt_device(module, body: Body, tf_file: TfFile, ev: Evaluator, pos: Position, element=None) -> Device:
    """One `block_device_mappings` block (or a dynamic block's `content`, evaluated by `ev` with its
    iterator bound; `element` = the iterated value, whose keys locate values that come from it)."""

    def value(b: Body, name: str):
        attr = b.attr(name)
        if attr is None:
            return None, None
        where = attr.pos
        node = attr.value
        # `x = iterator.value.<key>`: the offending text is the element's key, where the team wrote it
        if isinstance(node, Traversal) and isinstance(element, LDict) and node.steps and \
                node.steps[-1][0] == "attr" and node.steps[-1][1] in element:
            where = element.at(node.steps[-1][1])
        return ev.eval(node), where

    name, name_pos = value(body, "device_name")
    name_file = tf_file.display
    if isinstance(element, LDict) and name_pos is not None and body.attr("device_name") is not None \
            and name_pos != body.attr("device_name").pos:
        name_file = element.file_of("device_name") if "device_name" in element else element.file
    device = Device(name if name is not None else UNKNOWN, name_file, name_pos or pos)
    ebs = body.block("ebs")
    pushed = False
    if ebs is None:
        # `dynamic "ebs" { for_each = [one element] ... }` (terraform-aws-eks's own shape): its content, with
        # the iterator bound, is the one ebs block; any other collection is unknown
        dyn = next((b for b in body.blocks if b.type == "dynamic" and b.labels and b.labels[0] == "ebs"), None)
        content = dyn.body.block("content") if dyn is not None else None
        coll = ev.eval(dyn.body.attr("for_each").value) if dyn is not None and dyn.body.attr("for_each") else None
        items = list(coll.values()) if isinstance(coll, dict) else coll
        if content is not None and isinstance(items, list) and len(items) <= 1:
            if items:
                ev.scopes.append({"ebs": {"key": 0, "value": items[0]}})
                pushed, ebs = True, content
        elif dyn is not None or any(b.type == "dynamic" for b in body.blocks):
            device.size = device.encrypted = device.kms_key_id = UNKNOWN
            return device
    try:
        if ebs is not None:
            device.size, _ = value(ebs.body, "volume_size")
            device.encrypted, device.encrypted_pos = value(ebs.body, "encrypted")
            device.kms_key_id, kms_pos = value(ebs.body, "kms_key_id")
            device.snapshot_id, _ = value(ebs.body, "snapshot_id")
            if device.encrypted_pos is None and kms_pos is not None:
                device.encrypted_pos = kms_pos
    finally:
        if pushed:
            ev.scopes.pop()
    return device



def _dynamic_devices(module, dyn: Block, tf_file: TfFile, inst: Instance) -> list[Device]:
    """`dynamic "block_device_mappings" { for_each = ...; content {...} }` over a known collection: one
    device per element; an unknown collection is one unknown device (it may map /dev/xvdb)."""
    unknown = [Device(UNKNOWN, tf_file.display, dyn.pos)]
    content = dyn.body.block("content")
    for_each = dyn.body.attr("for_each")
    if content is None or for_each is None:
        return unknown
    name_attr = dyn.body.attr("iterator")
    if name_attr is not None:
        iterator = name_attr.value.root if isinstance(name_attr.value, Traversal) else \
            known_str(module.evaluate(name_attr.value, tf_file))
        if not iterator:
            return unknown
    else:
        iterator = dyn.labels[0]
    ev = module.evaluator(tf_file, inst)
    coll = ev.eval(for_each.value)
    if isinstance(coll, dict):
        pairs = list(coll.items())
    elif isinstance(coll, list):
        pairs = [(v, v) for v in coll]  # a list/set for_each: key and value are the element
    else:
        return unknown
    devices = []
    for key, element in pairs[: Evaluator.MAX_FOR_ITEMS]:
        ev.scopes.append({iterator: {"key": key, "value": element}})
        try:
            where = coll.at(key) if isinstance(coll, LDict) else dyn.pos
            devices.append(_lt_device(module, content.body, tf_file, ev, where, element))
        finally:
            ev.scopes.pop()
    return devices


# ---------------------------------------------------------------------------- terraform-aws-eks
@dataclass
class Entry:
    """One terraform-aws-eks node group: a map entry (over the `*_defaults`), or a submodule block."""

    address: str
    file: str
    pos: Position
    values: object  # LDict of the entry, or a dict name -> (value, file, pos) for a submodule block
    defaults: object = None  # LDict, UNKNOWN or None
    self_managed: bool = False
    major: int | None = None  # terraform-aws-eks major version from the module's `version`, when written

    def get(self, key: str):
        """(value, file, position); value None when absent everywhere, UNKNOWN when it cannot be known."""
        if isinstance(self.values, LDict):
            if key in self.values:
                return self.values[key], self.values.file_of(key), self.values.at(key)
        elif isinstance(self.values, dict) and key in self.values:
            return self.values[key]
        if self.defaults is UNKNOWN:
            return UNKNOWN, self.file, self.pos
        if isinstance(self.defaults, LDict) and key in self.defaults:
            return self.defaults[key], self.defaults.file_of(key), self.defaults.at(key)
        return None, self.file, self.pos


def _eks_kind(module: TerraformModule, source, tf_file: TfFile) -> str | None:
    s = known_str(source)
    if not s:
        return None
    sub = ""
    if "//" in s.replace("://", ""):
        sub = s.replace("://", ":__").split("//", 1)[1].split("?", 1)[0].strip("/")
    if _EKS_SOURCE.search(s):
        if not sub:
            return "root"
        if sub.startswith("modules/eks-managed-node-group"):
            return "mng"
        if sub.startswith("modules/self-managed-node-group"):
            return "smng"
        return None
    if s.startswith(("./", "../", "/")) and module.cache is not None:
        base = tf_file.directory if tf_file.directory is not None else Path(".")
        directory = os.path.normpath(str((base / s).resolve()))
        return module.cache.local_module_kind(directory)
    return None


def _eks_entries(module: TerraformModule, tf_file: TfFile, block: Block):
    source, _ = module.attr_value(block.body, "source", tf_file)
    kind = _eks_kind(module, source, tf_file)
    if kind is None:
        return
    mod_name = block.labels[0]
    major = _module_major(module.attr_value(block.body, "version", tf_file)[0])
    if kind in ("mng", "smng"):
        for inst in module.instances(block, tf_file):
            values = {}
            for name, attr in block.body.attributes.items():
                values[name] = (module.evaluate(attr.value, tf_file, inst), tf_file.display, attr.pos)
            yield Entry(f"module.{mod_name}{inst.suffix}", tf_file.display, block.pos, values, None, kind == "smng",
                        major)
        return
    for attr_name, defaults_name, self_managed in (
        ("eks_managed_node_groups", "eks_managed_node_group_defaults", False),
        ("self_managed_node_groups", "self_managed_node_group_defaults", True),
    ):
        groups, _ = module.attr_value(block.body, attr_name, tf_file)
        if not isinstance(groups, LDict):
            continue
        defaults, _ = module.attr_value(block.body, defaults_name, tf_file)
        for key, value in groups.items():
            if not isinstance(value, LDict):
                continue
            yield Entry(f'module.{mod_name}.{attr_name}["{key}"]', groups.file_of(key), groups.at(key),
                        value, defaults, self_managed, major)


def _module_major(version) -> int | None:
    """The major version a module `version` constraint pins (`~> 21.0`, `>= 20.8, < 21`, `21.1.0`): the
    first number written; None when absent or not literal."""
    s = known_str(version)
    m = re.search(r"(\d+)", s) if s else None
    return int(m.group(1)) if m else None


def _analyse_entry(module, entry: Entry, out: Analysis, docs, linked_template):
    storage = Storage(entry.address, entry.file, entry.pos)
    ami_type, _, _ = entry.get("ami_type")
    ev = ami_type_evidence(ami_type, "")
    if ev:
        storage.evidence.append(ev)
    platform, _, _ = entry.get("platform")
    # v21 removed `platform` (KNOWLEDGE 2.2): there it no longer selects Bottlerocket
    if known_str(platform) and platform.strip().lower() == "bottlerocket" and (entry.major or 0) < 21:
        storage.evidence.append(Evidence('platform = "bottlerocket"', None, 1))
    ami_id, _, _ = entry.get("ami_id")
    ev = image_evidence(ami_id, "ami_id from ")
    if ev:
        storage.evidence.append(ev)
    release, release_file, release_pos = entry.get("ami_release_version")
    ev = image_evidence(release, "ami_release_version from ")
    if ev:
        storage.evidence.append(ev)
    if isinstance(release, SsmParameter):
        out.pins.append(ReleasePin(entry.address, "ami_release_version", release_file, release_pos, release, None))
    extra, extra_file, extra_pos = entry.get("bootstrap_extra_args")
    extra = composed_document(extra, extra_file, extra_pos)
    if isinstance(extra, str) and looks_like_settings(extra, strict=True):
        storage.evidence.append(Evidence("bootstrap_extra_args is a Bottlerocket settings document", None, 3))

    # user data the module renders: bootstrap_extra_args (Bottlerocket appends it verbatim), or a custom
    # template we do not evaluate
    template_path, _, _ = entry.get("user_data_template_path")
    if template_path is not None and template_path != "":
        storage.user_data.append(UNKNOWN)
    if extra is not None:
        storage.user_data.append(extra)
        if storage.bottlerocket and isinstance(extra, Doc):
            custom_template = template_path is not None and template_path != ""
            if not custom_template and _module_emits_kubernetes_table(entry):
                header = _KUBERNETES_HEADER.search(str(extra))
                if header is None:
                    extra = _after_module_table(extra)
                else:  # the table twice: the node never joins; judged as written otherwise
                    line = extra.count("\n", 0, header.start()) + 1
                    col = header.start() - (extra.rfind("\n", 0, header.start()) + 1) + 1
                    pos = extra.pin or Position(line + extra.line_offset, col + extra.column_offset)
                    out.problems.append((extra.file, pos, (
                        f"bootstrap_extra_args of {entry.address} repeats [settings.kubernetes], which "
                        f"terraform-aws-eks already writes before it (with the cluster keys) for this node group "
                        f"({'a self-managed group' if entry.self_managed else 'enable_bootstrap_user_data = true'}): "
                        f"the rendered user data defines the table twice, Bottlerocket rejects it and the node "
                        f"never joins. Drop the header and keep its keys; subtables such as "
                        f"[settings.kubernetes.eviction-hard] are fine.")))
            docs.append((extra, storage, f"bootstrap_extra_args of {entry.address}"))

    # an external launch template
    for key in ("launch_template_id", "launch_template_name"):
        value, _, _ = entry.get(key)
        target = linked_template(value)
        if target is not None:
            target.users.append(entry.address)
            target.evidence.extend(Evidence(f"{entry.address}: {e.text}", e.nvidia, e.rank)
                                   for e in storage.evidence)

    # the launch template the module creates (not when told to use the EKS default one)
    custom = True
    for key in ("use_custom_launch_template", "create_launch_template"):
        value, _, _ = entry.get(key)
        flag = as_bool(value)
        if value is UNKNOWN:
            custom = None
        elif flag is False and not entry.self_managed:
            custom = False
    mappings, map_file, map_pos = entry.get("block_device_mappings")
    if custom is False or mappings is None:
        storage.devices = []
    elif custom is None or mappings is UNKNOWN:
        storage.devices = None
    else:
        storage.devices = _entry_devices(mappings, map_file, map_pos)
    out.storages.append(storage)


_KUBERNETES_HEADER = re.compile(r'^[ \t]*\[[ \t]*"?settings"?[ \t]*\.[ \t]*"?kubernetes"?[ \t]*\][ \t]*(#.*)?$', re.M)


def _module_emits_kubernetes_table(entry: Entry) -> bool:
    """terraform-aws-eks's Bottlerocket template writes `[settings.kubernetes]` and the cluster keys before
    `bootstrap_extra_args` when bootstrap user data is on: always for self-managed groups, on request
    (`enable_bootstrap_user_data = true`) for managed ones (KNOWLEDGE.md 1.6)."""
    if entry.self_managed:
        return True
    flag, _, _ = entry.get("enable_bootstrap_user_data")
    return as_bool(flag) is True


def _after_module_table(extra: Doc) -> Doc:
    """The extra args as the node receives them: after the module's `[settings.kubernetes]` table, so
    header-less keys (`"max-pods" = 110`) land in it, and a second `[settings.kubernetes]` header is the
    duplicate table it really is. The table stands on the line before the text (the attribute's line)."""
    if extra.pin is not None:
        return extra
    prefix = "[settings.kubernetes]\n"
    doc = Doc.make(prefix + str(extra), extra.file, extra.origin, extra.start,
                   template_text=prefix + extra.template_text, variables=extra.variables,
                   line_offset=extra.line_offset - 1, column_offset=extra.column_offset, template=extra.template)
    return doc


def _entry_devices(mappings, file: str, pos: Position) -> list[Device] | None:
    if isinstance(mappings, dict):
        items = list(mappings.items())
    elif isinstance(mappings, list):
        items = list(enumerate(mappings))
    else:
        return None
    devices = []
    for key, mapping in items:
        mpos = mappings.at(key) if hasattr(mappings, "at") else pos
        mfile = mappings.file_of(key) if isinstance(mappings, LDict) else getattr(mappings, "file", "") or file
        if not isinstance(mapping, dict):
            devices.append(Device(UNKNOWN, mfile, mpos))
            continue
        name = mapping.get("device_name", UNKNOWN)
        npos = mapping.at("device_name") if isinstance(mapping, LDict) and "device_name" in mapping else mpos
        nfile = mapping.file_of("device_name") if isinstance(mapping, LDict) and "device_name" in mapping else mfile
        device = Device(name, nfile, npos)
        ebs = mapping.get("ebs")
        if isinstance(ebs, dict):
            device.size = ebs.get("volume_size")
            device.encrypted = ebs.get("encrypted")
            device.kms_key_id = ebs.get("kms_key_id")
            device.snapshot_id = ebs.get("snapshot_id")
            if isinstance(ebs, LDict):
                for k in ("encrypted", "kms_key_id"):
                    if k in ebs:
                        device.encrypted_pos = ebs.at(k)
                        break
        elif ebs is UNKNOWN:
            device.size = device.encrypted = device.kms_key_id = UNKNOWN
        devices.append(device)
    return devices


# ============================================================================ embedded documents
def settings_resource(doc: Doc, role: str, nvidia: bool | None, kubernetes_node: bool | None = None):
    """(EmbeddedSettings | None, problem | None) for a settings document held in Terraform."""
    ref: TemplateRef | None = doc.template
    if doc.origin == "file":
        return None, None  # read verbatim: the loader judges the file itself when it is scanned
    if ref is not None and ref.path.lower().endswith((".yaml", ".yml", ".yaml.tpl", ".yml.tpl", ".yaml.tftpl")):
        return None, None  # a Kubernetes manifest template (model/tf_manifests), not Bottlerocket TOML
    if ref is not None:
        text, variables, path = ref.text, ref.variables, ref.display
    else:
        text, variables, path = doc.template_text, doc.variables or {}, doc.file
    rendered = render_template(text, variables)
    if not looks_like_settings(rendered.text, strict=ref is None):
        return None, None
    if ref is not None:
        address = f"BottlerocketSettings@{path}"
        line_offset = column_offset = 0
        pin = None
        note = f"rendered by templatefile() at {ref.call_file}:{ref.call_pos.line} ({role})"
    else:
        address = f"BottlerocketSettings@{path}:{doc.start.line}"
        line_offset, column_offset, pin = doc.line_offset, doc.column_offset, doc.pin
        note = f"embedded in {role}"
    try:
        data, index = parse_rendered(rendered)
    except ParseError as exc:
        if doc.origin == "composed" and TOML_UNKNOWN in rendered.text:
            return None, None  # an unknown piece may be what completes the syntax: never an error on a guess
        where = pin or Position(exc.position.line + line_offset, exc.position.column + column_offset)
        return None, (path, where, f"{exc.message} (in {role})")
    res = EmbeddedSettings(
        path=path, format="bottlerocket", address=address, kind="BottlerocketSettings",
        line_offset=line_offset, column_offset=column_offset,
        data=data, index=index, unknown_placeholders=rendered.unknown, nvidia=nvidia,
        kubernetes_node=kubernetes_node, pin=pin, template_file=ref.path if ref else None, template_text=ref.text if ref else "",
    )
    res.notes.append(note)
    if rendered.directives:
        res.notes.append(f"{rendered.directives} template directive(s) %{{...}} not evaluated")
    return res, None


# ============================================================================================ loading
def load_modules(files) -> tuple[list, list]:
    """(resources, problems) for the scanned .tf files: one TerraformModule per directory, plus the
    Bottlerocket settings embedded in them. A file with an HCL syntax error becomes a problem (E001)
    and the rest of its module is still read."""
    problems: list = []
    groups: dict = {}
    for cand, text in files:
        if cand.path is not None:
            key = str(Path(cand.path).resolve().parent)
        else:
            key = "<stdin>:" + str(Path(cand.display).parent)
        try:
            body = parse_hcl(text)
        except ParseError as exc:
            problems.append((cand.display, exc.position, exc.message))
            body = None
        groups.setdefault(key, []).append((cand, text, body))
    cache = LoadCache()
    resources: list = []
    modules: list = []
    for key, members in groups.items():
        tf_files = [TfFile(c.display, Path(c.path).resolve() if c.path is not None else None, t, b)
                    for c, t, b in members if b is not None]
        if not tf_files:
            continue
        first = members[0][0]
        directory = tf_files[0].directory
        dir_display = str(Path(first.display).parent.as_posix())
        module = TerraformModule(
            path=tf_files[0].display, format="terraform", address=f"module@{dir_display}", kind="module",
            files=tf_files, directory=directory, cache=cache,
        )
        modules.append(module)
    cache.register_callers(modules)
    from .tf_manifests import manifests

    for module in modules:
        resources.append(module)
        try:
            analysis = module.analysis
            objects, manifest_problems = manifests(module)
        except RecursionError:
            continue
        resources.extend(analysis.settings)
        problems.extend(analysis.problems)
        resources.extend(objects)
        problems.extend(manifest_problems)
    return resources, problems


def rendered_templates(resources) -> set[str]:
    """Resolved paths of the templates some templatefile() call rendered (not to be judged standalone)."""
    out = {r.template_file for r in resources
           if (isinstance(r, EmbeddedSettings) or r.format == "kubernetes") and getattr(r, "template_file", None)}
    for r in resources:
        if isinstance(r, TerraformModule):
            out |= r.rendered_paths  # nested calls too: `${indent(8, templatefile(...))}` in a heredoc
            if r._analysis is not None:
                out |= r._analysis.rendered
    return out


def file_host_facts(resources) -> dict:
    """Resolved path of a settings file some node's user data reads with file() -> (nvidia, kubernetes_node)."""
    out: dict = {}
    for r in resources:
        if isinstance(r, TerraformModule) and r._analysis is not None:
            out.update(r._analysis.file_hosts)
    return out


def ebs_encryption_by_default(ctx) -> bool:
    """Whether the scan enables account-level EBS encryption (`aws_ebs_encryption_by_default`, enabled
    true or unknown): then an unmapped data volume is encrypted anyway."""

    def build(ctx):
        for res in ctx.resources:
            if isinstance(res, TerraformModule):
                for value in res.analysis.ebs_default_encryption:
                    if as_bool(value) is not False:
                        return True
        return False

    return ctx.cached("terraform.ebs_encryption_by_default", build)


__all__ = [
    "TerraformModule", "EmbeddedSettings", "Storage", "Device", "ReleasePin", "Evidence", "load_modules",
    "rendered_templates", "ebs_encryption_by_default", "runs_ephemeral_storage",
]
