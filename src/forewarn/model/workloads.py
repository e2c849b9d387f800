"""Cross-resource facts about workloads: which Services back them, which autoscalers target them.

Built once per scan behind `ctx.cached` and linear in the number of objects: Services are bucketed by
namespace and one selector label pair, autoscalers by their target's (namespace, kind, name), LimitRanges
by namespace. No rule rescans the resources list or compares all pairs.

Several objects with one identity (kind, namespace, name) in a scan are copies for different clusters
(overlays, rendered examples): a Service or autoscaler pairs with the copy nearest to it in the directory
tree, so an HPA in one environment does not judge the Deployment of every other one.

Namespaces follow RULES.md "no namespace = same": an object written without `metadata.namespace` is applied
to whatever namespace its neighbours go to, so it matches any namespace; two written namespaces must be equal.

The public helpers (`autoscaler_targets`, `replicas_fight_autoscaler`, `service_backed`,
`serving_containers`) are imported by other rule families: keep their signatures stable.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..findings import Position
from ..parse.yamldoc import YMap
from .kubernetes import K8sObject, as_list, as_map, is_placeholder, map_selector_matches

# Kinds that can be Service-backed replicas (RULES.md "Service-backed workload"), with their API groups.
REPLICA_KINDS = {"Deployment": {"apps", "extensions"}, "StatefulSet": {"apps"}, "ReplicaSet": {"apps", "extensions"},
                 "Rollout": {"argoproj.io"}}
# Kinds K8S006 judges beyond the replica kinds (pod templates that also land on nodes).
BATCH_AND_NODE_KINDS = {"DaemonSet": {"apps", "extensions"}, "Job": {"batch"}, "CronJob": {"batch"}}

MESH_PROXIES = {"istio-proxy", "linkerd-proxy"}  # injected proxies: never "the first container" of an app

HPA_KIND = "HorizontalPodAutoscaler"
HPA_GROUP = "autoscaling"  # autoscaling/v1, v2, v2beta1, v2beta2
KEDA_KIND = "ScaledObject"
KEDA_GROUP = "keda.sh"

# The marker `service_backed` returns when the scan holds no Service at all and the workload declares a
# (non-metrics) containerPort: the definition then counts it as Service-backed, but there is no Service
# object to name. Callers that want to name the Service test `services[0] is NO_SERVICE_IN_SCAN`.
NO_SERVICE_IN_SCAN = K8sObject(path="", format="kubernetes", address="(no Service in the scan)", kind="Service",
                               data=YMap(Position(1, 1)))


def same_namespace(a: str, b: str) -> bool:
    """RULES.md: same namespace, where an unwritten namespace is the same as any."""
    return not a or not b or a == b


def is_kind(obj: K8sObject, kinds: dict[str, set[str]]) -> bool:
    """kind matches and the API group is the one that defines it (a CRD named `Deployment` is not one)."""
    groups = kinds.get(obj.kind)
    return groups is not None and obj.group in groups


def is_replica_workload(obj: K8sObject) -> bool:
    return is_kind(obj, REPLICA_KINDS)


def uses_workload_ref(obj: K8sObject) -> bool:
    """An Argo Rollout that borrows its pod template from a Deployment (`spec.workloadRef`) has none itself."""
    return obj.kind == "Rollout" and isinstance(obj.spec.get("workloadRef"), dict)


def has_own_pod_template(obj: K8sObject) -> bool:
    """A replica workload whose pod template this object itself carries (not a Rollout's workloadRef)."""
    return is_replica_workload(obj) and not uses_workload_ref(obj) and obj.pod_template() is not None


# What an Argo Rollout's `spec.workloadRef` may name (argo-rollouts rollout/templateref.go `infoByGroupKind`):
# (API group, kind) -> where the pod template sits in that object.
WORKLOAD_REF_KINDS = {("apps", "Deployment"): ("spec", "template"), ("apps", "ReplicaSet"): ("spec", "template"),
                      ("", "PodTemplate"): ("template",)}


def is_metrics_port_name(name) -> bool:
    return isinstance(name, str) and "metrics" in name.lower()


def native_sidecars(obj: K8sObject) -> list[tuple[int, dict]]:
    """initContainers with `restartPolicy: Always` (KEP-753): they run for the pod's whole life."""
    inits = as_list(obj.pod_spec().get("initContainers"))
    return [(i, c) for i, c in enumerate(inits) if isinstance(c, dict) and c.get("restartPolicy") == "Always"]


def app_containers(obj: K8sObject) -> list[tuple[int, dict]]:
    """(index in `spec.containers`, container) for every well-formed container."""
    return [(i, c) for i, c in enumerate(as_list(obj.pod_spec().get("containers"))) if isinstance(c, dict)]


# --- the index ------------------------------------------------------------------------------------------
@dataclass
class _Index:
    # Services that can back a workload (non-headless, not metrics-only, not only a webhook backend),
    # bucketed by one (key, value) pair of their selector: a workload can only be selected by a Service
    # whose every pair it carries, so looking up its own label pairs finds every candidate.
    backing_by_pair: dict[tuple[str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    # the same, per written namespace ('' = Services written without one), for workloads with a namespace
    backing_by_ns_pair: dict[tuple[str, str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    any_service: bool = False
    autoscalers: dict[tuple[str, str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    autoscalers_by_target: dict[tuple[str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    limit_ranges: dict[str, list[K8sObject]] = field(default_factory=lambda: defaultdict(list))  # by namespace
    defaults_memo: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    webhook_namespaces: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # name -> namespaces
    backed_memo: dict[int, list[K8sObject]] = field(default_factory=dict)
    # Replica workloads by identity (kind, namespace, name). A cluster holds one object per identity, so
    # several in one scan are variants (environments, rendered examples): see `_nearest_variant`.
    variants: dict[tuple[str, str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    # Objects a Rollout's workloadRef can name, by (kind, name): Deployments, ReplicaSets, PodTemplates.
    ref_targets: dict[tuple[str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))
    ref_memo: dict[int, "ReferencedTemplate | None"] = field(default_factory=dict)


def _index(ctx) -> _Index:
    return ctx.cached("workloads.index", _build)


def _build(ctx) -> _Index:
    idx = _Index()
    for ns, name in ctx.webhook_services:
        idx.webhook_namespaces[name].add("" if is_placeholder(ns) else ns)  # a templated namespace: any
    services = [s for ss in ctx.services_by_ns.values() for s in ss]
    idx.any_service = bool(services)
    candidates = []
    pair_count: dict[tuple[str, str], int] = defaultdict(int)
    for svc in services:
        selector = svc.spec.get("selector")
        if not isinstance(selector, dict) or not selector or not _can_back(svc, idx):
            continue
        pairs = [(str(k), _text(v)) for k, v in selector.items()]
        for pair in pairs:
            pair_count[pair] += 1
        candidates.append((svc, pairs))
    for svc, pairs in candidates:  # bucket under the rarest pair: short candidate lists per lookup
        key = min(pairs, key=lambda p: (pair_count[p], p))
        idx.backing_by_pair[key].append(svc)
        idx.backing_by_ns_pair[(svc.namespace, *key)].append(svc)
    for scaler in ctx.objects(HPA_KIND, KEDA_KIND):
        target = _scale_target(scaler)
        if target is None:
            continue
        kind, name = target
        idx.autoscalers[(scaler.namespace, kind, name)].append(scaler)
        idx.autoscalers_by_target[(kind, name)].append(scaler)
    for obj in ctx.objects(*REPLICA_KINDS):
        idx.variants[(obj.kind, obj.namespace, obj.name)].append(obj)
    for obj in ctx.objects(*{kind for _, kind in WORKLOAD_REF_KINDS}):
        idx.ref_targets[(obj.kind, obj.name)].append(obj)
    for lr in ctx.objects("LimitRange"):
        if lr.api_version == "v1":
            idx.limit_ranges[lr.namespace].append(lr)
    return idx


def _dir_parts(path: str) -> list[str]:
    return path.replace("\\", "/").split("/")[:-1]


def _shared_dirs(a: str, b: str) -> int:
    n = 0
    for x, y in zip(_dir_parts(a), _dir_parts(b)):
        if x != y:
            break
        n += 1
    return n


def _origins(obj: K8sObject) -> tuple[str, ...]:
    """The files an object comes from: its own, plus the kustomize patches of an overlay rendering of it
    (model/kustomize.py keeps the base's path and lists the patch files in `extra_origins`)."""
    return (obj.path, *getattr(obj, "extra_origins", ()))


def nearest(candidates: list, anchor: K8sObject) -> list:
    """The candidates sharing the most directories with `anchor` (an overlay rendering counting its
    patches' directories): when a repository holds one copy per cluster or environment, an object pairs
    with its own cluster's copy, not with every copy of the same name."""
    if len(candidates) < 2:
        return list(candidates)
    scores = [_closeness(c, anchor) for c in candidates]
    best = max(scores)
    return [c for c, s in zip(candidates, scores) if s == best]


def _closeness(a: K8sObject, b: K8sObject) -> int:
    """How many directories two objects share, counting an overlay rendering as living in its patches'
    directories too (the prod rendering of base/deployment.yaml sits next to overlays/prod/hpa.yaml)."""
    return max(_shared_dirs(x, y) for x in _origins(a) for y in _origins(b))


def _nearest_variant(other: K8sObject, obj: K8sObject, idx: _Index) -> bool:
    """Whether `other` (a Service, an autoscaler) belongs with this copy of obj.

    When the scan holds several objects with obj's identity (overlays/dev and overlays/prod, rendered
    examples of one chart, kustomize renderings of one base), each is a different deployment of the same
    thing; `other` pairs with the copy that shares the most directories with it, not with all of them (an
    HPA in the autoscaling example does not scale the Deployment of every other example)."""
    copies = idx.variants.get((obj.kind, obj.namespace, obj.name), ())
    if len(copies) < 2:
        return True
    best = max(_closeness(other, c) for c in copies)
    return _closeness(other, obj) == best


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _can_back(svc: K8sObject, idx: _Index) -> bool:
    """False for headless, metrics-only and webhook-backend Services (RULES.md "Service-backed workload")."""
    spec = svc.spec
    if str(spec.get("clusterIP") or "") == "None" or spec.get("type") == "ExternalName":  # ExternalName: no endpoints
        return False
    ports = [p for p in as_list(spec.get("ports")) if isinstance(p, dict)]
    if ports and all(is_metrics_port_name(p.get("name")) for p in ports):
        return False
    # A webhook naming no namespace (or a Service written without one) matches by name alone.
    return not any(same_namespace(ns, svc.namespace) for ns in idx.webhook_namespaces.get(svc.name, ()))


def _scale_target(scaler: K8sObject) -> tuple[str, str] | None:
    """(kind, name) an HPA or KEDA ScaledObject scales; None for other groups or unreadable refs."""
    ref = scaler.spec.get("scaleTargetRef")
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not ref["name"]:
        return None
    if scaler.kind == HPA_KIND and scaler.group == HPA_GROUP:
        kind = ref.get("kind")
        return (kind, ref["name"]) if isinstance(kind, str) and kind else None
    if scaler.kind == KEDA_KIND and scaler.group == KEDA_GROUP:
        kind = ref.get("kind") or "Deployment"  # KEDA's default target kind
        return (kind, ref["name"]) if isinstance(kind, str) else None
    return None


# --- Argo Rollouts workloadRef -------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferencedTemplate:
    """The pod template a Rollout runs through `spec.workloadRef`, and the object that holds it."""
    holder: K8sObject
    template: dict

    @property
    def spec(self) -> dict:
        return as_map(self.template.get("spec"))

    @property
    def labels(self) -> dict:
        return as_map(as_map(self.template.get("metadata")).get("labels"))

    def describe(self) -> str:
        return f"{self.holder.kind} {self.holder.name}"


def referenced_template(obj: K8sObject, ctx) -> ReferencedTemplate | None:
    """The pod template of the object an argoproj.io Rollout's `spec.workloadRef` names, or None.

    Resolved as the Argo Rollouts controller does: `apiVersion` + `kind` must be a supported workload
    (apps/Deployment, apps/ReplicaSet, v1/PodTemplate), looked up by name in the Rollout's namespace (an
    unwritten namespace is the same as any). When the scan holds several candidates (environments), the one
    nearest the Rollout in the directory tree; a tie, an unsupported kind or no candidate with a pod
    template is unresolved: None, never a guess.
    """
    if not (is_replica_workload(obj) and obj.kind == "Rollout" and uses_workload_ref(obj)):
        return None
    idx = _index(ctx)
    key = id(obj)
    if key not in idx.ref_memo:
        idx.ref_memo[key] = _resolve_workload_ref(obj, idx)
    return idx.ref_memo[key]


def _resolve_workload_ref(obj: K8sObject, idx: _Index) -> ReferencedTemplate | None:
    ref = obj.spec.get("workloadRef")
    kind, name, api = ref.get("kind"), ref.get("name"), ref.get("apiVersion")
    if not (isinstance(kind, str) and isinstance(name, str) and name and isinstance(api, str)):
        return None
    group = api.rpartition("/")[0] if "/" in api else ""
    path = WORKLOAD_REF_KINDS.get((group, kind))
    if path is None:
        return None
    candidates = []
    for cand in idx.ref_targets.get((kind, name), ()):
        if cand is obj or not same_namespace(cand.namespace, obj.namespace):
            continue
        if kind != "PodTemplate" and not is_kind(cand, REPLICA_KINDS):  # a CRD that is called Deployment
            continue
        if kind == "PodTemplate" and cand.api_version != "v1":
            continue
        template = cand.data
        for step in path:
            template = template.get(step) if isinstance(template, dict) else None
        if isinstance(template, dict) and template:
            candidates.append((_closeness(cand, obj), cand, template))
    if not candidates:
        return None
    best = max(c[0] for c in candidates)
    nearest = [c for c in candidates if c[0] == best]
    if len(nearest) != 1:
        return None  # two equally near copies: which one this Rollout runs is not known
    return ReferencedTemplate(nearest[0][1], nearest[0][2])


# --- autoscalers ----------------------------------------------------------------------------------------
def autoscaler_targets(ctx) -> dict[tuple[str, str, str], list[K8sObject]]:
    """HPAs (`autoscaling/*`) and KEDA `ScaledObject`s by the (namespace, kind, name) of what they scale.

    The namespace is the autoscaler's own as written ('' when unset: it then scales a target of that kind
    and name in whatever namespace it is applied to). KEDA's target kind defaults to Deployment.
    Prefer `autoscalers_for(obj, ctx)` to find the autoscalers of one workload: it applies the
    "no namespace = same" rule.
    """
    return _index(ctx).autoscalers


def autoscalers_for(obj: K8sObject, ctx) -> list[K8sObject]:
    """The HPAs / ScaledObjects whose `scaleTargetRef` names obj (kind + name, same namespace); when the
    scan holds several copies of obj (environments), only those nearest this copy in the directory tree."""
    idx = _index(ctx)
    if obj.namespace:
        found = [*idx.autoscalers.get((obj.namespace, obj.kind, obj.name), ()),
                 *idx.autoscalers.get(("", obj.kind, obj.name), ())]
    else:
        found = idx.autoscalers_by_target.get((obj.kind, obj.name), ())
    return [s for s in found if _nearest_variant(s, obj, idx)]


def autoscaler_min(scaler: K8sObject) -> int | None:
    """Minimum replicas an autoscaler keeps: HPA `minReplicas` (default 1), KEDA `minReplicaCount`
    (default 0). None when the value is not a literal integer (a Helm leftover)."""
    key, default = ("minReplicas", 1) if scaler.kind == HPA_KIND else ("minReplicaCount", 0)
    value = scaler.spec.get(key, default)
    if value is None:
        return default
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def replicas_value(obj: K8sObject) -> int | None:
    """`spec.replicas` when it is a literal integer; None when unset or not a number."""
    value = obj.spec.get("replicas")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def replicas_position(obj: K8sObject) -> Position:
    """RULES.md positions for replica questions: `spec.replicas` if present, else `metadata.name`."""
    spec = obj.data.get("spec")
    if isinstance(spec, YMap) and "replicas" in spec:
        return spec.at("replicas")
    return obj.name_position()


def replicas_fight_autoscaler(obj: K8sObject, ctx) -> Position | None:
    """Position of `spec.replicas` when it is set and an HPA or KEDA ScaledObject targets obj, else None.

    This is K8S008's condition (KNOWLEDGE.md 5.2: every apply/sync resets the autoscaler's count). A
    `replicas` that is not a literal integer (a Helm leftover) is not judged.
    """
    spec = obj.data.get("spec")
    if not isinstance(spec, YMap) or replicas_value(obj) is None or not autoscalers_for(obj, ctx):
        return None
    return spec.at("replicas")


# --- Services -------------------------------------------------------------------------------------------
def service_backed(obj: K8sObject, ctx) -> list[K8sObject]:
    """The Services that make obj a Service-backed workload (RULES.md general definitions); [] if none.

    Only Deployments, StatefulSets, ReplicaSets and argoproj.io Rollouts with a pod template qualify (a
    Rollout with `spec.workloadRef` does not: the Deployment it references carries the same template,
    labels and Services, and its containers are judged there, once). A
    Service backs obj when it is in the same namespace (unwritten = same), its `spec.selector` map is a
    subset of the pod template labels, and it is not headless, not metrics-only (every port name contains
    `metrics`) and not an admission webhook's `clientConfig.service`. When the scan holds several copies
    of obj (same kind, namespace and name: environments, rendered examples), a Service backs the copy
    nearest to it in the directory tree only.

    When the scan holds no Service at all, a workload declaring a containerPort (other than a metrics
    port) counts as Service-backed: the list is then `[NO_SERVICE_IN_SCAN]`, a marker, not a real object.
    """
    idx = _index(ctx)
    key = id(obj)
    if key in idx.backed_memo:
        return idx.backed_memo[key]
    result: list[K8sObject] = []
    if has_own_pod_template(obj):
        if not idx.any_service:
            if any(_port_numbers_and_names(c, metrics=False) for _, c in app_containers(obj)):
                result = [NO_SERVICE_IN_SCAN]
        else:
            labels = {str(k): _text(v) for k, v in obj.pod_labels().items()}
            ns = obj.namespace
            for pair in labels.items():
                if ns:  # Services written in this namespace or without one
                    found = [*idx.backing_by_ns_pair.get((ns, *pair), ()), *idx.backing_by_ns_pair.get(("", *pair), ())]
                else:  # no namespace written: the same as any
                    found = idx.backing_by_pair.get(pair, ())
                # each Service sits in one bucket only, so no Service is found twice
                result.extend(svc for svc in found if map_selector_matches(svc.spec.get("selector"), labels)
                              and _nearest_variant(svc, obj, idx) and not _metrics_only_for(svc, obj))
    idx.backed_memo[key] = result
    return result


def _port_numbers_and_names(container: dict, metrics: bool = True) -> set:
    """The containerPort numbers and names a container declares (metrics-named ports left out unless asked)."""
    out: set = set()
    for port in as_list(container.get("ports")):
        if not isinstance(port, dict):
            continue
        if not metrics and is_metrics_port_name(port.get("name")):
            continue
        number = port.get("containerPort")
        if isinstance(number, int) and not isinstance(number, bool):
            out.add(number)
        if isinstance(port.get("name"), str):
            out.add(port["name"])
    return out


def _metrics_port_numbers(obj: K8sObject) -> set:
    """containerPort numbers the pod names as metrics ports (`http-metrics`)."""
    out = set()
    for _, container in app_containers(obj):
        for port in as_list(container.get("ports")):
            if isinstance(port, dict) and is_metrics_port_name(port.get("name")):
                number = port.get("containerPort")
                if isinstance(number, int) and not isinstance(number, bool):
                    out.add(number)
    return out


def _metrics_only_for(svc: K8sObject, obj: K8sObject) -> bool:
    """Every port of the Service reaches a metrics port of obj's pods: by its own name, a metrics-named
    targetPort, or a numeric targetPort that the pod names as a metrics port (cert-manager's
    `tcp-prometheus-servicemonitor` -> 9402 `http-metrics`). Such a Service is scraped, not served."""
    ports = [p for p in as_list(svc.spec.get("ports")) if isinstance(p, dict)]
    if not ports:
        return False
    numbers = None
    for port in ports:
        if is_metrics_port_name(port.get("name")):
            continue
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            if is_metrics_port_name(target):
                continue
            return False
        if numbers is None:
            numbers = _metrics_port_numbers(obj)
        try:
            number = int(target)
        except (TypeError, ValueError):
            return False
        if number not in numbers:
            return False
    return True


def _service_targets(svc: K8sObject) -> set:
    """targetPorts (number or name; default: `port`) of a Service's non-metrics ports."""
    out: set = set()
    for port in as_list(svc.spec.get("ports")):
        if not isinstance(port, dict) or is_metrics_port_name(port.get("name")):
            continue
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, bool):
            continue
        if isinstance(target, int):
            out.add(target)
        elif isinstance(target, str):
            out.add(int(target) if target.isdigit() else target)
    return out


def serving_containers(obj: K8sObject, ctx) -> list[tuple[int, dict]]:
    """(index in `spec.containers`, container) of the containers that serve obj's Services; [] when obj is
    not Service-backed.

    A serving container declares a containerPort (number or name) that is a `targetPort` of a backing
    Service (metrics ports aside); when no container declares one, the first container serves (an
    istio-proxy / linkerd-proxy injected in front of the app is passed over). With no
    Service in the scan, the containers that declare a non-metrics containerPort serve.
    """
    services = service_backed(obj, ctx)
    if not services:
        return []
    containers = app_containers(obj)
    if services[0] is NO_SERVICE_IN_SCAN:
        return [(i, c) for i, c in containers if _port_numbers_and_names(c, metrics=False)]
    targets: set = set()
    for svc in services:
        targets |= _service_targets(svc)
    serving = [(i, c) for i, c in containers if _port_numbers_and_names(c) & targets]
    if serving:
        return serving
    # The first container, passing over a mesh proxy injected in front of the app (Istio puts istio-proxy
    # first with holdApplicationUntilProxyStarts): the app behind it is what the Service reaches.
    apps = [(i, c) for i, c in containers if str(c.get("name")) not in MESH_PROXIES]
    return (apps or containers)[:1]


def service_label(svc: K8sObject) -> str:
    """How a message names a Service: `namespace/name`, or the marker's wording."""
    if svc is NO_SERVICE_IN_SCAN:
        return "a Service (none is in the scan, but the pod declares a containerPort)"
    return f"Service {svc.namespace + '/' if svc.namespace else ''}{svc.name}"


# --- LimitRange defaults --------------------------------------------------------------------------------
def limit_range_defaults(obj: K8sObject, ctx) -> tuple[set[str], set[str]]:
    """(resources given a default request, resources given a default limit) by `type: Container` items of
    LimitRanges in obj's namespace: the LimitRanger admission plugin fills them into containers that omit
    them (a default limit also becomes the default request, as the API defaults `defaultRequest`)."""
    idx = _index(ctx)
    ns = obj.namespace
    if ns in idx.defaults_memo:
        return idx.defaults_memo[ns]
    if ns:
        ranges = [*idx.limit_ranges.get(ns, ()), *idx.limit_ranges.get("", ())]
    else:
        ranges = [lr for lrs in idx.limit_ranges.values() for lr in lrs]
    requests: set[str] = set()
    limits: set[str] = set()
    for lr in ranges:
        for item in as_list(lr.spec.get("limits")):
            if not isinstance(item, dict) or item.get("type") != "Container":
                continue
            default = as_map(item.get("default"))
            limits |= {str(k) for k in default}
            requests |= {str(k) for k in default} | {str(k) for k in as_map(item.get("defaultRequest"))}
    idx.defaults_memo[ns] = (requests, limits)
    return requests, limits


__all__ = [
    "NO_SERVICE_IN_SCAN", "autoscaler_targets", "autoscalers_for", "autoscaler_min", "replicas_fight_autoscaler",
    "replicas_position", "replicas_value", "service_backed", "serving_containers", "same_namespace",
    "is_replica_workload", "uses_workload_ref", "native_sidecars", "app_containers", "limit_range_defaults",
    "ReferencedTemplate", "referenced_template",
]
