"""Check templates for Karpenter EC2NodeClasses (KAR rules).

The EC2NodeClass is judged as written, with the userData it carries parsed once by `model.karpenter`
(positions already shifted into the YAML file).
"""
from __future__ import annotations

import re

from ..model.karpenter import KUBELET_TO_BOTTLEROCKET, is_bottlerocket, merges_user_data, settings_by_class
from ..model.kubernetes import as_map
from ..parse.tomldoc import is_unknown
from ..parse.yamldoc import YList, YMap
from ..units import parse_quantity
from . import template

_GIB = 2**30
# Bootstrap commands that move ephemeral storage themselves (what Karpenter adds for RAID0).
_EPHEMERAL_STORAGE = re.compile(r"apiclient[\"'\s,]+ephemeral-storage")


def _device(name) -> str | None:
    if not isinstance(name, str):
        return None
    name = name.strip()
    return name if name.startswith("/dev/") else "/dev/" + name


@template("karpenter-bottlerocket-root-volume-only")
def root_volume_only(obj, ctx, rule):
    """KAR001: a Bottlerocket class listing /dev/xvda but not /dev/xvdb (KNOWLEDGE.md 2.1, 2.3)."""
    if not is_bottlerocket(obj):
        return
    spec = obj.data.get("spec")
    if not isinstance(spec, YMap):
        return
    mappings = spec.get("blockDeviceMappings")
    if not isinstance(mappings, YList) or not mappings:
        return  # omitted: Karpenter's Bottlerocket defaults include xvdb
    policy = spec.get("instanceStorePolicy")
    if isinstance(policy, str) and policy.strip().upper() == "RAID0":
        return  # Karpenter puts ephemeral storage on the NVMe instance store
    user_data = spec.get("userData")
    if isinstance(user_data, str) and _EPHEMERAL_STORAGE.search(user_data):
        return  # the user moves ephemeral storage themselves
    os_device = rule.params.get("os_device", "/dev/xvda")
    data_device = rule.params.get("data_device", "/dev/xvdb")
    os_item, os_index = None, -1
    for i, item in enumerate(mappings):
        if not isinstance(item, dict):
            return
        device = _device(item.get("deviceName"))
        if device is None:
            return  # an unreadable device name could be the data volume: do not guess
        if device == data_device:
            return
        if device == os_device and os_item is None:
            os_item, os_index = item, i
    if os_item is None:
        return
    pos = os_item.at("deviceName") if isinstance(os_item, YMap) and "deviceName" in os_item else mappings.at(os_index)
    size = as_map(os_item.get("ebs")).get("volumeSize")
    size_bytes = parse_quantity(size)
    default_os_gib = rule.params.get("os_default_gib", 4)
    if merges_user_data(obj):
        replaced = (f"listing blockDeviceMappings replaces Karpenter's Bottlerocket defaults ({os_device} 4Gi + "
                    f"{data_device} 20Gi, gp3, encrypted)")
    else:  # amiFamily Custom: Karpenter adds no default mappings, the AMI's own stay
        replaced = f"with amiFamily Custom the AMI's own {data_device} mapping stays"
    if size_bytes is not None and size_bytes > default_os_gib * _GIB:
        message = (
            f"blockDeviceMappings sizes {os_device} to {size} but does not map {data_device}: on Bottlerocket "
            f"{os_device} is the OS volume, so the {size} never reach pods, which keep the AMI's 20 GiB data "
            f"volume; {replaced}. Map {data_device} with the size pods need and keep {os_device} at "
            f"{default_os_gib}Gi."
        )
    else:
        message = (
            f"blockDeviceMappings maps {os_device} but not {data_device}: {replaced}, so the data volume pods "
            f"use is the AMI's own {data_device} mapping (20 GiB), without the volume type, encryption or KMS "
            f"key set here. Add a {data_device} mapping sized for images, logs and emptyDir volumes."
        )
    yield rule.finding(obj, pos, message, snippet=f"{obj.address}:{os_device}")


# Keys Karpenter writes on every Bottlerocket node, whatever userData says (KNOWLEDGE.md 1.6).
_ALWAYS = {
    "cluster-name": "Karpenter always writes cluster-name, api-server and cluster-certificate from its own "
                    "cluster settings. Remove it from userData.",
    "api-server": "Karpenter always writes cluster-name, api-server and cluster-certificate from its own "
                  "cluster settings. Remove it from userData.",
    "cluster-certificate": "Karpenter always writes cluster-name, api-server and cluster-certificate from its "
                           "own cluster settings. Remove it from userData.",
    "node-taints": "Karpenter replaces node-taints with the NodePool's taints (an empty set when the NodePool "
                   "has none). Set taints on the NodePool (spec.template.spec.taints) instead.",
    "max-pods": "Karpenter always writes max-pods ({kubelet}.maxPods, else its own value from the instance "
                "type's ENI limits). Set {kubelet}.maxPods instead.",
    "cluster-dns-ip": "Karpenter writes cluster-dns-ip ({kubelet}.clusterDNS, else the cluster's kube-dns "
                      "address). Set {kubelet}.clusterDNS instead.",
}
_FIELD_OF = {key: name for name, key in KUBELET_TO_BOTTLEROCKET.items()}


@template("karpenter-userdata-overridden")
def userdata_overridden(obj, ctx, rule):
    """KAR002: userData keys Karpenter overwrites: they never reach the kubelet."""
    reported: set = set()
    for res in settings_by_class(ctx).get(id(obj), ()):
        if not res.merged or not isinstance(res.data.get("settings"), dict):
            continue
        kubernetes = res.kubernetes
        kubelet = "spec.kubelet"
        if res.node_pool is not None:
            kubelet = f"NodePool {res.node_pool.name} spec.template.spec.kubelet"
        elif obj.api_version.endswith("/v1beta1"):
            kubelet = "the NodePool's spec.template.spec.kubelet"  # v1beta1 classes have no spec.kubelet
        for key in kubernetes:
            if key == "node-labels" or key in reported:
                continue  # node-labels are merged: only conflicting labels are replaced
            overlay = res.overlay.get(key)
            where = res.locate(res.index.at(("settings", "kubernetes", key)))
            if overlay is not None and key in _FIELD_OF and not is_unknown(overlay.value):
                field = _FIELD_OF[key]
                src = overlay.position
                at = f"line {src.line}" if overlay.path == obj.path else f"{overlay.path}:{src.line}"
                message = (
                    f"`{key}` in userData is overwritten by {kubelet}.{field} ({at}): Karpenter writes the "
                    f"{kubelet} value over it, so the userData value never reaches the kubelet. Keep the "
                    f"setting in one place ({kubelet}.{field})."
                )
            elif key in _ALWAYS:
                message = f"`{key}` in userData is overwritten: " + _ALWAYS[key].format(kubelet=kubelet)
            else:
                continue
            reported.add(key)
            yield rule.finding(obj, where, message, snippet=f"{obj.address}:{key}")
