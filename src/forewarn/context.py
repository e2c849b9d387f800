"""The cross-resource index, built once per scan: rules look things up here and never rescan files."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model.base import Resource
from .model.kubernetes import K8sObject
from .model.webhooks import WEBHOOK_KINDS, webhooks


@dataclass
class Context:
    resources: list[Resource]
    knowledge: dict = field(default_factory=dict)  # rules/knowledge/*.yaml by stem
    by_kind: dict[str, list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    services_by_ns: dict[str, list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    webhook_services: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name) used by webhooks
    namespaces: dict[str, K8sObject] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict)

    @classmethod
    def build(cls, resources: list[Resource], knowledge: dict | None = None) -> "Context":
        ctx = cls(resources=resources, knowledge=knowledge or {})
        for res in resources:
            if not isinstance(res, K8sObject):
                continue
            ctx.by_kind[res.kind].append(res)
            if res.kind == "Service" and res.api_version == "v1":
                ctx.services_by_ns[res.namespace].append(res)
            elif res.kind == "Namespace":
                ctx.namespaces[res.name] = res
            elif res.kind in WEBHOOK_KINDS:
                for hook in webhooks(res):
                    service = hook.service()
                    if service is not None:
                        ctx.webhook_services.add(service[:2])
        return ctx

    def cached(self, key: str, build):
        """An index a rule family builds once per scan, on first use: `ctx.cached("hpa_targets", fn)`.

        `build(ctx)` runs once; every later call returns the same value. Rule families keep their own
        indexes in their model modules this way, so none of them rescans files.
        """
        if key not in self._cache:
            self._cache[key] = build(self)
        return self._cache[key]

    def objects(self, *kinds: str) -> list[K8sObject]:
        out: list[K8sObject] = []
        for kind in kinds:
            out.extend(self.by_kind.get(kind, ()))
        return out
