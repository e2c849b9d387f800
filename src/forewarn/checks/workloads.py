"""Check templates for workloads (K8S001-K8S009, K8S011): termination, spreading, probes, resources.

The incidents behind them (INCIDENTS.md 003, 004): Ravelin's 502s during rollouts (no preStop while
endpoints drain), Moonlight's three replicas on one node, and the resilience digest's probes and limits.
Cross-object questions (which Service backs a workload, which autoscaler scales it) are answered by
`model/workloads.py`, built once per scan.

Values that are not what the API expects (Helm leftovers such as `"{{ .Values.x }}"`, strings where numbers
belong, a string where a mapping belongs) are never judged: the check skips them.
"""
from __future__ import annotations

import math
from decimal import Decimal

from ..findings import Position
from ..model.kubernetes import K8sObject, as_list, as_map, dig, selector_matches
from ..model.workloads import (
    BATCH_AND_NODE_KINDS, REPLICA_KINDS, app_containers, autoscaler_min, autoscalers_for, has_own_pod_template,
    is_kind, is_replica_workload, limit_range_defaults, native_sidecars, referenced_template,
    replicas_fight_autoscaler, replicas_position, replicas_value, service_backed, service_label,
    serving_containers, uses_workload_ref,
)
from ..parse.yamldoc import YList, YMap
from ..units import exec_sleep, parse_quantity
from . import template

DEFAULT_SIDECARS = ("istio-proxy", "linkerd-proxy")


# --- shared helpers ---------------------------------------------------------------------------------------
def _name(container: dict) -> str:
    return str(container.get("name") or "?")


def _container_pos(container: dict) -> Position:
    """Container-level findings point at the container's mapping: the key they miss belongs there (RULES.md
    "Positions"). That is the `- name:` line as usually written; in `kubectl get -o yaml` output, whose keys
    are sorted, it is the item's first line (`- image:`), not a `name:` further down."""
    if isinstance(container, YMap):
        return container.pos
    return Position(1, 1)


def _missing_pos(container: dict, *paths: tuple[str, ...]) -> Position:
    """Where a finding about missing keys points (RULES.md "Positions": the mapping that should hold them):
    the deepest mapping written on the way to all of them, e.g. `lifecycle:` for a missing
    `lifecycle.preStop`, `limits:` for `resources.limits.ephemeral-storage`, `resources:` when both
    requests and limits keys are missing; the container when none of that path is written."""
    parents = [path[:-1] for path in paths]
    common: list[str] = []
    for keys in zip(*parents):
        if any(k != keys[0] for k in keys):
            break
        common.append(keys[0])
    pos, node = _container_pos(container), container
    for key in common:
        if not isinstance(node, YMap) or key not in node:
            break
        pos, node = node.at(key), node[key]
    return pos


def _long_running(obj) -> list[tuple[str, int, dict]]:
    """('container'|'sidecar', index, container): app containers and native sidecars, which run for the
    pod's whole life (plain init containers run to completion first and are not judged)."""
    return [("container", i, c) for i, c in app_containers(obj)] + \
           [("sidecar", i, c) for i, c in native_sidecars(obj)]


def _what(obj: K8sObject) -> str:
    return f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name}"


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sidecar_names(rule) -> set[str]:
    names = rule.params.get("sidecars", DEFAULT_SIDECARS)
    return {str(n) for n in names} if isinstance(names, list) else set(DEFAULT_SIDECARS)


def _lifecycle_pre_stop(container: dict):
    """(has_pre_stop, pre_stop): has_pre_stop is None when `lifecycle` is not a mapping (cannot judge)."""
    lifecycle = container.get("lifecycle")
    if lifecycle is None:
        return False, None
    if not isinstance(lifecycle, dict):
        return None, None
    pre_stop = lifecycle.get("preStop")
    return pre_stop is not None, pre_stop


# --- K8S001 / K8S004: Service-backed containers ------------------------------------------------------------
def _served_user_containers(obj, ctx, rule):
    """(the first backing Service, container) for each serving container that is not a proxy sidecar.

    `service_backed` is empty for objects without a pod template of their own."""
    services = service_backed(obj, ctx)
    if not services:
        return
    sidecars = _sidecar_names(rule)
    for _, container in serving_containers(obj, ctx):
        if _name(container) not in sidecars:
            yield services[0], container


@template("prestop-missing")
def prestop_missing(obj, ctx, rule):
    """Ravelin: SIGTERM and endpoint removal start together; without a preStop delay the process exits
    while load balancers still send it traffic (KNOWLEDGE.md 3)."""
    grace = obj.grace_period()
    for service, container in _served_user_containers(obj, ctx, rule):
        has, _ = _lifecycle_pre_stop(container)
        if has is not False:
            continue
        budget = f"within terminationGracePeriodSeconds ({grace})" if grace is not None else \
            "shorter than terminationGracePeriodSeconds"
        yield rule.finding(
            obj, _missing_pos(container, ("lifecycle", "preStop")),
            f"container '{_name(container)}' of {_what(obj)} serves {service_label(service)} but has no "
            f"lifecycle.preStop: on every rollout or scale-down it gets SIGTERM while load balancers still "
            f"route to it (502s). Add a preStop that waits for endpoint removal, e.g. "
            f"`preStop: {{sleep: {{seconds: 10}}}}` (Kubernetes >= 1.30) or `exec: {{command: [sleep, \"10\"]}}`, "
            f"{budget}.",
            snippet=f"{obj.address}:{_name(container)}",
        )


@template("readiness-probe-missing")
def readiness_probe_missing(obj, ctx, rule):
    """Without a readinessProbe a container receives Service traffic as soon as it starts (INCIDENTS 004)."""
    for service, container in _served_user_containers(obj, ctx, rule):
        if container.get("readinessProbe") is not None:
            continue
        yield rule.finding(
            obj, _container_pos(container),
            f"container '{_name(container)}' of {_what(obj)} serves {service_label(service)} but has no "
            f"readinessProbe: it gets traffic as soon as the process starts and keeps getting it while it "
            f"cannot answer. Add a readinessProbe (httpGet on a health endpoint, or tcpSocket on the port).",
            snippet=f"{obj.address}:{_name(container)}",
        )


# --- K8S002 / K8S011: preStop sleeps vs the grace period ---------------------------------------------------
def _pre_stop_sleeps(obj):
    """(container, 'native'|'exec', seconds, position) for each long-running container whose preStop sleeps
    a literal number of seconds."""
    for _, _, container in _long_running(obj):
        has, pre_stop = _lifecycle_pre_stop(container)
        if not has or not isinstance(pre_stop, dict):
            continue
        sleep = pre_stop.get("sleep")
        if isinstance(sleep, YMap):
            seconds = _int(sleep.get("seconds"))
            if seconds is not None:
                yield container, "native", seconds, sleep.at("seconds")
            continue
        exec_ = pre_stop.get("exec")
        if isinstance(exec_, YMap):
            command = exec_.get("command")
            found = exec_sleep(command)
            if found is not None:
                seconds, item = found
                # the item that holds the sleep (a `- |` script, the `sleep` word), else the `command:` key
                pos = command.at(item) if isinstance(command, YList) and item is not None else exec_.at("command")
                yield container, "exec", seconds, pos


def _fmt_seconds(value) -> str:
    if math.isinf(value):
        return "infinity"
    return str(int(value)) if float(value).is_integer() else str(value)


def _grace_text(obj) -> str:
    written = "terminationGracePeriodSeconds" in obj.pod_spec()
    return f"terminationGracePeriodSeconds {obj.grace_period()}" + ("" if written else " (the default)")


@template("prestop-exceeds-grace-period")
def prestop_exceeds_grace_period(obj, ctx, rule):
    """The preStop hook's time counts against the grace period: a sleep as long as the period leaves the
    app no time to drain before SIGKILL (KNOWLEDGE.md 3)."""
    if not has_own_pod_template(obj):
        return
    grace = obj.grace_period()
    if grace is None:
        return
    for container, form, seconds, pos in _pre_stop_sleeps(obj):
        if seconds < grace or (form == "native" and seconds > grace):  # the latter is K8S011
            continue
        how = f"sleep.seconds {seconds}" if form == "native" else f"exec `sleep {_fmt_seconds(seconds)}`"
        if math.isinf(seconds):
            fix = "Sleep a fixed time shorter than the grace period instead (e.g. `sleep 10`)."
        else:
            fix = (f"Raise terminationGracePeriodSeconds to the sleep plus the app's drain time "
                   f"(e.g. {int(seconds) + 15}) or shorten the sleep.")
        yield rule.finding(
            obj, pos,
            f"container '{_name(container)}' preStop {how} is not shorter than {_grace_text(obj)}: the "
            f"kubelet sends SIGTERM only after the hook, so the app gets at most the 2 s extension before "
            f"SIGKILL and in-flight requests are cut. {fix}",
            snippet=f"{obj.address}:{_name(container)}:preStop",
        )


@template("prestop-sleep-rejected")
def prestop_sleep_rejected(obj, ctx, rule):
    """The API validates `preStop.sleep.seconds <= terminationGracePeriodSeconds` (KNOWLEDGE.md 3)."""
    if not has_own_pod_template(obj):
        return
    grace = obj.grace_period()
    if grace is None:
        return
    for container, form, seconds, pos in _pre_stop_sleeps(obj):
        if form != "native" or seconds <= grace:
            continue
        yield rule.finding(
            obj, pos,
            f"container '{_name(container)}' preStop sleep.seconds {seconds} exceeds {_grace_text(obj)}: "
            f"the API server rejects the pod (the sleep action may not outlast the grace period), so no pod "
            f"of this {obj.kind} is created. Set terminationGracePeriodSeconds to at least {seconds} plus the "
            f"app's drain time, or shorten the sleep.",
            snippet=f"{obj.address}:{_name(container)}:preStop",
        )


# --- K8S003 / K8S008 / K8S009: replicas and spreading --------------------------------------------------------
def _self_selecting(selector, labels: dict) -> bool | None:
    """Does a spread constraint's labelSelector count the pod's own replicas? An absent (null) selector
    selects nothing (`LabelSelectorAsSelector(nil)` is `labels.Nothing()`); None = cannot evaluate."""
    if selector is None:
        return False
    return selector_matches(selector, labels)


def _labels_text(labels: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in labels.items()) or "(none)"


def _spreads(spec: dict, labels: dict) -> bool:
    """Whether a pod spec keeps its replicas apart: a podAntiAffinity term (required or preferred), or a
    topologySpreadConstraints entry whose labelSelector selects the pod's own labels. Anything unreadable
    there counts as spreading (never judged on a guess)."""
    affinity = spec.get("affinity")
    if affinity is not None:
        if not isinstance(affinity, dict):
            return True
        anti = affinity.get("podAntiAffinity")
        if anti is not None:
            if not isinstance(anti, dict):
                return True
            for key in ("requiredDuringSchedulingIgnoredDuringExecution",
                        "preferredDuringSchedulingIgnoredDuringExecution"):
                terms = anti.get(key)
                if (terms is not None and not isinstance(terms, list)) or as_list(terms):
                    return True  # a term (or something unreadable there): spreading is configured
    constraints = spec.get("topologySpreadConstraints")
    if constraints is not None and not isinstance(constraints, list):
        return True
    for constraint in as_list(constraints):
        if not isinstance(constraint, dict):
            return True
        if _self_selecting(constraint.get("labelSelector"), labels) is not False:
            return True  # selects its own pods, or cannot be evaluated
    return False


@template("replicas-not-spread")
def replicas_not_spread(obj, ctx, rule):
    """Moonlight: three replicas of a CPU-heavy Deployment on one node took each other down. The default
    spreading (hostname maxSkew 3, ScheduleAnyway) allows exactly that (KNOWLEDGE.md 6).

    A Rollout with `spec.workloadRef` runs its own replica count of the referenced object's pod template:
    it is judged on that template (unresolved references are skipped). The referenced Deployment is judged
    as itself, on its own replicas (usually 0 once the Rollout owns them)."""
    if has_own_pod_template(obj):
        spec, labels, borrowed = obj.pod_spec(), obj.pod_labels(), None
    else:
        borrowed = referenced_template(obj, ctx)
        if borrowed is None:
            return
        spec, labels = borrowed.spec, borrowed.labels
    replicas = replicas_value(obj)
    count, source = (replicas, "spec.replicas") if replicas is not None else (0, "")
    for scaler in autoscalers_for(obj, ctx):
        minimum = autoscaler_min(scaler)
        if minimum is not None and minimum > count:
            key = "minReplicas" if scaler.kind == "HorizontalPodAutoscaler" else "minReplicaCount"
            count, source = minimum, f"{scaler.kind} {scaler.name} {key}"
    if count < 2 or _spreads(spec, labels):
        return
    selector = as_map(dig(obj.data, "spec", "selector", "matchLabels")) or \
        (as_map(dig(borrowed.holder.data, "spec", "selector", "matchLabels")) if borrowed else {}) or labels
    where = "" if borrowed is None else f" of the pod template of {borrowed.describe()} (spec.workloadRef)"
    change = "" if borrowed is None else f" in {borrowed.describe()}'s pod template"
    yield rule.finding(
        obj, replicas_position(obj),
        f"{_what(obj)} runs {'' if source == 'spec.replicas' else 'at least '}{count} replicas ({source}){where} "
        f"with no podAntiAffinity and no "
        f"topologySpreadConstraints selecting its own pods: the scheduler's default spreading (hostname "
        f"maxSkew 3, ScheduleAnyway) still lets all of them land on one node, which then takes the whole "
        f"service down. Add a topologySpreadConstraints entry (topologyKey: kubernetes.io/hostname, maxSkew: 1) "
        f"with labelSelector.matchLabels {{{_labels_text(selector)}}}, or a preferred podAntiAffinity on those "
        f"labels{change}.",
        snippet=f"{obj.address}:spread",
    )


@template("replicas-fight-autoscaler")
def replicas_fight_autoscaler_check(obj, ctx, rule):
    """An autoscaled workload that also sets spec.replicas gets reset to that value on every apply or sync
    (KNOWLEDGE.md 5.2)."""
    if not is_replica_workload(obj):
        return
    pos = replicas_fight_autoscaler(obj, ctx)
    if pos is None:
        return
    scaler = autoscalers_for(obj, ctx)[0]
    yield rule.finding(
        obj, pos,
        f"{_what(obj)} sets spec.replicas: {replicas_value(obj)} while {scaler.kind} "
        f"{scaler.namespace + '/' if scaler.namespace else ''}{scaler.name} scales it: every kubectl apply or "
        f"ArgoCD sync resets the replica count the autoscaler chose. Remove spec.replicas from the manifest "
        f"(the autoscaler's minimum applies), or have ArgoCD ignore /spec/replicas.",
        snippet=f"{obj.address}:replicas",
    )


@template("spread-selector-misses-own-pods")
def spread_selector_misses_own_pods(obj, ctx, rule):
    """A spread constraint counts only pods its labelSelector selects: if that is not the workload's own
    pods, placing a replica never changes the skew and nothing is spread (KNOWLEDGE.md 6)."""
    if not has_own_pod_template(obj):
        return
    constraints = obj.pod_spec().get("topologySpreadConstraints")
    if not isinstance(constraints, list):
        return
    labels = obj.pod_labels()
    for i, constraint in enumerate(constraints):
        if not isinstance(constraint, YMap):
            continue
        selector = constraint.get("labelSelector")
        if _self_selecting(selector, labels) is not False:
            continue
        topology = constraint.get("topologyKey")
        where = f" on {topology}" if isinstance(topology, str) else ""
        if selector is None:
            pos = constraints.at(i) if hasattr(constraints, "at") else constraint.pos
            problem = "has no labelSelector, so it counts no pods"
        else:
            pos = constraint.at("labelSelector")
            problem = "has a labelSelector that does not select the pod template's own labels"
        yield rule.finding(
            obj, pos,
            f"topologySpreadConstraints[{i}]{where} of {_what(obj)} {problem} ({_labels_text(labels)}): "
            f"its replicas are not spread by it. Use labelSelector.matchLabels taken from the pod template "
            f"labels.",
            snippet=f"{obj.address}:tsc{i}",
        )


# --- K8S005 / K8S006 / K8S007: resources --------------------------------------------------------------------
def _resources(container: dict):
    """(requests, limits) mappings, or None when `resources` (or a part) is not a mapping (cannot judge)."""
    resources = container.get("resources")
    if resources is None:
        return {}, {}
    if not isinstance(resources, dict):
        return None
    requests, limits = resources.get("requests"), resources.get("limits")
    if any(part is not None and not isinstance(part, dict) for part in (requests, limits)):
        return None
    return requests or {}, limits or {}


def _set(mapping: dict, key: str) -> bool:
    return mapping.get(key) is not None


@template("cpu-limit-request-ratio")
def cpu_limit_request_ratio(obj, ctx, rule):
    """A CPU limit far above the request lets one pod burst far past what the scheduler reserved, starving
    its neighbours and the kubelet (INCIDENTS 004: 10x starved nodes; 2x-5x suggested)."""
    if not has_own_pod_template(obj):
        return
    max_ratio = rule.params.get("max_ratio", 5)
    if isinstance(max_ratio, bool) or not isinstance(max_ratio, (int, float)):
        max_ratio = 5
    for role, _, container in _long_running(obj):
        res = _resources(container)
        if res is None:
            continue
        requests, limits = res
        request, limit = parse_quantity(requests.get("cpu")), parse_quantity(limits.get("cpu"))
        if request is None or limit is None or request <= 0:
            continue
        ratio = limit / request
        if ratio <= Decimal(str(max_ratio)):
            continue
        pos = limits.at("cpu") if isinstance(limits, YMap) else _container_pos(container)
        yield rule.finding(
            obj, pos,
            f"{role} '{_name(container)}' of {_what(obj)} has cpu limit {limits.get('cpu')} = "
            f"{ratio.normalize():f}x its request {requests.get('cpu')} (max {max_ratio}x): the scheduler "
            f"reserves the request, the pod may burst to the limit and starve its node. Raise the request or "
            f"lower the limit to within {max_ratio}x.",
            snippet=f"{obj.address}:{_name(container)}:cpu",
        )


@template("resources-unset")
def resources_unset(obj, ctx, rule):
    """Pods without requests are scheduled blind and are evicted first; without a memory limit one pod can
    exhaust the node (INCIDENTS 000, 004)."""
    if not (is_kind(obj, REPLICA_KINDS) or is_kind(obj, BATCH_AND_NODE_KINDS)):
        return
    if uses_workload_ref(obj) or obj.pod_template() is None:
        return
    default_requests, default_limits = limit_range_defaults(obj, ctx)
    for role, _, container in _long_running(obj):
        res = _resources(container)
        if res is None:
            continue
        requests, limits = res
        missing = []
        for key in ("cpu", "memory"):
            # A limit without a request becomes the request (API defaulting); so does a LimitRange default.
            if not (_set(requests, key) or _set(limits, key) or key in default_requests):
                missing.append(f"requests.{key}")
        if not (_set(limits, "memory") or "memory" in default_limits):
            missing.append("limits.memory")
        if not missing:
            continue
        why = []
        if any(m.startswith("requests.") for m in missing):
            why.append("without requests the scheduler places it blind and the kubelet evicts it first")
        if "limits.memory" in missing:
            why.append("without a memory limit one leak can take the node's memory from every other pod")
        yield rule.finding(
            obj, _missing_pos(container, *(("resources", *m.split(".")) for m in missing)),
            f"{role} '{_name(container)}' of {_what(obj)} sets no {', '.join(missing)}: {'; '.join(why)}. "
            f"Set {', '.join('resources.' + m for m in missing)}.",
            snippet=f"{obj.address}:{_name(container)}:resources",
        )


@template("ephemeral-storage-unbounded")
def ephemeral_storage_unbounded(obj, ctx, rule):
    """Without an ephemeral-storage limit a container's logs and scratch files can fill the node's disk,
    and DiskPressure evicts every pod there (INCIDENTS 000, 002)."""
    if not has_own_pod_template(obj):
        return
    _, default_limits = limit_range_defaults(obj, ctx)
    if "ephemeral-storage" in default_limits:
        return
    for role, _, container in _long_running(obj):
        res = _resources(container)
        if res is None or _set(res[1], "ephemeral-storage"):
            continue
        yield rule.finding(
            obj, _missing_pos(container, ("resources", "limits", "ephemeral-storage")),
            f"{role} '{_name(container)}' of {_what(obj)} has no resources.limits.ephemeral-storage: its logs "
            f"and writable layer can fill the node's disk until DiskPressure evicts every pod there. Set "
            f"resources.limits.ephemeral-storage (and a matching request).",
            snippet=f"{obj.address}:{_name(container)}:ephemeral-storage",
        )
