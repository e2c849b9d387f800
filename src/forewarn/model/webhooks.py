"""Admission webhooks (Validating/MutatingWebhookConfiguration): effective settings and what they cover.

The WH rules judge the *effective* webhook — the value the API server stores after defaulting — because the
dangerous cases are the silent ones: `failurePolicy` unset is Fail in v1 but Ignore in v1beta1, and
`timeoutSeconds` unset is 10 s in v1 but 30 s in v1beta1 (KNOWLEDGE.md 4). Everything here tolerates the
shapes real files have: kustomize patches and partial webhooks without `clientConfig`, strings where lists
are expected, unknown enum values (then the answer is None: "cannot judge", never a guess).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..findings import Position
from ..parse.yamldoc import YList, YMap
from .kubernetes import K8sObject, as_list, as_map, map_selector_matches, selector_matches

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
ADMISSION_GROUP = "admissionregistration.k8s.io"
VERSIONS = ("v1", "v1beta1")

# Defaults by API version (KNOWLEDGE.md 4; incident 003: the 2019 v1beta1 defaults were Ignore and 30 s).
DEFAULT_FAILURE_POLICY = {"v1": "Fail", "v1beta1": "Ignore"}
DEFAULT_TIMEOUT = {"v1": 10, "v1beta1": 30}

KUBE_SYSTEM = "kube-system"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every Namespace (KEP-2161)

# The control-plane-critical (apiGroup, resource) pairs of RULES.md "General definitions".
# `pods/*` stands for every pod subresource (pods/status, pods/exec, pods/eviction, ...).
CRITICAL_RESOURCES: dict[str, tuple[str, ...]] = {
    "": ("pods", "pods/*", "configmaps", "secrets", "serviceaccounts", "services", "endpoints", "namespaces",
         "nodes"),
    "apps": ("deployments", "replicasets", "daemonsets", "statefulsets"),
    "coordination.k8s.io": ("leases",),
    "discovery.k8s.io": ("endpointslices",),
}
CLUSTER_SCOPED = {"namespaces", "nodes"}  # the only cluster-scoped resources in the critical list
CRITICAL_OPERATIONS = {"CREATE", "UPDATE", "*"}


@dataclass
class Webhook:
    """One entry of `webhooks[]`, with the configuration object that holds it."""

    config: K8sObject
    index: int
    data: dict

    @property
    def version(self) -> str:
        return self.config.api_version.rpartition("/")[2]

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def name(self) -> str:
        value = self.data.get("name")
        return str(value) if value else f"webhooks[{self.index}]"

    @property
    def pointer(self) -> str:
        return f"/webhooks/{self.index}"

    def entry_position(self) -> Position:
        """The webhook's mapping (its `- ` item): where a missing key belongs."""
        hooks = self.config.data.get("webhooks")
        if isinstance(hooks, YList):
            return hooks.at(self.index)
        return getattr(self.data, "pos", None) or self.config.name_position()

    def name_position(self) -> Position:
        """The webhook's `name:` key (identifies the webhook), else its entry."""
        if isinstance(self.data, YMap) and "name" in self.data:
            return self.data.at("name")
        return self.entry_position()

    def key_position(self, key: str) -> Position:
        """The key when written (the offending text), else the webhook's entry: the mapping that should
        hold it (RULES Positions), not its `name:`, which sorted-key renders put mid-mapping."""
        if isinstance(self.data, YMap) and key in self.data:
            return self.data.at(key)
        return self.entry_position()

    def value_position(self, key: str) -> Position:
        if isinstance(self.data, YMap) and key in self.data:
            return self.data.val_pos.get(key, self.data.at(key))
        return self.entry_position()

    @property
    def is_partial(self) -> bool:
        """No `clientConfig`: a fragment (kustomize patch, overlay), never a webhook the API would accept.

        Rules judge whole webhooks only; a fragment is skipped rather than reported as invalid.
        """
        return not isinstance(self.data.get("clientConfig"), dict)

    def rules(self) -> list[tuple[int, dict]]:
        return [(i, r) for i, r in enumerate(as_list(self.data.get("rules"))) if isinstance(r, dict)]

    def service(self) -> tuple[str, str, int] | None:
        """(namespace, name, port) of `clientConfig.service`; None for URL webhooks or odd shapes."""
        svc = as_map(as_map(self.data.get("clientConfig")).get("service"))
        name, namespace = svc.get("name"), svc.get("namespace")
        if not isinstance(name, str) or not name:
            return None
        port = svc.get("port", 443)
        port = port if isinstance(port, int) and not isinstance(port, bool) else 443
        return (str(namespace) if namespace else "", name, port)


def is_webhook_configuration(obj) -> bool:
    return (
        isinstance(obj, K8sObject)
        and obj.kind in WEBHOOK_KINDS
        and obj.group == ADMISSION_GROUP
        and obj.api_version.rpartition("/")[2] in VERSIONS
    )


def webhooks(obj) -> list[Webhook]:
    """The webhooks of a v1/v1beta1 Validating/MutatingWebhookConfiguration (none for anything else)."""
    if not is_webhook_configuration(obj):
        return []
    return [Webhook(obj, i, hook) for i, hook in enumerate(as_list(obj.data.get("webhooks"))) if isinstance(hook, dict)]


def effective_failure_policy(hook: Webhook) -> str | None:
    """"Fail" or "Ignore" after API defaulting; None when the written value is not one of them."""
    value = hook.data.get("failurePolicy")
    if value is None:
        return DEFAULT_FAILURE_POLICY.get(hook.version)
    return value if value in ("Fail", "Ignore") else None


def failure_policy_is_default(hook: Webhook) -> bool:
    return hook.data.get("failurePolicy") is None


def effective_timeout(hook: Webhook) -> int | None:
    """timeoutSeconds after API defaulting; None when the written value is not an integer."""
    value = hook.data.get("timeoutSeconds")
    if value is None:
        return DEFAULT_TIMEOUT.get(hook.version)
    return _as_int(value)


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _strings(value) -> list[str]:
    """A list of strings from a list (or a lone string, as some hand-written files have)."""
    if isinstance(value, str):
        return [value]
    return [str(v) if v is not None else "" for v in as_list(value)]


# --- which critical resources a rule covers ---------------------------------------------------------------
def _resource_covers(pattern: str, target: str) -> bool:
    """Does a rule `resources` entry cover a critical resource (`pods/*` = any pod subresource)?

    `*` = all resources, no subresources; `*/*` = everything; `pods/*` = every pod subresource;
    `*/status` = that subresource of every resource (KNOWLEDGE.md 4).
    """
    pattern = pattern.strip()
    if pattern == "*/*":
        return True
    if target == "pods/*":
        if "/" not in pattern:
            return False
        res, _, _sub = pattern.partition("/")
        return res in ("pods", "*")
    if pattern == "*":
        return True
    return pattern == target


def critical_resources(rule) -> list[str]:
    """The control-plane-critical resources (plural names) a webhook rule covers, in catalogue order.

    Empty when the operations include none of CREATE/UPDATE/* (DELETE/CONNECT only), when apiGroups or
    resources are missing, or when the rule is limited to a product's own API groups. The rule's `scope`
    (Cluster/Namespaced) is honoured: `scope: Cluster` cannot cover pods.
    """
    if not isinstance(rule, dict):
        return []
    ops = {o.upper() for o in _strings(rule.get("operations"))}
    if not ops & CRITICAL_OPERATIONS:
        return []
    groups = set(_strings(rule.get("apiGroups")))
    resources = _strings(rule.get("resources"))
    scope = rule.get("scope") if isinstance(rule.get("scope"), str) else "*"
    out: list[str] = []
    for group, targets in CRITICAL_RESOURCES.items():
        if group not in groups and "*" not in groups:
            continue
        for target in targets:
            if scope == "Cluster" and target not in CLUSTER_SCOPED:
                continue
            if scope == "Namespaced" and target in CLUSTER_SCOPED:
                continue
            if any(_resource_covers(p, target) for p in resources) and target not in out:
                out.append(target)
    return out


def is_control_plane_critical(rule) -> bool:
    """RULES.md "Control-plane-critical rule": CREATE/UPDATE/* on a listed (apiGroup, resource) pair."""
    return bool(critical_resources(rule))


def hook_critical_resources(hook: Webhook) -> list[str]:
    """The control-plane-critical resources any rule of the webhook covers (union, catalogue order)."""
    covered: list[str] = []
    for _, rule in hook.rules():
        covered += [c for c in critical_resources(rule) if c not in covered]
    return covered


def is_match_all(rule) -> bool:
    """WH002's shape: `resources` `*` or `*/*` together with `apiGroups` `*`."""
    if not isinstance(rule, dict):
        return False
    resources = {r.strip() for r in _strings(rule.get("resources"))}
    return "*" in _strings(rule.get("apiGroups")) and bool(resources & {"*", "*/*"})


# --- does a fail-closed webhook reach kube-system? -------------------------------------------------------
def kube_system_labels(ctx) -> dict:
    """Labels of the kube-system Namespace: the scan's own Namespace object if any, plus the automatic
    `kubernetes.io/metadata.name` label every Namespace carries."""
    labels: dict = {}
    ns = getattr(ctx, "namespaces", {}).get(KUBE_SYSTEM) if ctx is not None else None
    if ns is not None:
        labels.update({str(k): v for k, v in ns.labels().items()})
    labels[NAMESPACE_NAME_LABEL] = KUBE_SYSTEM
    return labels


def has_match_conditions(hook: Webhook) -> bool:
    return bool(as_list(hook.data.get("matchConditions")))


def object_selector_excludes(hook: Webhook, labels: dict) -> bool | None:
    """True when the objectSelector does not select an object with these labels (None: cannot evaluate)."""
    selector = hook.data.get("objectSelector")
    if selector is None:
        return False
    result = selector_matches(selector, labels)
    return None if result is None else not result


def kube_system_exposure(hook: Webhook, resources: list[str], ctx) -> list[str] | None:
    """Which of `resources` (critical ones a rule covers) this webhook intercepts for kube-system.

    - namespaced resources: the namespaceSelector is evaluated against kube-system's labels;
    - `namespaces`: the selector is evaluated against the kube-system Namespace object's own labels
      (the same labels), so the kube-system Namespace itself is intercepted;
    - `nodes`: cluster-scoped, the namespaceSelector does not apply;
    - an objectSelector that excludes unlabelled objects (opt-in) or any matchConditions scope the
      webhook: nothing is reported (the objectSelector is evaluated against kube-system's labels for
      `namespaces`, against no labels otherwise).
    Returns None when a selector cannot be evaluated.
    """
    if has_match_conditions(hook):
        return []
    ks_labels = kube_system_labels(ctx)
    ns_match = selector_matches(hook.data.get("namespaceSelector"), ks_labels)
    exposed: list[str] = []
    undecided = False
    for res in resources:
        if res == "nodes":
            in_scope = True
            obj_labels: dict = {}
        else:
            in_scope = ns_match
            obj_labels = ks_labels if res == "namespaces" else {}
        if in_scope is None:
            undecided = True
            continue
        if not in_scope:
            continue
        excluded = object_selector_excludes(hook, obj_labels)
        if excluded is None:
            undecided = True
            continue
        if not excluded:
            exposed.append(res)
    if undecided and not exposed:
        return None
    return exposed


# --- webhook backends (K8S010) ---------------------------------------------------------------------------
@dataclass
class Backend:
    """A Deployment that serves one or more webhooks, through a Service."""

    deployment: K8sObject
    service: K8sObject
    hooks: list[Webhook]


def _by_namespace(objs) -> dict[str, list[K8sObject]]:
    out: dict[str, list[K8sObject]] = {}
    for obj in objs:
        out.setdefault(obj.namespace, []).append(obj)
    return out


def _candidates(index: dict[str, list[K8sObject]], namespace: str) -> list[K8sObject]:
    """Objects of `namespace`; objects written without a namespace are applied to the one intended."""
    exact = index.get(namespace, [])
    return exact if exact or not namespace else index.get("", [])


def build_backends(ctx) -> dict[int, list[Backend]]:
    """id(Deployment) -> the webhooks it serves: webhook `clientConfig.service` (namespace, name) -> the
    Service of that name in that namespace -> Deployments of that namespace whose pod labels its selector
    matches. Built once per scan (`ctx.cached`), linear in the number of objects.
    """
    hooks_by_service: dict[tuple[str, str], list[Webhook]] = {}
    for obj in ctx.objects(*WEBHOOK_KINDS):
        for hook in webhooks(obj):
            if hook.is_partial:
                continue
            svc = hook.service()
            if svc is not None:
                hooks_by_service.setdefault((svc[0], svc[1]), []).append(hook)
    if not hooks_by_service:
        return {}
    from .workloads import nearest

    deployments = _by_namespace(ctx.objects("Deployment"))
    out: dict[int, list[Backend]] = {}
    for (namespace, name), hooks in hooks_by_service.items():
        services = [s for s in ctx.services_by_ns.get(namespace, []) if s.name == name]
        if not services and namespace:  # a Service written without a namespace, applied to the intended one
            services = [s for s in ctx.services_by_ns.get("", []) if s.name == name]
        # one copy per cluster or environment: a webhook calls its own cluster's Service and Deployment
        by_service: dict[int, tuple[K8sObject, list[Webhook]]] = {}
        for hook in hooks:
            for service in nearest(services, hook.config):
                by_service.setdefault(id(service), (service, []))[1].append(hook)
        for service, served in by_service.values():
            selector = service.spec.get("selector")
            matching = [dep for dep in _candidates(deployments, service.namespace or namespace)
                        if map_selector_matches(selector, dep.pod_labels())]
            for dep in nearest(matching, service):
                out.setdefault(id(dep), []).append(Backend(dep, service, served))
    return out


def backends_of(deployment: K8sObject, ctx) -> list[Backend]:
    return ctx.cached("webhook_backends", build_backends).get(id(deployment), [])


def serving_containers(deployment: K8sObject, service: K8sObject, ports: set[int]) -> list[tuple[int, dict]]:
    """(index, container) of the containers behind the webhook's Service port(s).

    The Service ports whose `port` is one the webhooks call (default 443) give target ports; a container
    declaring one of them (number or name) serves it. When no container declares one, the first container
    (as for Service-backed workloads, RULES.md definitions).
    """
    containers = [(i, c) for i, c in enumerate(as_list(deployment.pod_spec().get("containers"))) if isinstance(c, dict)]
    if not containers:
        return []
    svc_ports = [p for p in as_list(service.spec.get("ports")) if isinstance(p, dict)]
    chosen = [p for p in svc_ports if p.get("port") in ports] or svc_ports
    targets = {str(p.get("targetPort", p.get("port"))) for p in chosen}
    serving = []
    for i, container in containers:
        for cport in as_list(container.get("ports")):
            if not isinstance(cport, dict):
                continue
            if str(cport.get("containerPort")) in targets or (cport.get("name") and str(cport["name"]) in targets):
                serving.append((i, container))
                break
    return serving or containers[:1]
