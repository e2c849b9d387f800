"""Kubernetes objects written with the hashicorp/kubernetes provider's typed resources
(`kubernetes_deployment_v1`, `kubernetes_service_v1`, `kubernetes_validating_webhook_configuration_v1`...).

Why: some teams keep their workloads and webhooks in Terraform with these resources rather than YAML; the
outages are the same (a Deployment without `pre_stop`, a fail-closed webhook on every namespace). The
provider's schema is the API object in snake_case blocks: `container { lifecycle { pre_stop { ... } } }`.
This module turns a block into the object the API server receives — camelCase keys, repeated blocks as
lists (`container` -> `containers`, `topology_spread_constraint` -> `topologySpreadConstraints`) — with
each key's position where it is written, so every Kubernetes rule judges it unchanged.

Only the resource types below are read; their `_v1`/`_v2` and unversioned names are the same object.
Map-typed attributes (labels, selectors, resources' requests/limits) keep their keys as written.
"""
from __future__ import annotations

import re

from ..findings import Position
from ..parse.yamldoc import YamlDocument, YList, YMap
from .kubernetes_load import objects_from_docs
from .tf_manifests import hcl_to_yaml

_KINDS = {
    "deployment": ("apps/v1", "Deployment"),
    "stateful_set": ("apps/v1", "StatefulSet"),
    "daemon_set": ("apps/v1", "DaemonSet"),
    "daemonset": ("apps/v1", "DaemonSet"),
    "replication_controller": ("v1", "ReplicationController"),
    "job": ("batch/v1", "Job"),
    "cron_job": ("batch/v1", "CronJob"),
    "service": ("v1", "Service"),
    "horizontal_pod_autoscaler": ("autoscaling/v2", "HorizontalPodAutoscaler"),
    "validating_webhook_configuration": ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    "mutating_webhook_configuration": ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    "pod_disruption_budget": ("policy/v1", "PodDisruptionBudget"),
}
_TYPE = re.compile(r"^kubernetes_([a-z_]+?)(?:_v\d+(?:beta\d+)?)?$")
# repeated blocks of the provider schema: the API field is a list (name -> API key)
_LISTS = {
    "container": "containers", "init_container": "initContainers", "port": "ports", "env": "env",
    "env_from": "envFrom", "volume": "volumes", "volume_mount": "volumeMounts", "toleration": "tolerations",
    "topology_spread_constraint": "topologySpreadConstraints", "match_expressions": "matchExpressions",
    "image_pull_secrets": "imagePullSecrets", "host_aliases": "hostAliases", "webhook": "webhooks",
    "rule": "rules", "metric": "metrics", "required_during_scheduling_ignored_during_execution":
    "requiredDuringSchedulingIgnoredDuringExecution", "preferred_during_scheduling_ignored_during_execution":
    "preferredDuringSchedulingIgnoredDuringExecution", "node_selector_term": "nodeSelectorTerms",
    "match_condition": "matchConditions", "match_fields": "matchFields", "volume_claim_template":
    "volumeClaimTemplates", "readiness_gate": "readinessGates",
}
# API field names snake_case -> camelCase does not produce
_RENAMES = {"cluster_ip": "clusterIP", "cluster_ips": "clusterIPs", "load_balancer_ip": "loadBalancerIP",
            "external_ips": "externalIPs", "host_ip": "hostIP", "pod_ip": "podIP"}


def objects(module) -> list:
    """K8sObjects for the typed kubernetes_* resources of a module."""
    out = []
    for (type_, name), (tf_file, block) in module._resources.items():
        m = _TYPE.match(type_)
        if m is None or m.group(1) not in _KINDS:
            continue
        api, kind = _KINDS[m.group(1)]
        for inst in module.instances(block, tf_file):
            ev = module.evaluator(tf_file, inst)
            data = _body(block.body, ev, block.pos)
            data["apiVersion"], data["kind"] = api, kind
            data.key_pos.setdefault("apiVersion", block.pos)
            data.key_pos.setdefault("kind", block.pos)
            out.extend(objects_from_docs(tf_file.display, [YamlDocument(0, data, data.pos.line, None)]))
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _body(body, ev, pos: Position) -> YMap:
    out = YMap(pos)
    for name, attr in body.attributes.items():
        value = ev.eval(attr.value)
        key = _RENAMES.get(name) or _camel(name)
        out[key] = hcl_to_yaml(value, attr.pos)
        out.key_pos[key] = out.val_pos[key] = attr.pos
    for child in body.blocks:
        if child.type == "dynamic":
            continue  # dynamic blocks: their content is not known statically here
        item = _body(child.body, ev, child.pos)
        if child.type in _LISTS:
            key = _LISTS[child.type]
            lst = out.get(key)
            if not isinstance(lst, YList):
                lst = YList(child.pos)
                out[key] = lst
                out.key_pos[key] = out.val_pos[key] = child.pos
            lst.append(item)
            lst.item_pos.append(child.pos)
        else:
            key = _camel(child.type)
            out[key] = item
            out.key_pos[key] = out.val_pos[key] = child.pos
    return out
