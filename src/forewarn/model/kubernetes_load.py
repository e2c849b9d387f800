"""Turn parsed YAML documents into Kubernetes objects (documents without apiVersion + kind are not ours)."""
from __future__ import annotations

from ..parse.yamldoc import YamlDocument, YMap
from .kubernetes import K8sObject


def _object(path: str, data: YMap, doc: YamlDocument) -> K8sObject | None:
    api, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str) or not api or not kind:
        return None
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    name = str(meta.get("name") or meta.get("generateName") or "?")
    ns = meta.get("namespace")
    address = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    return K8sObject(
        path=path, format="kubernetes", address=address, kind=kind, data=data, doc_index=doc.index,
        helm_source=doc.source,
    )


def objects_from_docs(path: str, docs: list[YamlDocument]) -> list[K8sObject]:
    out: list[K8sObject] = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, YMap):
            continue
        obj = _object(path, data, doc)
        if obj is None:
            continue
        if obj.kind.endswith("List") and isinstance(data.get("items"), list):  # v1 List: judge the items
            for item in data["items"]:
                if isinstance(item, YMap):
                    inner = _object(path, item, doc)
                    if inner is not None:
                        out.append(inner)
            continue
        out.append(obj)
    return out
