"""Kubernetes objects written inside Terraform: `kubectl_manifest.yaml_body` and `kubernetes_manifest.manifest`.

Why: many EKS teams keep Karpenter's EC2NodeClass (with its Bottlerocket userData), webhooks and even
workloads in Terraform — `kubectl_manifest { yaml_body = <<-YAML ... YAML }` (gavinbunney/alekc kubectl
provider), `yaml_body = yamlencode({...})`, `templatefile("nodeclass.yaml.tpl", {...})`, or the hashicorp
provider's `kubernetes_manifest { manifest = {...} }`. They are the same objects as in a YAML file and
repeat the same outages, so they become K8sObjects judged by every Kubernetes rule, with positions in the
file that holds their text: the heredoc's lines in the .tf file, the template's own lines, or — for an HCL
object — where each key is written.

Values Terraform cannot know here (`${module.eks.cluster_name}`) are the evaluator's unknown marker and are
never judged as such.
"""
from __future__ import annotations

from ..findings import Position
from ..parse.hcldoc import UNKNOWN, Doc, LDict, LList, is_known
from ..parse.yamldoc import ParseError, YamlDocument, YList, YMap, load_stream, remap
from .kubernetes_load import objects_from_docs

_HOSTS = {"kubectl_manifest": "yaml_body", "kubernetes_manifest": "manifest"}
# data sources that split a multi-document text for `kubectl_manifest` for_each loops
_DATA_HOSTS = {"kubectl_file_documents": "content"}


def host_blocks(module):
    """(tf_file, block, address, attribute) of every block whose attribute holds Kubernetes manifests."""
    module.index()
    out = []
    for type_, attribute in _HOSTS.items():
        for tf_file, block in module.resources_of(type_):
            out.append((tf_file, block, f"{type_}.{block.labels[1]}", attribute))
    for (type_, name), (tf_file, block) in module._data.items():
        if type_ in _DATA_HOSTS:
            out.append((tf_file, block, f"data.{type_}.{name}", _DATA_HOSTS[type_]))
    return out


def manifests(module) -> tuple[list, list]:
    """(K8sObjects, problems as (display, Position, message)) of the manifests a module declares."""
    objects, problems, seen = [], [], set()
    for tf_file, block, address, attribute in host_blocks(module):
        for inst in module.instances(block, tf_file):
            value, pos = module.attr_value(block.body, attribute, tf_file, inst)
            if value is None or value is UNKNOWN:
                continue
            key = (tf_file.display, pos, repr(value))
            if key in seen:  # instances that render the same text: one object
                continue
            seen.add(key)
            found, problem = _objects(value, tf_file.display, pos, f"{address}{inst.suffix}")
            objects.extend(found)
            if problem is not None:
                problems.append(problem)
    from .tf_native import objects as typed_objects

    objects.extend(typed_objects(module))
    return objects, problems


def _objects(value, display: str, pos: Position, address: str):
    if isinstance(value, Doc):
        return _from_text(value, address)
    if isinstance(value, str):
        return _from_string(value, display, pos, address)
    if isinstance(value, LDict):  # kubernetes_manifest: an HCL object
        data = hcl_to_yaml(value, value.pos)
        return objects_from_docs(value.file or display, [YamlDocument(0, data, data.pos.line, None)]), None
    return [], None


def _from_text(doc: Doc, address: str):
    """A heredoc (lines shifted into the .tf file) or a templatefile() target (the template's lines)."""
    text = str(doc)
    if doc.origin == "file":
        return [], None  # file("x.yaml"): the file is judged as itself when scanned
    if doc.template is not None:
        display, line_offset, column_offset = doc.template.display, 0, 0
    elif doc.pin is not None or doc.origin not in ("heredoc",):
        return _from_string(text, doc.file, doc.pin or doc.start, address)
    else:
        display, line_offset, column_offset = doc.file, doc.line_offset, doc.column_offset
    try:
        docs = load_stream(text)
    except ParseError as exc:
        where = Position(exc.position.line + line_offset, exc.position.column + column_offset)
        return [], (display, where, f"{address}: YAML syntax error in the manifest: {exc.message}")
    for d in docs:
        d.data = _shift(d.data, line_offset, column_offset)
    objects = objects_from_docs(display, docs)
    if doc.template is not None:  # judged with the call's arguments, not also standalone (load.py)
        for obj in objects:
            obj.template_file = doc.template.path
            obj.notes.append(f"rendered by templatefile() at {doc.template.call_file}:{doc.template.call_pos.line} "
                             f"({address})")
    return objects, None


def _from_string(text: str, display: str, pos: Position, address: str):
    """A quoted string or `yamlencode()` result: its own lines cannot be mapped, so every position is the
    attribute's."""
    if not is_known(text) and "apiVersion" not in text:
        return [], None
    try:
        docs = load_stream(text)
    except ParseError:
        return [], None  # a partly unknown string: nothing reliable to judge
    for d in docs:
        d.data = _pin(d.data, pos)
    return objects_from_docs(display, docs), None


def hcl_to_yaml(node, where: Position):
    """An evaluated HCL value (LDict/LList keep where each key and item is written) as the YMap/YList the
    Kubernetes rules read; values unknown here become a placeholder string, never judged."""
    if isinstance(node, LDict):
        out = YMap(node.pos)
        for key, value in node.items():
            at = node.at(key)
            out[key] = hcl_to_yaml(value, at)
            out.key_pos[key] = at
            out.val_pos[key] = getattr(value, "pos", at) if isinstance(value, (LDict, LList)) else at
        return out
    if isinstance(node, LList):
        out = YList(node.pos)
        for i, value in enumerate(node):
            out.append(hcl_to_yaml(value, node.at(i)))
            out.item_pos.append(node.at(i))
        return out
    if isinstance(node, dict):
        out = YMap(where)
        for key, value in node.items():
            out[key] = hcl_to_yaml(value, where)
            out.key_pos[key] = out.val_pos[key] = where
        return out
    if isinstance(node, list):
        out = YList(where)
        for value in node:
            out.append(hcl_to_yaml(value, where))
            out.item_pos.append(where)
        return out
    return node if is_known(node) or node is None else "${unknown}"


def _shift(node, dl: int, dc: int):
    return remap(node, lambda p: Position(p.line + dl, p.column + dc))


def _pin(node, pos: Position):
    return remap(node, lambda p: pos)
