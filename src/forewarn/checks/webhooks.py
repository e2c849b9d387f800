"""Check templates for admission webhooks and CRD conversion webhooks (WH001-WH004, CRD001, K8S010).

Incident 003 (Jetstack): an OPA webhook on every resource in every namespace stalled the API server's own
kube-system writes during a master upgrade. The checks judge the *effective* webhook (v1/v1beta1 defaults,
model/webhooks.py) and only what a webhook actually intercepts.
"""
from __future__ import annotations

from ..model import drift
from ..model.kubernetes import K8sObject, as_list
from ..model.workloads import autoscaler_min, autoscalers_for
from ..model.webhooks import (
    backends_of,
    effective_failure_policy,
    effective_timeout,
    failure_policy_is_default,
    hook_critical_resources,
    is_match_all,
    kube_system_exposure,
    serving_containers,
    webhooks,
)
from . import template

EXCLUDE_KUBE_SYSTEM = (
    "namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, "
    "values: [kube-system]}]}"
)


def _policy_text(hook, policy: str) -> str:
    if failure_policy_is_default(hook):
        return f"failurePolicy unset, so {policy} (the {hook.version} default)"
    return f"failurePolicy {policy}"


def _timeout_text(hook, timeout: int) -> str:
    if hook.data.get("timeoutSeconds") is None:
        return f"timeoutSeconds unset, so {timeout} (the {hook.version} default)"
    return f"timeoutSeconds {timeout}"


def _resource_names(resources) -> list[str]:
    """How messages name covered resources: the catalogue's `pods/*` entry reads as "pod subresources"."""
    return ["pod subresources" if r == "pods/*" else r for r in resources]


def _join(items, limit: int = 6) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit - 1]) + f" and {len(items) - limit + 1} more"
    return ", ".join(items)


@template("webhook-fail-closed-unscoped")
def fail_closed_unscoped(resource, ctx, rule):
    """WH001: Fail + a control-plane-critical rule + nothing keeping kube-system (or nodes) out.

    Points at the offending text: an explicit `failurePolicy: Fail`, else (the v1 default applies) the
    webhook's list item, the mapping that should hold the key (RULES Positions).
    """
    for hook in webhooks(resource):
        if hook.is_partial or effective_failure_policy(hook) != "Fail":
            continue
        covered = hook_critical_resources(hook)
        if not covered:
            continue
        exposed = kube_system_exposure(hook, covered, ctx)
        if not exposed:
            continue
        where = []
        in_ns = [r for r in exposed if r not in ("nodes", "namespaces")]
        if in_ns:
            where.append(f"{_join(_resource_names(in_ns))} in kube-system")
        if "namespaces" in exposed:
            where.append("the kube-system Namespace itself")
        if "nodes" in exposed:
            where.append("nodes (a namespaceSelector does not apply to them)")
        scoped = in_ns or "namespaces" in exposed
        fix = (f"exclude kube-system ({EXCLUDE_KUBE_SYSTEM})" if scoped else "drop nodes from its rules")
        yield rule.finding(
            resource,
            hook.key_position("failurePolicy"),
            f"webhook '{hook.name}' fails closed ({_policy_text(hook, 'Fail')}) and intercepts writes to "
            f"{'; '.join(where)}: if its backend is down, the API server refuses control-plane writes "
            f"(incident 003). {fix[0].upper() + fix[1:]}, narrow `rules` to the resources the policy needs, "
            f"or set failurePolicy: Ignore.",
            snippet=f"{hook.name}:{','.join(exposed)}",
        )


@template("webhook-rules-too-broad")
def rules_too_broad(resource, ctx, rule):
    """WH002: apiGroups `*` + resources `*`/`*/*` on a webhook that fails closed or waits more than 5 s."""
    max_timeout = int(rule.params.get("max_timeout_seconds", 5))
    for hook in webhooks(resource):
        if hook.is_partial:
            continue
        policy = effective_failure_policy(hook)
        timeout = effective_timeout(hook)
        reasons = []
        if policy == "Fail":
            reasons.append(_policy_text(hook, "Fail"))
        if timeout is not None and timeout > max_timeout:
            reasons.append(_timeout_text(hook, timeout))
        if not reasons:
            continue
        for index, r in hook.rules():
            if not is_match_all(r):
                continue
            pos = r.at("resources") if hasattr(r, "at") and "resources" in r else hook.entry_position()
            yield rule.finding(
                resource,
                pos,
                f"webhook '{hook.name}' rule {index} matches every resource of every API group "
                f"(apiGroups '*', resources '*') with {' and '.join(reasons)}: every write in the cluster "
                f"waits on this webhook. List only the apiGroups and resources the policy needs; a catch-all "
                f"audit hook should be failurePolicy: Ignore with timeoutSeconds <= {max_timeout}.",
                snippet=f"{hook.name}:rules[{index}]",
            )


@template("webhook-timeout-long")
def timeout_long(resource, ctx, rule):
    """WH003: a control-plane-critical rule and an effective timeoutSeconds over 10, whatever the policy."""
    max_timeout = int(rule.params.get("max_timeout_seconds", 10))
    for hook in webhooks(resource):
        if hook.is_partial:
            continue
        timeout = effective_timeout(hook)
        if timeout is None or timeout <= max_timeout:
            continue
        covered = hook_critical_resources(hook)
        if not covered:
            continue
        yield rule.finding(
            resource,
            hook.key_position("timeoutSeconds"),
            f"webhook '{hook.name}' has {_timeout_text(hook, timeout)} on writes to {_join(_resource_names(covered))}: an "
            f"unresponsive backend stalls each of these control-plane writes for {timeout}s (incident 003: the "
            f"API server's own kube-system update waited on the webhook). Set timeoutSeconds to "
            f"{max_timeout} or less.",
            snippet=f"{hook.name}:{timeout}",
        )


_SIDE_EFFECTS = ("None", "NoneOnDryRun")
_REVIEW_VERSIONS = {"v1", "v1beta1"}


@template("webhook-spec-invalid")
def spec_invalid(resource, ctx, rule):
    """WH004: what the v1 API rejects. v1beta1 objects (other defaults) and fragments are not judged."""
    for hook in webhooks(resource):
        if hook.version != "v1" or hook.is_partial:
            continue
        data = hook.data
        side = data.get("sideEffects")
        if "sideEffects" not in data or side is None:
            yield rule.finding(
                resource, hook.entry_position(),
                f"webhook '{hook.name}' has no sideEffects: admissionregistration.k8s.io/v1 requires it and the "
                f"API rejects the object. Add sideEffects: None (or NoneOnDryRun).",
                snippet=f"{hook.name}:sideEffects",
            )
        elif side not in _SIDE_EFFECTS:
            yield rule.finding(
                resource, hook.value_position("sideEffects"),
                f"webhook '{hook.name}' has sideEffects {side!r}: v1 accepts only None or NoneOnDryRun "
                f"(Some/Unknown were v1beta1 values) and the API rejects the object.",
                snippet=f"{hook.name}:sideEffects",
            )
        versions = data.get("admissionReviewVersions")
        if "admissionReviewVersions" not in data or not as_list(versions) and not isinstance(versions, str):
            yield rule.finding(
                resource, hook.entry_position() if "admissionReviewVersions" not in data
                else hook.value_position("admissionReviewVersions"),
                f"webhook '{hook.name}' has no admissionReviewVersions: v1 requires the list and the API rejects "
                f"the object. Add admissionReviewVersions: [v1].",
                snippet=f"{hook.name}:admissionReviewVersions",
            )
        else:
            listed = [versions] if isinstance(versions, str) else [str(v) for v in versions]
            if not _REVIEW_VERSIONS & set(listed):
                yield rule.finding(
                    resource, hook.value_position("admissionReviewVersions"),
                    f"webhook '{hook.name}' lists admissionReviewVersions {listed}: the API requires at least one "
                    f"it knows (v1 or v1beta1) and rejects the object. Use [v1].",
                    snippet=f"{hook.name}:admissionReviewVersions",
                )
        if "timeoutSeconds" in data:
            timeout = effective_timeout(hook)
            if timeout is not None and not 1 <= timeout <= 30:
                yield rule.finding(
                    resource, hook.value_position("timeoutSeconds"),
                    f"webhook '{hook.name}' has timeoutSeconds {timeout}: the API accepts 1 to 30 and rejects "
                    f"the object. Use a short timeout (at most 10; 1-5 s is typical).",
                    snippet=f"{hook.name}:timeoutSeconds",
                )


@template("conversion-webhook-placeholder")
def conversion_webhook_placeholder(resource, ctx, rule):
    """CRD001: conversion webhook values rendered as placeholders that a controller patches at run time."""
    if not isinstance(resource, K8sObject):
        return
    for pointer, pos in drift.crd_placeholder_paths(resource):
        field = pointer.rsplit("/", 1)[1]
        value = _value_at(resource.data, pointer)
        shown = "empty" if value in (None, "") else repr(value)
        if field == "caBundle":
            what = (f"the conversion webhook caBundle is {shown}: it carries no CA, so a controller "
                    f"(cert-manager's cainjector, the operator) patches it at run time, and a GitOps sync writes "
                    f"the placeholder back")
            fix = "Leave caBundle out of the manifest"
        else:
            what = (f"the conversion webhook service {field} is the placeholder {shown}: the operator patches "
                    f"the real value at run time, and a GitOps sync writes the placeholder back (incident 001: "
                    f"Dapr's `namespace: replaceme`)")
            fix = "Render the real value"
        yield rule.finding(
            resource, pos,
            f"CRD {resource.name}: {what}. {fix}, or make ArgoCD ignore {pointer} "
            f"(ignoreDifferences + RespectIgnoreDifferences=true).",
            snippet=f"{resource.name}:{pointer}",
        )


def _value_at(data, pointer: str):
    node = data
    for part in pointer.strip("/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@template("webhook-backend-fragile")
def backend_fragile(resource, ctx, rule):
    """K8S010: the Deployment serving a fail-closed webhook runs one replica or has no livenessProbe."""
    if not isinstance(resource, K8sObject) or resource.kind != "Deployment":
        return
    min_replicas = int(rule.params.get("min_replicas", 2))
    fail_hooks = []
    served: dict[int, tuple[dict, list]] = {}  # container index -> (container, the hooks its port serves)
    for backend in backends_of(resource, ctx):
        for hook in (h for h in backend.hooks if effective_failure_policy(h) == "Fail"):
            if hook.name not in [h.name for h in fail_hooks]:
                fail_hooks.append(hook)
            svc = hook.service()
            for index, container in serving_containers(resource, backend.service, {svc[2]} if svc else set()):
                hooks = served.setdefault(index, (container, []))[1]
                if hook.name not in [h.name for h in hooks]:
                    hooks.append(hook)
    if not fail_hooks:
        return
    names, label = _hook_names(fail_hooks)
    yield from _replica_findings(resource, ctx, rule, min_replicas, names, label)
    containers = resource.pod_spec().get("containers")
    for index in sorted(served):
        container, hooks = served[index]
        if container.get("livenessProbe"):
            continue
        names, label = _hook_names(hooks)
        cname = container.get("name") or f"containers[{index}]"
        yield rule.finding(
            resource,
            containers.at(index) if hasattr(containers, "at") else resource.name_position(),
            f"container '{cname}' serves the fail-closed {label} {names} (failurePolicy Fail) and has no "
            f"livenessProbe: a hung backend is never restarted and every matching API write is refused "
            f"meanwhile (incident 003). Add a livenessProbe on the webhook's health endpoint.",
            snippet=f"{resource.name}:{cname}:livenessProbe",
        )


def _hook_names(hooks) -> tuple[str, str]:
    names = _join(f"'{h.name}'" for h in hooks[:3]) + (f" and {len(hooks) - 3} more" if len(hooks) > 3 else "")
    return names, "webhook" if len(hooks) == 1 else "webhooks"


def _replica_findings(resource, ctx, rule, min_replicas, names, label):
    # the same autoscaler lookup as K8S003/K8S008 (an HPA or ScaledObject written without a namespace
    # scales the target of that name: RULES.md "no namespace = same")
    minimums = [m for m in (autoscaler_min(s) for s in autoscalers_for(resource, ctx)) if m is not None]
    autoscaled = min(minimums) if minimums else None
    spec = resource.data.get("spec")
    written = spec.get("replicas") if isinstance(spec, dict) else None
    if autoscaled is not None:
        replicas, source = autoscaled, "its autoscaler's minimum"
    elif written is None:
        replicas, source = 1, "replicas unset: 1"
    elif isinstance(written, int) and not isinstance(written, bool):
        replicas, source = written, f"replicas {written}"
    else:
        return  # a template value or odd type: cannot judge
    if replicas >= min_replicas:
        return
    if autoscaled is not None:
        source = f"autoscaler minimum {autoscaled}"
    pos = spec.at("replicas") if written is not None and hasattr(spec, "at") else resource.name_position()
    yield rule.finding(
        resource,
        pos,
        f"Deployment {resource.name} serves the fail-closed {label} {names} (failurePolicy Fail) with "
        f"{source}: one pod restart, eviction or node drain leaves no backend and the API server refuses every "
        f"write the webhook matches. Run at least {min_replicas} replicas (with a PodDisruptionBudget and "
        f"anti-affinity), or make the webhook fail open.",
        snippet=f"{resource.name}:replicas",
    )
