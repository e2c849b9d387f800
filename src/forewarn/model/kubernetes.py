"""Kubernetes objects from YAML, with the helpers rules share (pod templates, containers, label selectors)."""
from __future__ import annotations

from dataclasses import dataclass

from ..findings import Position
from ..parse.yamldoc import YMap
from .base import Resource

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job", "CronJob", "Rollout", "Pod"}


def as_map(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def dig(data, *keys):
    """data[k1][k2]... or None when any step is missing or of the wrong type."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


@dataclass
class K8sObject(Resource):
    data: YMap = None  # type: ignore[assignment]
    doc_index: int = 0
    helm_source: str | None = None  # `# Source:` comment of `helm template` output

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion") or "")

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def metadata(self) -> dict:
        return as_map(self.data.get("metadata"))

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str:
        """Namespace as written ('' when unset: the namespace it is applied to)."""
        ns = self.metadata.get("namespace")
        return str(ns) if ns else ""

    @property
    def spec(self) -> dict:
        return as_map(self.data.get("spec"))

    def annotations(self) -> dict:
        return as_map(self.metadata.get("annotations"))

    def labels(self) -> dict:
        return as_map(self.metadata.get("labels"))

    def name_position(self) -> Position:
        meta = self.data.get("metadata")
        if isinstance(meta, YMap) and "name" in meta:
            return meta.at("name")
        return self.data.at("kind") if "kind" in self.data else self.data.pos

    # --- workloads -----------------------------------------------------------------------------------
    def pod_template(self) -> dict | None:
        """The pod template (metadata + spec) of a workload, or the Pod itself."""
        kind = self.kind
        if kind == "Pod":
            return self.data
        if kind == "CronJob":
            return as_map(dig(self.data, "spec", "jobTemplate", "spec", "template")) or None
        if kind in WORKLOAD_KINDS:
            return as_map(dig(self.data, "spec", "template")) or None
        return None

    def pod_spec(self) -> dict:
        tpl = self.pod_template()
        return as_map(tpl.get("spec")) if tpl else {}

    def pod_labels(self) -> dict:
        tpl = self.pod_template()
        return as_map(dig(tpl, "metadata", "labels")) if tpl else {}

    def containers(self) -> list[dict]:
        return [c for c in as_list(self.pod_spec().get("containers")) if isinstance(c, dict)]

    def grace_period(self) -> int | None:
        """Effective terminationGracePeriodSeconds (default 30), None when not a literal integer."""
        value = self.pod_spec().get("terminationGracePeriodSeconds", 30)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        return None


# --- label selectors ---------------------------------------------------------------------------------
def selector_matches(selector, labels: dict) -> bool | None:
    """Evaluate a LabelSelector (matchLabels + matchExpressions) against labels.

    An empty selector matches everything (as for webhook namespaceSelectors). Returns None when the
    selector cannot be evaluated (an unknown operator): callers must not guess then.
    """
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return None
    labels = {str(k): str(v) for k, v in (labels or {}).items()}
    for key, value in as_map(selector.get("matchLabels")).items():
        if is_placeholder(key) or is_placeholder(value):
            return None
        if labels.get(str(key)) != _label_value(value):
            return False
    for expr in as_list(selector.get("matchExpressions")):
        if not isinstance(expr, dict):
            return None
        key = str(expr.get("key", ""))
        op = str(expr.get("operator", ""))
        raw = expr.get("values")
        if (op in ("In", "NotIn") and not isinstance(raw, list)) or is_placeholder(key) or \
                any(is_placeholder(v) for v in as_list(raw)):
            return None  # values from a template (`${jsonencode(list)}`): cannot be evaluated
        values = [_label_value(v) for v in as_list(raw)]
        if op == "In":
            if labels.get(key) not in values:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            return None
    return True


def is_placeholder(value) -> bool:
    """A placeholder of a template forewarn did not render (Terraform, Helm, ApplicationSet)."""
    return isinstance(value, str) and ("${" in value or "{{" in value or "__forewarn_unknown__" in value)


def _label_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def map_selector_matches(selector, labels: dict) -> bool:
    """A Service-style selector (a plain map): every pair must be present. Empty/absent selects nothing."""
    if not isinstance(selector, dict) or not selector:
        return False
    labels = labels or {}
    return all(str(k) in {str(x) for x in labels} and _label_value(labels.get(k, labels.get(str(k)))) == _label_value(v)
               for k, v in selector.items())
